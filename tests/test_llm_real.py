"""The real-model tier: the pinned local 0.5B model (Qwen2.5-Coder, Q4_K_M) served by xllamacpp, asked a
handful of questions on the real corpus through the ordinary LLM settings. Asserts on what the model
really writes. Skipped, with the reason, only when the ``local-llm`` extra is not installed.

Greedy decoding (temperature 0) on a fixed prompt makes the outputs repeatable; the prompt is kept
short (3 paragraphs, 96 new tokens) so the tier takes a few minutes on 2 cores.
"""

from __future__ import annotations

import pytest
from policyqa.assistant.claims import check_claim
from policyqa.assistant.localllm import MODELS, LocalServer, missing_requirements
from policyqa.core.text import CITATION_MARK, strip_marks
from policyqa.evals.metrics import text_claims

MODEL = MODELS["0.5b"]
_missing = missing_requirements(MODEL)
pytestmark = [
    pytest.mark.llm_real,
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(_missing),
        reason=f"local-llm extra not installed (pip install -e '.[local-llm]'): {_missing[:2]}",
    ),
]


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    with LocalServer("0.5b", tmp_path_factory.mktemp("local-llm")) as server:
        yield server


@pytest.fixture(scope="module")
def local_assistant(real_index, real_snapshot, local_server):
    from policyqa.assistant.pipeline import PolicyAssistant
    from policyqa.core.clients import chat_llm

    settings = real_index.model_copy(deep=True)
    settings.llm.base_url = local_server.base_url
    settings.llm.model = MODEL.name
    settings.llm.max_tokens = 96
    settings.llm.prompt_paragraphs = 3
    settings.llm.max_retries = 0
    settings.llm.timeout_s = 600
    return PolicyAssistant(settings, real_snapshot, llm=chat_llm(settings.llm))


def _assert_every_shown_claim_is_grounded(answer):
    by_n = {c.n: c for c in answer.citations}
    for content, markers in text_claims(answer.text):
        cited = [(f"{by_n[n].doc_title}\n{by_n[n].section}", by_n[n].text) for n in markers if n in by_n]
        if markers:
            assert check_claim(content, cited).supported, content
    assert all(
        strip_marks(line).strip(" 、,，") for line in answer.text.splitlines() if CITATION_MARK.search(line)
    )


def test_the_model_cites_in_our_format_and_citations_are_parsed(local_assistant):
    answer = local_assistant.ask("长沙市职业技能大赛多久举办一次？")
    assert CITATION_MARK.search(answer.generated_text)  # the real model wrote [n] markers
    assert answer.backend == f"llm:{MODEL.name}" and not answer.fallback
    assert "每年举办1届" in answer.text
    prompt_ids = [r.id for r in answer.retrieved[:3]]
    assert answer.citations
    for citation in answer.citations:  # [n] is the n-th paragraph of the prompt
        assert citation.id == prompt_ids[citation.n - 1]
        assert f"[{citation.n}]" in answer.text
    assert any("每年举办1届长沙市职业技能大赛" in c.text for c in answer.citations)
    _assert_every_shown_claim_is_grounded(answer)


def test_a_bare_marker_answer_is_no_answer_and_the_offline_one_is_shown(local_assistant):
    answer = local_assistant.ask("长沙一共发了多少张社保卡？")
    assert answer.generated_text.startswith("[1]、[2]")
    assert not strip_marks(answer.generated_text).strip("、，, \n")  # nothing but markers
    assert answer.fallback == "no content beyond markers, headers or frames"
    assert answer.backend == "extractive" and "614.2万张" in answer.text
    assert "[1]、[2]" not in answer.text
    _assert_every_shown_claim_is_grounded(answer)


def test_unanswerable_question_is_refused(local_assistant):
    answer = local_assistant.ask("个人所得税起征点是多少？")
    assert answer.refused and answer.text.startswith("所提供的政策文件中没有找到相关内容")
    assert answer.citations == []


def test_streaming_through_the_ui_handler(local_assistant, real_index, tmp_path):
    from policyqa.assistant.chat import AssistantHolder, ChatState, respond, safe_text

    settings = real_index.model_copy(deep=True)
    settings.data_dir = tmp_path / "ui-data"
    holder = AssistantHolder(settings, local_assistant)
    steps = list(respond("长沙市职业技能大赛多久举办一次？", [], "answer", "", ChatState(), holder))
    streamed = [step[0][-1]["content"] for step in steps[:-1]]
    assert len(streamed) > 2 and all(b.startswith(a) for a, b in zip(streamed, streamed[1:], strict=False))
    history, sources, status, _, state, _ = steps[-1]
    assert 'class="cite" href="#src-' in history[-1]["content"]
    assert "每年举办1届" in history[-1]["content"]
    assert safe_text(MODEL.name) in status
    assert state.last.backend == f"llm:{MODEL.name}"
    assert "每年举办1届长沙市职业技能大赛" in sources
