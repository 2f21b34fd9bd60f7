"""UI handlers without a browser: streaming, sources panel, modes, filter, feedback, escaping."""

from __future__ import annotations

import json
import threading

import pytest
from conftest import CHANGSHA, XIANGTAN
from policyqa.assistant.chat import (
    AssistantHolder,
    ChatState,
    answer_html,
    build_ui,
    doc_choices,
    documents_html,
    give_feedback,
    new_chat,
    respond,
    safe_text,
)
from policyqa.assistant.feedback import append_feedback, read_feedback
from policyqa.assistant.pipeline import PolicyAssistant


@pytest.fixture
def holder(real_index, real_snapshot, tmp_path):
    settings = real_index.model_copy(deep=True)
    settings.data_dir = tmp_path / "ui-data"  # feedback goes here; the index stays where it was built
    assistant = PolicyAssistant(real_index, real_snapshot)
    return AssistantHolder(settings, assistant)


def _run(holder, question, mode="answer", doc="", state=None, history=None):
    return list(respond(question, history or [], mode, doc, state or ChatState(), holder))


def test_streaming_grows_the_answer_then_fills_the_sources(holder):
    steps = _run(holder, "湘潭对高校毕业生就业有哪些措施？")
    texts = [step[0][-1]["content"] for step in steps]
    assert len(steps) > 2
    streamed = texts[:-1]  # the last step re-renders the whole answer with linked markers
    assert len(set(streamed)) == len(streamed) > 2  # every step shows more…
    assert all(b.startswith(a) for a, b in zip(streamed, streamed[1:], strict=False))  # …of the same text
    history, sources, status, draft, state, box = steps[-1]
    assert 'class="cite" href="#src-0-1"' in history[-1]["content"]
    assert 'id="src-0-1"' in sources and "2.高校毕业生就业促进行动" in sources
    assert "<mark>" in sources  # the supporting sentence is highlighted
    assert "阅读所在章节全文" in sources
    assert "离线摘录模式" in status
    assert box == "" and draft == ""  # the question box is cleared; no draft in 政策查询 mode
    assert [t.role for t in state.turns] == ["user", "assistant"]


def test_follow_up_uses_the_session_history(holder):
    first = _run(holder, "长沙城区最低工资标准是多少？")[-1]
    second = _run(holder, "那湘潭呢？", state=first[4], history=first[0])[-1]
    history, sources, status, _, state, _ = second
    assert "湘潭市城区" in sources or "市城区达1700元/月" in sources
    # The rewrite is shown with its own answer, not in the status line far from the chat.
    assert "按上下文理解为：湘潭城区最低工资标准是多少？" in history[-1]["content"]
    assert "按上下文理解为" not in history[1]["content"]
    assert len(history) == 4 and len(state.turns) == 4


def test_each_answer_keeps_its_own_sources(holder):
    first = _run(holder, "长沙城区最低工资标准是多少？")[-1]
    second = _run(holder, "湘潭对高校毕业生就业有哪些措施？", state=first[4], history=first[0])[-1]
    history, sources, *_ = second
    # [1] of the first answer still points at the first answer's paragraph, kept in the panel (folded).
    assert 'href="#src-0-1"' in history[1]["content"] and 'href="#src-1-1"' in history[3]["content"]
    old_card = sources.split('id="src-0-1"')[1].split('<div class="src-card"')[0]
    assert "1700元/月" in old_card
    new_card = sources.split('id="src-1-1"')[1].split('<div class="src-card"')[0]
    assert "高校毕业生" in new_card and "1700元/月" not in new_card
    assert '<details class="answer-sources">' in sources


def test_section_full_text_marks_the_cited_sentence(holder):
    *_, (history, sources, *_rest) = _run(holder, "长沙城区最低工资标准是多少？")
    full_text = sources.split("阅读所在章节全文</summary>")[1].split("</details>")[0]
    assert "<mark>" in full_text and "1700元/月" in full_text.split("<mark>")[1].split("</mark>")[0]


def test_reply_mode_gives_a_copyable_draft_without_markers(holder):
    *_, (history, sources, _, draft, state, _) = _run(
        holder, "我在长沙城区上班，最低工资是多少？", mode="reply"
    )
    assert draft.startswith("您好") and "1700元/月" in draft
    assert "[1]" not in draft and "[1]" in state.last.text
    assert "指标：" not in draft and "单位：" not in draft  # no table syntax in what a citizen reads
    assert "如需办理具体业务" in draft


def test_document_filter_limits_the_sources(holder):
    *_, last = _run(holder, "高校毕业生就业有哪些措施？", doc=XIANGTAN)
    state = last[4]
    assert {c.doc_id for c in state.last.citations} == {XIANGTAN}
    labels = dict((v, k) for k, v in doc_choices(holder))
    assert set(labels) == {"", CHANGSHA, XIANGTAN} and labels[XIANGTAN].startswith("湘潭市")


def test_refusal_is_shown_as_a_refusal_with_suggestions(holder):
    *_, (history, sources, status, *_rest) = _run(holder, "个人所得税起征点是多少？")
    assert (
        "所提供的政策文件中没有找到相关内容" in history[-1]["content"] or "未载明" in history[-1]["content"]
    )
    assert "已拒答" in status and "可参考的章节" in sources and "<li>《" in sources


def test_html_and_markdown_in_a_question_are_shown_as_text(holder):
    evil = (
        '<script>alert("x")</script><img src=x onerror=alert(1)> ![t](http://example.invalid/a.png) **粗体**'
    )
    *_, (history, *_rest) = _run(holder, evil + " 长沙最低工资是多少？")
    shown = history[-2]["content"]
    assert "<script" not in shown and "<img" not in shown and "![" not in shown and "**" not in shown
    assert "&#60;script&#62;" in shown and "&#33;&#91;t&#93;" in shown


def test_empty_question_gets_a_chinese_message(holder):
    *_, (history, *_rest) = _run(holder, "   ")
    assert history[-1]["content"] == safe_text("请输入问题。")


def test_feedback_is_appended_to_the_log(holder):
    *_, last = _run(holder, "长沙城区最低工资标准是多少？")
    message, cleared = give_feedback("down", "数字需要核对", last[4], holder)
    assert "谢谢" in message and cleared == ""
    give_feedback("up", "", last[4], holder)
    records = read_feedback(holder.settings.data_dir)
    assert [r["rating"] for r in records] == ["down", "up"]
    assert (
        records[0]["comment"] == "数字需要核对" and records[0]["question"] == "长沙城区最低工资标准是多少？"
    )
    assert records[0]["citations"][0]["doc_title"].startswith("长沙市") and records[0]["time"]
    assert give_feedback("up", "", ChatState(), holder)[0].startswith("请先提问")


def test_concurrent_feedback_writes_do_not_interleave(tmp_path):
    def writer(k):
        for i in range(50):
            append_feedback(tmp_path, {"rating": "up", "comment": f"{k}-{i}-" + "长" * 3000})

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200 and all(json.loads(line)["rating"] == "up" for line in lines)


def test_new_chat_resets_everything():
    history, state, sources, status, draft, box = new_chat()
    assert history == [] and state.turns == [] and state.last is None and draft == "" and box == ""


def test_documents_tab_lists_indexed_documents(holder):
    table = documents_html(holder)
    assert "长政办发〔2021〕73号" in table and "潭政办发〔2022〕9号" in table
    assert "索引建立时间" in table


def test_answer_markers_become_links_and_text_is_escaped():
    assert answer_html("a<b>[2]") == 'a&#60;b&#62;<a class="cite" href="#src-0-2">[2]</a>'


def test_build_ui_registers_the_chat_and_api_endpoints(holder):
    app = build_ui(holder, holder.settings)
    names = {dep.get("api_name") for dep in app.config["dependencies"]}
    assert {"chat", "ask"} <= names


def test_first_index_build_reports_progress_then_answers(mini_corpus, tmp_path):
    from conftest import make_settings

    settings = make_settings(tmp_path / "fresh", mini_corpus)
    holder = AssistantHolder(settings).start()
    steps = list(respond("测试市每年安排多少就业补助资金？", [], "answer", "", ChatState(), holder))
    assert holder.ready and holder.status == "就绪"
    shown = [step[0][-1]["content"] for step in steps]
    assert any("索引" in text for text in shown[:-1])  # progress while the index is built
    assert "2000万元" in shown[-1]


def test_first_index_build_prints_progress_and_readiness_to_the_terminal(mini_corpus, tmp_path, caplog):
    import logging

    from conftest import make_settings

    caplog.set_level(logging.INFO, logger="policyqa.assistant.chat")
    settings = make_settings(tmp_path / "fresh", mini_corpus)
    holder = AssistantHolder(settings).start()
    holder.wait(300)
    logged = [r.getMessage() for r in caplog.records]
    assert "building the index: 30/30 paragraphs embedded" in logged
    assert any(m.startswith("index built: 2 documents, 30 units in ") for m in logged)
    assert logged[-1].startswith("ready: answering questions (2 documents indexed, index generation g")
    assert holder.status == "就绪"


def test_public_binding_without_login_is_warned_about():
    from policyqa.assistant.serve import public_bind_warning

    assert public_bind_warning("127.0.0.1", None) == ""
    assert public_bind_warning("0.0.0.0", ("staff", "pw")) == ""
    assert "without a login" in public_bind_warning("0.0.0.0", None)
