"""Local servers on free loopback ports, for tests, the load test and the benchmarks: a `chroma run`
server and `python app.py`. Nothing here is used by the app itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 30, proc: subprocess.Popen | None = None) -> bool:
    """True once 127.0.0.1:port accepts connections; False on timeout or if ``proc`` exits first."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def start_chroma_server(path: Path | str) -> tuple[subprocess.Popen, int]:
    """`chroma run` (the CLI the chromadb wheel ships) on a free port, persisting under ``path``."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port(port, 30, proc):
        proc.kill()
        raise RuntimeError("chroma server did not start")
    return proc, port


def start_app(
    data_dir: Path | str | None, extra_env: dict | None = None, log_path: Path | None = None
) -> tuple[str, subprocess.Popen]:
    """`python app.py` on a free port (environment cleared of ASSISTANT_*/OPENAI_* unless given);
    returns once the port accepts connections (the index may still be opening: see ``app_ready``)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=str(REPO))
    if data_dir:
        env["ASSISTANT_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    out = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 (lives as long as the app)
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    if not wait_for_port(port, 120, proc):
        proc.kill()
        detail = Path(log_path).read_text(encoding="utf-8")[-2000:] if log_path else ""
        raise RuntimeError(f"app.py did not start {detail}")
    return f"http://127.0.0.1:{port}", proc


def app_ready(url: str, auth: tuple[str, str] | None = None) -> bool:
    """True once the app answers through its API (its index is open)."""
    from gradio_client import Client

    try:
        data = Client(url, auth=auth, verbose=False).predict(
            "长沙城区最低工资标准是多少？", "answer", "", api_name="/ask"
        )
        return "answer" in data
    except Exception:  # not up yet, whatever the client raises
        return False


def wait_until_ready(url: str, timeout_s: float = 300, auth: tuple[str, str] | None = None) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if app_ready(url, auth):
            return True
        time.sleep(0.5)
    return False
