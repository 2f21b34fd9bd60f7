"""A non-editable install (the wheel, as a deployment or Docker image would use) works outside the checkout.

The wheel is built from a copy of the package folders, installed with ``--no-deps`` into a fresh venv
that sees this test venv's dependencies through a .pth file (offline and fast), and run from an
empty temporary folder: prompts, profile data and the sample corpus must come from the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE_FILES = (
    "pyproject.toml",
    "README.md",
    "core",
    "index",
    "assistant",
    "evals",
    "prompts",
    "corpus",
    "profiles",
)


def _run(args: list, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the wheel installed; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in PACKAGE_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, source / name)
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            work / "dist",
            source,
        ],
        cwd=work,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((work / "dist").glob("policy_assistant-*.whl"))
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work)
    assert made.returncode == 0, made.stderr
    site = next((venv / "lib").glob("python3.*/site-packages"))
    # The dependencies come from this test venv (appended after the new venv's own site-packages).
    outer = [p for p in sys.path if p.endswith("site-packages")]
    (site / "outer-deps.pth").write_text("\n".join(outer) + "\n", encoding="utf-8")
    inst = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin" / "python",
            "install",
            "--no-deps",
            "-q",
            wheel,
        ],
        cwd=work,
    )
    assert inst.returncode == 0, inst.stderr
    return venv / "bin"


def _env(data_dir: Path) -> dict:
    """A clean environment; no ASSISTANT_CONFIG, so only an assistant.toml in the working folder (none) counts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_", "PYTHON"))}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ANONYMIZED_TELEMETRY="False")
    return env


@pytest.mark.slow
def test_the_wheel_ships_its_data_and_imports_from_the_install(installed, tmp_path):
    probe = _run(
        [
            installed / "python",
            "-c",
            "import policyqa.assistant.prompts as p, policyqa.core.profile as pr, policyqa.index.ingest as i;"
            "print(p.PROMPTS_DIR); print(pr.load_profile().folder); print(i.SAMPLE_CORPUS);"
            "print(sorted(x.name for x in i.SAMPLE_CORPUS.glob('*.txt')))",
        ],
        cwd=tmp_path,
        env=_env(tmp_path / "data"),
    )
    assert probe.returncode == 0, probe.stderr
    prompts, profile, corpus, files = probe.stdout.splitlines()
    venv = str(installed.parent)
    assert prompts.startswith(venv) and profile.startswith(venv) and corpus.startswith(venv)
    assert profile.endswith("policyqa/profiles/renshe")
    assert "changsha-hrss-14th-five-year-plan.txt" in files


@pytest.mark.slow
def test_installed_console_script_ingests_and_answers_from_any_folder(installed, tmp_path, real_index):
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    # Reuse the session index's embedding cache: the packaged corpus is the bundled one.
    shutil.copy(real_index.data_dir / "embeddings.sqlite", data / "embeddings.sqlite")
    env = _env(data)
    asked = _run(
        [installed / "policy-assistant", "ask", "长沙城区最低工资标准是多少？"], cwd=elsewhere, env=env
    )
    assert asked.returncode == 0, asked.stderr
    assert "using the packaged sample corpus" in asked.stderr
    assert "1700元/月" in asked.stdout and "长政办发〔2021〕73号" in asked.stdout
    assert "Traceback" not in asked.stderr

    corpus = tmp_path / "my-corpus"
    shutil.copytree(REPO / "tests" / "data" / "other_kinds", corpus)
    other = tmp_path / "other-data"
    ingested = _run(
        [installed / "policy-assistant", "ingest", "--corpus", corpus, "--quiet"],
        cwd=elsewhere,
        env=_env(other),
    )
    assert ingested.returncode == 0, ingested.stderr
    assert "documents: 2 " in ingested.stdout
    module = _run(
        [installed / "python", "-m", "policyqa.assistant", "ask", "用人单位每月加班最多不得超过多少小时？"],
        cwd=elsewhere,
        env=_env(other),
    )
    assert module.returncode == 0, module.stderr
    assert "每月不得超过36小时" in module.stdout
    assert "文号未知" not in module.stdout
