"""A running app and the index changing under it: it follows CURRENT between requests, releases
old generations, says so in the status line, never blames the corpus for a damaged index; login
backoff; feedback that cannot be written."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import make_settings
from policyqa.assistant.chat import AssistantHolder, ChatState, give_feedback, index_problem_zh, respond
from policyqa.assistant.login import FREE_FAILURES, LoginGuard, TooManyAttempts, login_pair
from policyqa.assistant.pipeline import PolicyAssistant
from policyqa.evals.servers import start_app, wait_until_ready
from policyqa.index.ingest import ingest
from policyqa.index.store import IndexDamaged, index_root, open_index

CEMO = "cemo-city-employment-plan"
SHIXIAN = "shixian-social-insurance-guide"
SHIXIAN_Q = "失业保险金标准是多少？"
CEMO_Q = "测试市每年安排多少就业补助资金？"


def _last(holder, question):
    return list(respond(question, [], "answer", "", ChatState(), holder))[-1]


def _cited_docs(sources_html: str) -> set[str]:
    return set(re.findall(r"《([^》]+)》", sources_html))


def test_holder_switches_to_a_new_generation_between_requests(mini_corpus, isolated_data_dir, caplog):
    caplog.set_level(logging.INFO, logger="policyqa.assistant.chat")
    settings = make_settings(isolated_data_dir, mini_corpus)
    holder = AssistantHolder(settings, poll_s=3600).start()  # the start-up ingest builds the index
    assert holder.wait(300) is not None
    first = holder.generation
    progress = [r.getMessage() for r in caplog.records if "building the index" in r.getMessage()]
    assert progress[0].startswith("building the index: 30 paragraphs to embed")
    assert "building the index: 30/30 paragraphs embedded" in progress
    assert re.fullmatch(r"building the index: (\d+)/\1 sentences embedded", progress[-1])
    assert holder.status == "就绪"
    _, sources, status, *_ = _last(holder, SHIXIAN_Q)
    assert "示例县社会保险经办服务指南" in _cited_docs(sources) and "索引已更新" not in status

    (mini_corpus / f"{SHIXIAN}.txt").unlink()
    second = ingest(settings, progress=False).generation
    history, sources, status, *_ = _last(holder, SHIXIAN_Q)  # the request notices the new CURRENT
    assert holder.generation == second
    assert "示例县社会保险经办服务指南" not in _cited_docs(sources)
    assert "索引已更新" in status and "1 个文件" in status
    assert f"switched to index generation {second} (1 documents" in caplog.text
    # The old generation is no longer leased: the next ingest removes it.
    (mini_corpus / "extra.txt").write_text("一、附加\n补充说明。\n", encoding="utf-8")
    third = ingest(settings, progress=False)
    assert not (index_root(settings) / first).exists()
    assert third.kept_in_use == [second]  # the holder still answers from it until the next request


def test_a_damaged_new_generation_keeps_the_old_one_answering(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    holder = AssistantHolder(settings, PolicyAssistant(settings, open_index(settings)), poll_s=3600)
    first = holder.generation
    (mini_corpus / "extra.txt").write_text("一、附加\n补充说明。\n", encoding="utf-8")
    second = ingest(settings, progress=False).generation
    (index_root(settings) / second / "paragraphs.jsonl").write_text("{", encoding="utf-8")
    history, sources, status, *_ = _last(holder, CEMO_Q)
    assert holder.generation == first
    assert "2000万元" in history[-1]["content"]
    assert "新索引无法打开，继续使用原索引。索引文件已损坏（paragraphs.jsonl has 1 bytes" in status
    assert "python &#45;m assistant ingest 修复" in status and "corpus" not in status


def test_ui_names_a_damaged_index_not_the_corpus(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    generation = ingest(settings, progress=False).generation
    (index_root(settings) / generation / "term_df.json").write_text("{}", encoding="utf-8")
    settings.index.corpus_dir = mini_corpus / "gone"  # the start-up ingest cannot repair it
    holder = AssistantHolder(settings, poll_s=3600).start()
    assert holder.wait(300) is None
    assert holder.error.startswith("索引文件已损坏（term_df.json has 2 bytes")
    assert "corpus" not in holder.error
    history = list(respond(CEMO_Q, [], "answer", "", ChatState(), holder))[-1][0]
    assert history[-1]["content"].startswith("索引文件已损坏")
    assert index_problem_zh(IndexDamaged("g1", "bm25/ is missing")).startswith(
        "索引文件已损坏（bm25/ is missing）"
    )


def test_feedback_that_cannot_be_written_is_reported_and_kept(mini_corpus, isolated_data_dir, tmp_path):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    holder = AssistantHolder(settings, PolicyAssistant(settings, open_index(settings)))
    state = _last(holder, CEMO_Q)[4]
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the data directory should be", encoding="utf-8")
    holder.settings = settings.model_copy(update={"data_dir": blocked / "data"})
    message, box = give_feedback("down", "数字不对", state, holder)
    assert message.startswith("反馈未能保存（服务器的数据目录无法写入）")
    assert box == "数字不对"


def test_login_pair_and_backoff_per_client():
    assert login_pair(None, None) is None
    assert login_pair("staff", "pw") == ("staff", "pw")
    with pytest.raises(ValueError, match="only ASSISTANT_UI_PASSWORD is set"):
        login_pair(None, "pw")
    now = [1000.0]
    guard = LoginGuard("staff", "pw", clock=lambda: now[0])
    for _ in range(FREE_FAILURES):
        assert guard.check("10.0.0.1", "staff", "wrong") is False
    with pytest.raises(TooManyAttempts) as info:
        guard.check("10.0.0.1", "staff", "pw")  # even the right password waits
    assert info.value.wait_s == 1.0
    assert guard.check("10.0.0.2", "staff", "pw") is True  # another client is not affected
    now[0] += 1.0
    assert guard.check("10.0.0.1", "staff", "wrong") is False  # 4th failure: 2 s
    with pytest.raises(TooManyAttempts) as info:
        guard.check("10.0.0.1", "staff", "pw")
    assert info.value.wait_s == 2.0
    now[0] += 2.0
    assert guard.check("10.0.0.1", "staff", "pw") is True  # success clears the count
    assert guard.check("10.0.0.1", "staff", "wrong") is False


@pytest.mark.slow
def test_running_app_follows_reingests_without_restart(mini_corpus, isolated_data_dir, tmp_path):
    """The issue's scenario with real processes: `python app.py`, then edits and `ingest` runs."""
    import httpx
    from gradio_client import Client

    auth = ("staff", "s3cret-pass")
    env = {
        "ASSISTANT_INDEX_CORPUS_DIR": str(mini_corpus),
        "ASSISTANT_UI_USERNAME": auth[0],
        "ASSISTANT_UI_PASSWORD": auth[1],
    }
    log = tmp_path / "app.log"
    url, proc = start_app(isolated_data_dir, env, log_path=log)
    try:
        assert wait_until_ready(url, 300, auth=auth)
        client = Client(url, auth=auth, verbose=False)
        settings = make_settings(isolated_data_dir, mini_corpus)
        first = (index_root(settings) / "CURRENT").read_text().strip()
        answers = []

        def ask(question):
            data = client.predict(question, "answer", "", api_name="/ask")
            answers.append(data)
            return data

        def until(question, condition):
            for _ in range(120):  # the app checks for a new index every 2 s
                if condition(ask(question)):
                    return True
                time.sleep(0.5)
            return False

        assert SHIXIAN in {c["doc_id"] for c in ask(SHIXIAN_Q)["citations"]}
        cli_env = {**os.environ, **env}
        (mini_corpus / f"{SHIXIAN}.txt").unlink()
        done = subprocess.run(
            [sys.executable, "-m", "policyqa.assistant", "ingest", "--quiet"],
            env=cli_env,
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
        assert until(SHIXIAN_Q, lambda a: SHIXIAN not in {c["doc_id"] for c in a["citations"]})

        doc = mini_corpus / f"{CEMO}.txt"
        doc.write_text(doc.read_text(encoding="utf-8").replace("2000万元", "3000万元"), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "policyqa.assistant", "ingest", "--quiet"],
            env=cli_env,
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
        assert not (index_root(settings) / first).exists()  # released by the app, removed by the ingest
        assert until(CEMO_Q, lambda a: "3000万元" in a["answer"])
        assert all("error" not in a and a["answer"] for a in answers)  # never an error meanwhile
        text = log.read_text(encoding="utf-8")
        assert text.count("switched to index generation") == 2
        assert "Traceback" not in text

        # Failed logins from one client are slowed down after three tries.
        codes = [
            httpx.post(
                f"{url}/login", data={"username": "staff", "password": "guess"}, timeout=10
            ).status_code
            for _ in range(FREE_FAILURES + 1)
        ]
        assert codes == [400] * FREE_FAILURES + [429]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_app_start_waits_for_a_running_ingest(mini_corpus, isolated_data_dir):
    from filelock import FileLock

    settings = make_settings(isolated_data_dir, mini_corpus)
    isolated_data_dir.mkdir(parents=True)
    lock = FileLock(isolated_data_dir / "ingest.lock")
    lock.acquire()  # an ingest elsewhere holds the writer lock
    try:
        holder = AssistantHolder(settings, poll_s=3600).start()
        for _ in range(600):
            if holder.status == "另一个索引更新正在进行，等待它完成……":
                break
            time.sleep(0.05)
        assert holder.status == "另一个索引更新正在进行，等待它完成……" and holder.loading
    finally:
        lock.release()
    assert holder.wait(300) is not None and holder.status == "就绪"


def test_an_answer_failing_on_a_damaged_index_names_it(mini_corpus, isolated_data_dir):
    from policyqa.assistant.chat import api_ask
    from policyqa.index.store import chroma_client, collection_name

    settings = make_settings(isolated_data_dir, mini_corpus)
    generation = ingest(settings, progress=False).generation
    holder = AssistantHolder(settings, PolicyAssistant(settings, open_index(settings)))
    chroma_client(settings).delete_collection(collection_name(generation))  # the store lost it under the app
    history = _last(holder, CEMO_Q)[0]
    assert history[-1]["content"].startswith("索引文件已损坏（its vector collection cannot be read")
    data = api_ask(CEMO_Q, "answer", "", holder)
    assert data["error"].startswith("answering failed (") and data["message"].startswith("索引文件已损坏")
