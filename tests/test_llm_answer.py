"""The LLM backend against a local fake OpenAI-compatible server (real openai client, HTTP and SSE)."""

from __future__ import annotations

import json

import pytest
from conftest import CHANGSHA, XIANGTAN
from fake_openai import cite
from policyqa.assistant.answer import REFUSAL
from policyqa.assistant.pipeline import PolicyAssistant
from policyqa.core.clients import chat_llm

KEY = "sk-test-planted-key-8d1f"


@pytest.fixture
def llm_assistant(real_index, real_snapshot, fake_openai):
    settings = real_index.model_copy(deep=True)
    settings.llm.base_url = fake_openai.url
    settings.llm.model = "fake-model"
    settings.llm.api_key = __import__("pydantic").SecretStr(KEY)
    settings.llm.max_retries = 0
    return PolicyAssistant(settings, real_snapshot, llm=chat_llm(settings.llm))


def test_llm_answer_is_streamed_and_citations_are_parsed(llm_assistant, fake_openai):
    fake_openai.replies.append(lambda body: f"长沙城区最低工资标准为1700元/月[{cite(body, '1700元/月')}]。")
    events = list(llm_assistant.stream("长沙城区最低工资标准是多少？"))
    deltas = [e.text for e in events if e.kind == "delta"]
    answer = events[-1].answer
    assert len(deltas) > 1  # arrived in several SSE chunks
    assert "".join(deltas) == answer.text
    assert answer.backend == "llm:fake-model"
    assert [c.doc_id for c in answer.citations] == [CHANGSHA]
    assert "最低工资标准分别提高到1700元/月" in answer.citations[0].text
    assert answer.citations[0].highlight  # the supporting sentence is marked for the UI
    request = fake_openai.chat_requests()[-1]
    assert request["stream"] is True and request["temperature"] == 0
    assert request["model"] == "fake-model"
    assert "长政办发〔2021〕73号" in request["messages"][1]["content"]  # 文号 is given to the model
    assert fake_openai.headers[-1]["Authorization"] == f"Bearer {KEY}"
    assert KEY not in json.dumps(answer.to_dict(), ensure_ascii=False)


def test_grounding_removes_a_wrong_number_and_an_uncited_claim(llm_assistant, fake_openai):
    def reply(body):
        n = cite(body, "1700元/月")
        return (
            f"长沙城区最低工资标准为1700元/月[{n}]。"
            f"长浏宁三县（市）为1800元/月[{n}]。"
            "此外，长沙还将为每位求职者发放5000元求职补贴。"
        )

    fake_openai.replies.append(reply)
    answer = llm_assistant.ask("长沙最低工资标准是多少？")
    assert "1700元/月" in answer.text
    assert "1800" not in answer.text and "5000" not in answer.text
    assert answer.grounding.changed
    assert "1800" in answer.grounding.unsupported_numbers
    assert any("5000元求职补贴" in s for s in answer.grounding.removed_sentences)
    assert any("核查" in n for n in answer.notices)


def test_invalid_citation_numbers_are_dropped(llm_assistant, fake_openai):
    fake_openai.replies.append(
        lambda body: f"长沙城区最低工资标准为1700元/月[{cite(body, '1700元/月')}][99]。"
    )
    answer = llm_assistant.ask("长沙城区最低工资标准是多少？")
    assert "[99]" not in answer.text and answer.grounding.invalid_markers == [99]
    assert answer.citations


def test_model_refusal_is_shown_as_a_refusal_with_suggestions(llm_assistant, fake_openai):
    fake_openai.replies.append(REFUSAL + "。")
    answer = llm_assistant.ask("湘潭城镇调查失业率的目标是多少？")  # retrieval matches only weakly
    assert answer.diagnostics["best_coverage"] < 0.6
    assert answer.refused and answer.citations == []
    # Refused by the model, or already before it by the slot check (湘潭 gives no such target): 未载明.
    assert answer.text.startswith(REFUSAL) or answer.text.startswith("所提供的政策文件未载明")
    assert answer.suggestions and all(s.startswith("《") for s in answer.suggestions)


def test_model_refusal_despite_a_confident_match_shows_the_offline_answer_beside_it(
    llm_assistant, fake_openai
):
    fake_openai.replies.append(REFUSAL + "。")
    answer = llm_assistant.ask("长沙职业技能竞赛每年带动多少人？")
    assert not answer.refused and answer.backend == "extractive"
    assert "每年带动5万人" in answer.text and answer.citations
    assert answer.generated_text == REFUSAL + "。"
    assert answer.fallback == "the model refused although retrieval matched well"
    assert any(REFUSAL in n and "离线摘录" in n for n in answer.notices)


def test_unanswerable_question_is_refused_without_calling_the_model(llm_assistant, fake_openai):
    answer = llm_assistant.ask("个人所得税起征点是多少？")
    assert answer.refused
    assert fake_openai.chat_requests() == []


def test_condensing_request_carries_the_history(llm_assistant, fake_openai):
    fake_openai.replies.append("湘潭市城区最低工资标准是多少？")
    fake_openai.replies.append(
        lambda body: f"湘潭市城区最低工资达1700元/月[{cite(body, '市城区达1700元/月')}]。"
    )
    history = [
        {"role": "user", "content": "长沙城区最低工资标准是多少？"},
        {"role": "assistant", "content": "长沙城区为1700元/月[1]。"},
    ]
    answer = llm_assistant.ask("那湘潭呢？", history=history)
    condense, final = fake_openai.chat_requests()
    prompt = condense["messages"][-1]["content"]
    assert "长沙城区最低工资标准是多少？" in prompt and "那湘潭呢？" in prompt
    assert condense.get("stream") in (None, False)
    assert answer.rewritten_question == "湘潭市城区最低工资标准是多少？"
    assert answer.citations and answer.citations[0].doc_id == XIANGTAN


def test_reply_mode_asks_for_a_citizen_reply(llm_assistant, fake_openai):
    fake_openai.replies.append(
        lambda body: (
            f"您好！根据《长沙市“十四五”人力资源和社会保障事业发展规划（2021—2025年）》，"
            f"长沙城区最低工资标准为1700元/月[{cite(body, '1700元/月')}]。如需办理具体业务，请咨询当地人力资源和社会保障部门。"
        )
    )
    answer = llm_assistant.ask("我在长沙城区上班，最低工资是多少？", mode="reply")
    prompt = fake_openai.chat_requests()[-1]["messages"][1]["content"]
    assert "起草" in prompt and "您好" in prompt
    assert answer.mode == "reply" and answer.text.startswith("您好")
    assert "1700元/月" in answer.text and not answer.grounding.removed_sentences


def test_source_brackets_cannot_be_mistaken_for_citations(llm_assistant, fake_openai):
    """[75] in a table row (5-year total) reaches the model as ［75］ so it is not a marker."""
    fake_openai.replies.append(lambda body: f"十四五期间城镇新增就业目标为75万人[{cite(body, '75万人')}]。")
    llm_assistant.ask("长沙十四五期间城镇新增就业目标是多少？")
    prompt = fake_openai.chat_requests()[-1]["messages"][1]["content"]
    assert "［75］万人" in prompt and "[75]" not in prompt


def test_an_answer_of_markers_and_echoed_headers_is_no_answer(llm_assistant, fake_openai):
    def reply(body):
        n = cite(body, "1700元/月")
        return f"[1] [2] [3]\n[{n}] 《长沙市“十四五”人力资源和社会保障事业发展规划（2021—2025年）》第二章 > 第三节"

    fake_openai.replies.append(reply)
    answer = llm_assistant.ask("长沙城区最低工资标准是多少？")
    assert answer.fallback == "no content beyond markers, headers or frames"
    assert answer.backend == "extractive" and "1700元/月" in answer.text
    assert "[1] [2] [3]" in answer.generated_text and "[1] [2] [3]" not in answer.text
