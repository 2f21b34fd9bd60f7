"""The load test's short form: 20 concurrent chat sessions against `python app.py`, from this process's
threads through gradio_client (the app runs in its own process)."""

from __future__ import annotations

import shutil

import pytest
from policyqa.evals.load import run_level, solo_answers
from policyqa.evals.servers import start_app, wait_until_ready

pytestmark = pytest.mark.slow


def test_twenty_concurrent_sessions_no_errors_no_cross_talk(real_index, tmp_path):
    data_dir = tmp_path / "load-data"
    shutil.copytree(real_index.data_dir, data_dir)
    url, proc = start_app(data_dir)
    try:
        assert wait_until_ready(url), "app.py never answered"
        solo = solo_answers(url, timeout=60)
        result = run_level(url, sessions=20, pairs=1, timeout=120, pid=proc.pid, solo=solo)
        row = result.row()
        assert row["requests"] == 40 and row["errors"] == 0, result.errors[:3]
        assert row["cross_talk"] == 0
        assert row["rss_after_mb"] - row["rss_before_mb"] < 150  # no runaway growth over the run
    finally:
        proc.terminate()
        proc.wait(timeout=30)
