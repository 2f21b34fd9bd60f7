"""Configuration that cannot work stops the CLI and the app with one line on stderr and exit code 2.

Each case runs the real entry point in a subprocess (the way an operator meets it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from conftest import REPO, make_settings
from policyqa.evals.servers import free_port
from policyqa.index import ingest as ingest_module
from policyqa.index.ingest import ingest
from policyqa.index.store import StoreUnavailable


def _run(args: list[str], env: dict, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert err.count("\n") == 0, err
    assert "Traceback" not in err
    return err


CONFIGS = {
    "invalid TOML": ('[llm]\nmodel = "qwen\n', "is not valid TOML: "),
    "unknown key in a group": ('[llm]\nmodle = "qwen2.5"\n', "unknown setting 'modle' in [llm]"),
    "unknown key topk": ("[retrieval]\ntopk = 3\n", "unknown setting 'topk' in [retrieval]"),
    "unknown group": ("[uii]\nport = 8000\n", "unknown setting 'uii' at the top level"),
    "port out of range": ("[ui]\nport = 99999\n", "ui.port: Input should be less than or equal to 65535"),
    "wrong type": ('[retrieval]\ntop_k = "many"\n', "retrieval.top_k: Input should be a valid integer"),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_bad_config_file_is_one_line_exit_2(case, tmp_path):
    text, expected = CONFIGS[case]
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    err = _one_line(_run(["-m", "policyqa.assistant", "config"], {"ASSISTANT_CONFIG": str(config)}))
    assert err.startswith("error: ") and expected in err
    assert str(config) in err


def test_missing_config_file_and_misspelt_variable(tmp_path):
    missing = tmp_path / "nowhere.toml"
    err = _one_line(_run(["-m", "policyqa.assistant", "config"], {"ASSISTANT_CONFIG": str(missing)}))
    assert err == f"error: config file {missing} (named by ASSISTANT_CONFIG) not found"
    err = _one_line(_run(["-m", "policyqa.assistant", "config"], {"ASSISTANT_LLM_MODLE": "qwen2.5"}))
    assert "unknown setting 'modle' in [llm]" in err


def test_other_programs_variables_are_not_settings(tmp_path):
    result = _run(
        ["-m", "policyqa.assistant", "config"],
        {"ASSISTANT_SOMETHING_ELSE": "1", "ASSISTANT_HOME": "/tmp", "ASSISTANT_LLM_MODEL": "qwen2.5"},
    )
    assert result.returncode == 0, result.stderr
    assert "model = 'qwen2.5'" in result.stdout


@pytest.mark.parametrize("port", ["99999", "-1", "0"])
def test_invalid_ui_port(port):
    err = _one_line(_run(["app.py", "--port", port], {}))
    assert (
        err == f"error: UI port {port} is not a valid port number (1-65535); set --port or ASSISTANT_UI_PORT"
    )


def test_busy_ui_port():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        err = _one_line(_run(["app.py"], {"ASSISTANT_UI_PORT": str(port)}))
    assert err.startswith(f"error: UI port {port} on 127.0.0.1 is already in use")


@pytest.mark.parametrize("given", ["USERNAME", "PASSWORD"])
def test_half_a_login_refuses_to_start(given):
    err = _one_line(_run(["app.py", "--port", str(free_port())], {f"ASSISTANT_UI_{given}": "operator"}))
    assert err.startswith(f"error: only ASSISTANT_UI_{given} is set")


def test_unreachable_chroma_server_stops_ingest_and_app_before_embedding(
    mini_corpus, isolated_data_dir, monkeypatch
):
    port = free_port()  # nothing listens there
    env = {
        "ASSISTANT_CHROMA_MODE": "server",
        "ASSISTANT_CHROMA_PORT": str(port),
        "ASSISTANT_INDEX_CORPUS_DIR": str(mini_corpus),
    }
    err = _one_line(_run(["-m", "policyqa.assistant", "ingest"], env))
    assert err.startswith(f"error: cannot reach the Chroma server at 127.0.0.1:{port}")
    assert "ASSISTANT_CHROMA_MODE=embedded" in err
    assert not (isolated_data_dir / "index").exists()  # no partial generation folders
    assert not (isolated_data_dir / "embeddings.sqlite").exists()  # nothing was embedded
    err = _one_line(_run(["app.py", "--port", str(free_port())], env))
    assert err.startswith(f"error: cannot reach the Chroma server at 127.0.0.1:{port}")

    # In-process: the embedder is never built.
    settings = make_settings(isolated_data_dir, mini_corpus)
    settings.chroma.mode, settings.chroma.port = "server", port
    monkeypatch.setattr(ingest_module, "build_embedder", lambda *a, **k: pytest.fail("must not embed"))
    with pytest.raises(StoreUnavailable):
        ingest(settings, progress=False)
