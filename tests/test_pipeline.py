"""The offline (extractive) pipeline on the real corpus: the right paragraph is cited, the figure is there."""

from __future__ import annotations

import json

import pytest
from conftest import CHANGSHA, XIANGTAN
from policyqa.assistant.answer import REFUSAL
from policyqa.assistant.cli import main as cli_main
from policyqa.assistant.pipeline import MAX_QUESTION_CHARS, PolicyAssistant, QuestionError


@pytest.fixture(scope="module")
def assistant(real_index, real_snapshot):
    return PolicyAssistant(real_index, real_snapshot)


def _cited_texts(answer) -> str:
    return "\n".join(c.text for c in answer.citations)


def test_numeric_question_puts_the_figure_first_and_cites_its_paragraph(assistant):
    answer = assistant.ask("长沙城区的最低工资标准是多少？")
    assert not answer.refused and answer.backend == "extractive"
    assert "1700元/月" in answer.text.split("\n")[0] or "1700元/月" in answer.text.split("\n")[1]
    first = answer.citations[0]
    assert first.doc_id == CHANGSHA and "最低工资标准分别提高到1700元/月" in first.text
    assert first.section == "第一章 发展基础和面临形势 > 第一节 发展基础"
    assert first.doc_number == "长政办发〔2021〕73号" and first.doc_date == "2021-12-31"
    assert "长政办发〔2021〕73号" in answer.text  # the answer names its document
    assert "规划中的数字是编制时的情况或规划期目标" in answer.text
    assert set(answer.timings_ms) >= {"condense", "retrieve", "answer", "ground", "total"}
    assert not answer.grounding.changed


def test_table_question_reaches_the_row_with_unit_and_target(assistant):
    answer = assistant.ask("长沙失业保险参保人数2025年的目标是多少？")
    assert answer.text.startswith("长沙市：失业保险参保人数（2025年目标）：212.7万人[1]")
    assert answer.citations[0].kind == "table_row"
    assert "专栏2" in answer.citations[0].section


def test_five_year_totals_keep_their_note(assistant):
    answer = assistant.ask("长沙十四五城镇新增就业人数的规划目标是多少？")
    assert "［75］万人" in answer.text  # bracketed 5-year total, shown so it is not a citation marker
    assert "[]内为5年累计数" in answer.text


def test_section_question_lists_the_chapter(assistant):
    answer = assistant.ask("长沙规划第五章讲什么？")
    assert answer.citations[0].kind == "outline"
    assert "第五章 构筑创新创业人才高地" in answer.text and "第三节 壮大技能人才队伍" in answer.text
    box = assistant.ask("专栏6下面有哪几项？")
    for item in [
        "1.技工教育提质工程",
        "2.高技能人才振兴计划",
        "3.技能人才评价改革",
        "4.职业技能竞赛引领计划",
    ]:
        assert item in box.text


@pytest.mark.parametrize(
    ("question", "part", "not_part"),
    [
        # 社会保障 is said all over a 人力资源和社会保障 plan; the chapter titled with it is where it is treated
        ("长沙规划里讲社会保障的是哪一章？", "第四章 健全多层次社会保障体系", "第九章"),
        # a part of many sections whose title says nothing of it (三、重点任务): its one section that does
        ("湘潭规划里劳动关系在哪个部分", "(四)着力构建和谐劳动关系", "(一)不断提高就业质量和水平"),
        # a section title one level down says it, though one hit sits in 二、指导思想和主要目标
        ("湘潭规划里就业在哪个部分", "(一)不断提高就业质量和水平", "二、指导思想和主要目标"),
        # no title says 工伤保险: the chapter its paragraphs sit in, named (not a section without an outline)
        ("长沙规划里讲工伤保险的是哪一章？", "第四章 健全多层次社会保障体系", "第九章"),
    ],
)
def test_which_part_treats_a_topic_answers_with_that_parts_outline(assistant, question, part, not_part):
    answer = assistant.ask(question)
    assert answer.citations[0].kind == "outline"
    assert part in answer.text and not_part not in answer.text


def test_which_part_of_the_people_is_no_question_about_a_documents_parts(assistant):
    from policyqa.assistant.query import analyse

    assert not analyse("长沙哪个部分的人群可以享受创业补贴？", {}).locate
    assert not analyse("哪一部分人可以领取失业保险金？", {}).locate
    answer = assistant.ask("长沙哪个部分的人群可以享受创业补贴？")
    assert answer.citations[0].kind != "outline" and "一次性创业补贴" in answer.text


def test_constraint_indicator_question_lists_both_rows(assistant):
    answer = assistant.ask("约束性指标有哪些？")
    assert "失业保险参保人数" in answer.text and "工伤保险参保人数" in answer.text
    assert all("约束性" in c.text for c in answer.citations)


def test_comparison_cites_both_documents(assistant):
    answer = assistant.ask("长沙和湘潭的失业保险金标准分别是最低工资的多少？")
    docs = {c.doc_id for c in answer.citations}
    assert docs == {CHANGSHA, XIANGTAN}
    assert "90%" in answer.text
    assert "《长沙市" in answer.text and "《湘潭市" in answer.text


def test_place_in_question_scopes_the_search(assistant):
    answer = assistant.ask("湘潭城区最低工资标准是多少？")
    assert {c.doc_id for c in answer.citations} == {XIANGTAN}
    assert "1700元/月" in answer.text


def test_follow_up_carries_the_topic_to_the_new_place(assistant):
    history = [
        {"role": "user", "content": "长沙城区最低工资标准是多少？"},
        {"role": "assistant", "content": "…"},
    ]
    answer = assistant.ask("那湘潭呢？", history=history)
    assert answer.rewritten_question == "湘潭城区最低工资标准是多少？"
    assert answer.citations[0].doc_id == XIANGTAN and "1700元/月" in answer.text


def test_follow_up_changes_the_year(assistant):
    history = [{"role": "user", "content": "长沙失业保险参保人数2020年是多少？"}]
    answer = assistant.ask("那到2025年呢？", history=history)
    assert "2025" in answer.rewritten_question and "失业保险参保人数" in answer.rewritten_question
    assert "212.7" in answer.text


def test_follow_up_with_a_pronoun_keeps_the_earlier_subject(assistant):
    history = [("长沙市职业技能大赛多久举办一次？", "每2年举办1届[1]")]  # (user, assistant) pairs work too
    answer = assistant.ask("它每年能带动多少人参加？", history=history)
    assert "5万人" in answer.text


@pytest.mark.parametrize(
    "question", ["2024年长沙养老金涨了多少？", "个人所得税起征点是多少？", "岳阳的人社十四五规划有什么目标？"]
)
def test_unanswerable_questions_are_refused_with_suggestions(assistant, question):
    answer = assistant.ask(question)
    assert answer.refused and answer.diagnostics["refusal_reason"]
    # Either nothing was found, or the answer says what the documents do not state (未载明) first.
    assert answer.text.startswith(REFUSAL) or answer.text.startswith("所提供的政策文件未载明")
    assert answer.suggestions and all(s.startswith("《") for s in answer.suggestions)


def test_reply_draft_is_polite_grounded_and_cited(assistant):
    answer = assistant.ask("我是湘潭的应届大学生，政府有什么就业帮助吗？", mode="reply")
    assert answer.text.startswith("您好")
    assert "如需办理具体业务，请咨询当地人力资源和社会保障部门" in answer.text
    assert answer.citations and all(c.doc_id == XIANGTAN for c in answer.citations)
    assert "高校毕业生" in answer.text and not answer.grounding.changed
    refusal = assistant.ask("长沙的公积金贷款额度最高多少？", mode="reply")
    assert refusal.refused and refusal.text.startswith("您好")
    assert REFUSAL in refusal.text or "未载明" in refusal.text


def test_document_filter_limits_citations(assistant):
    answer = assistant.ask("高校毕业生就业有哪些措施？", doc=XIANGTAN)
    assert {c.doc_id for c in answer.citations} == {XIANGTAN}
    with pytest.raises(QuestionError):
        assistant.ask("高校毕业生就业有哪些措施？", doc="no-such-doc")


@pytest.mark.parametrize("question", ["", "   \n\t", "🙂🙂🙂", "\x00\x07"])
def test_empty_or_content_free_questions_get_a_clear_error(assistant, question):
    with pytest.raises(QuestionError) as info:
        assistant.ask(question)
    assert info.value.zh  # a Chinese message for the UI


def test_overlong_question_is_truncated_with_a_notice(assistant):
    answer = assistant.ask("长沙城区最低工资标准是多少？" + "请详细说明。" * 400)
    assert any(str(MAX_QUESTION_CHARS) in n for n in answer.notices)
    assert len(answer.question) == MAX_QUESTION_CHARS


def test_streaming_yields_growing_text_then_the_answer(assistant):
    events = list(assistant.stream("湘潭对高校毕业生就业有哪些措施？"))
    deltas = [e for e in events if e.kind == "delta"]
    assert len(deltas) > 2 and events[-1].kind == "answer"
    assert "".join(e.text for e in deltas).strip() == events[-1].answer.text.strip()


def test_cli_ask_json_has_the_documented_fields(real_index, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(real_index.data_dir))
    assert cli_main(["ask", "--json", "长沙城区最低工资标准是多少？"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"answer", "refused", "backend", "citations", "retrieved", "grounding", "timings_ms"} <= set(data)
    citation = data["citations"][0]
    assert {"n", "id", "doc_title", "doc_number", "section", "text"} <= set(citation)
    assert {"id", "score", "section", "text"} <= set(data["retrieved"][0])


def test_cli_batch_questions_one_json_line_each(real_index, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(real_index.data_dir))
    batch = tmp_path / "q.jsonl"
    lines = [
        {"id": "a", "question": "长沙城区最低工资标准是多少？"},
        {
            "id": "b",
            "question": "那湘潭呢？",
            "history": [{"role": "user", "content": "长沙城区最低工资标准是多少？"}],
        },
        {"id": "c", "question": "   "},
        {"id": "d", "question": "湘潭有哪些措施？", "mode": "reply", "doc": XIANGTAN},
    ]
    batch.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n", encoding="utf-8"
    )
    code = cli_main(["ask", "--questions", str(batch)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 3  # some lines failed, the others were answered
    assert [r.get("id") for r in records] == ["a", "b", "c", "d", None]
    assert "1700元/月" in records[0]["answer"] and records[1]["citations"][0]["doc_title"].startswith("湘潭")
    assert "error" in records[2] and "error" in records[4]
    assert records[3]["mode"] == "reply"


def test_cli_ask_builds_the_index_when_missing(tmp_path, capsys, monkeypatch, mini_corpus):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setenv("ASSISTANT_INDEX_CORPUS_DIR", str(mini_corpus))
    assert cli_main(["ask", "测试市每年安排多少就业补助资金？"]) == 0
    captured = capsys.readouterr()
    assert "building it from the corpus first" in captured.err
    assert "2000万元" in captured.out


def test_cli_batch_mode_flag_applies_to_lines_without_their_own(real_index, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(real_index.data_dir))
    batch = tmp_path / "q.jsonl"
    lines = [
        {"id": "a", "question": "长沙城区最低工资标准是多少？"},
        {"id": "b", "question": "长沙城区最低工资标准是多少？", "mode": "answer"},
    ]
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    assert cli_main(["ask", "--json", "--mode", "reply", "--questions", str(batch)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["mode"] for r in records] == ["reply", "answer"]
    assert "[1]" not in records[0]["draft"] and records[0]["draft"].startswith("您好")
    assert records[1]["draft"] == "" and "[1]" in records[1]["answer"]
