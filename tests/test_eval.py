"""The eval set validates against the corpus, metrics score what they claim, and the gate catches regressions."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import CHANGSHA
from policyqa.assistant.answer import Answer, Citation, RetrievedParagraph
from policyqa.assistant.pipeline import PolicyAssistant
from policyqa.evals.dataset import (
    DEFAULT_SET,
    EvalItem,
    EvalSetError,
    GoldQuote,
    load_eval_set,
    read_items,
)
from policyqa.evals.metrics import fact_found, score_item
from policyqa.evals.runner import check_gate, load_gate, run_items, summarise

BLIND_SETS = sorted(p for p in DEFAULT_SET.parent.glob("hotline*.jsonl") if "raw_blind" not in p.name)


@pytest.mark.parametrize("path", BLIND_SETS, ids=[p.stem for p in BLIND_SETS])
def test_every_blind_set_resolves_against_the_corpus_as_written(real_snapshot, path):
    items = load_eval_set(real_snapshot.paragraphs, path)  # raises when a gold quote matches nothing
    assert items and all(i.gold_ids for i in items if i.answerable)
    raw = path.with_name(path.name.replace("_dev", "").replace(".jsonl", "_raw_blind.jsonl"))
    if raw.exists():  # the labelled set keeps the questions as written blind
        written = {
            json.loads(line)["question"] for line in raw.read_text(encoding="utf-8").splitlines() if line
        }
        assert {i.question for i in items} <= written


def test_committed_eval_set_is_valid_and_balanced(real_snapshot):
    items = load_eval_set(real_snapshot.paragraphs)
    types = Counter(i.type for i in items)
    assert len(items) >= 150
    assert types["unanswerable"] + sum(
        1 for i in items if i.type != "unanswerable" and not i.answerable
    ) >= 0.15 * len(items)
    assert types["followup"] >= 0.10 * len(items)
    assert {i.split for i in items} == {"dev", "test"}
    for item in items:
        assert all(g.ids for g in item.gold), item.id
        if item.type == "followup":
            assert item.history, item.id


def test_a_quote_that_is_not_in_the_corpus_is_rejected(real_snapshot, tmp_path):
    line = {
        "id": "x",
        "type": "numeric",
        "split": "dev",
        "question": "q",
        "answerable": True,
        "gold": [{"doc": CHANGSHA, "quote": "这句话不在文件里"}],
        "facts": ["1"],
    }
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="quote not found"):
        load_eval_set(real_snapshot.paragraphs, path)
    path.write_text('{"id": "y"}\nnot json\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match="missing"):
        read_items(path)


@pytest.mark.parametrize(
    ("fact", "answer", "found"),
    [
        ("1700元/月", "为１７００元／月", True),
        ("1700元/月", "为1,700元/月", True),
        ("15场", "十五场", True),
        ("28万人", "28 万人", True),
        ("212.7", "212.8万人", False),
        ("[6]", "6万人（5年累计数）", True),
        ("[6]", "到2026年", False),
        ("75万人", "175万人", False),
        ("1.5", "1.56", False),
    ],
)
def test_fact_matching_normalises_width_spacing_and_numerals(fact, answer, found):
    assert fact_found(fact, answer) is found


def test_item_scoring_counts_ranks_citations_facts_and_faithfulness():
    item = EvalItem(
        "n1", "numeric", "dev", "q", True, [GoldQuote("cs", "x", ["p2"])], ["1700元/月", "1540元/月"]
    )
    cite = Citation(
        1,
        "p2",
        "cs",
        "长沙规划",
        "长政办发〔2021〕73号",
        "2021-12-31",
        "第一章",
        "城区最低工资标准提高到1700元/月。",
    )
    wrong = Citation(2, "p9", "cs", "长沙规划", "", "", "第二章", "其他内容。")
    answer = Answer(
        "q",
        "城区最低工资标准为1700元/月[1]。其他内容[2]。另有9999元[2]。",
        citations=[cite, wrong],
        retrieved=[RetrievedParagraph("p9", 1, "cs", "", ""), RetrievedParagraph("p2", 0.5, "cs", "", "")],
    )
    result = score_item(item, answer, 12.0)
    assert result.first_gold_rank == 2
    assert result.citation_precision == 0.5 and result.citation_recall == 1.0
    assert result.fact_recall == 0.5
    assert result.unsupported_numbers == ["9999"] and not result.numeric_consistent
    assert result.answer_sentences == 3 and result.supported_sentences == 2


def test_negation_flip_is_flagged():
    item = EvalItem("m1", "measure", "dev", "q", True, [GoldQuote("cs", "x", ["p1"])], ["裁员"])
    cite = Citation(1, "p1", "cs", "t", "", "", "s", "引导企业尽量不裁员、少裁员，稳定劳动关系。")
    answer = Answer("q", "引导企业尽量裁员[1]。", citations=[cite])
    assert score_item(item, answer, 1.0).negation_flips == ["引导企业尽量裁员。"]


@pytest.fixture(scope="module")
def dev_items(real_snapshot):
    return load_eval_set(real_snapshot.paragraphs, DEFAULT_SET, "dev")[::2]  # a quick, varied subset


def test_gate_fails_when_the_pipeline_is_degraded(real_index, real_snapshot, dev_items):
    gate = load_gate()
    good = PolicyAssistant(real_index, real_snapshot)
    baseline = summarise(run_items(good, dev_items, progress=False), {"variant": "normal"})
    assert check_gate(baseline, baseline, gate).passed

    degraded_settings = real_index.model_copy(deep=True)
    degraded_settings.retrieval.top_k = 1
    degraded_settings.retrieval.dense_k = degraded_settings.retrieval.sparse_k = 1
    degraded = PolicyAssistant(degraded_settings, real_snapshot)
    worse = summarise(run_items(degraded, dev_items, progress=False), {"variant": "top-k 1"})
    result = check_gate(worse, baseline, gate)
    assert not result.passed
    assert any("fell from" in f for f in result.failures)


def test_gate_fails_when_a_hard_check_regresses(real_index, real_snapshot, dev_items, monkeypatch):
    import policyqa.assistant.extractive as extractive

    good = PolicyAssistant(real_index, real_snapshot)
    baseline = summarise(run_items(good, dev_items, progress=False), {"variant": "normal"})
    original = extractive.render_answer

    def broken(plan, mode, *args):  # an answerer that slips a wrong figure into every answer
        rendered = original(plan, mode, *args)
        rendered.text = rendered.text.replace("[1]", "，约9876万人[1]", 1)
        return rendered

    monkeypatch.setattr("policyqa.assistant.pipeline.render_answer", broken)
    monkeypatch.setattr(
        "policyqa.assistant.pipeline.PolicyAssistant._ground", lambda self, answer, evidence, mode: None
    )
    worse = summarise(run_items(good, dev_items, progress=False), {"variant": "broken"})
    result = check_gate(worse, baseline, load_gate())
    assert any("numeric_consistent passed in the baseline and fails now" in f for f in result.failures)


def test_cli_eval_writes_reports_and_exits_nonzero_on_regression(real_index, tmp_path, capsys, monkeypatch):
    from policyqa.assistant.cli import main as cli_main

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(real_index.data_dir))
    baseline = tmp_path / "baseline.json"
    args = ["eval", "--quiet", "--split", "dev", "--limit", "30", "--baseline", str(baseline)]
    assert cli_main([*args, "--update-baseline", "--report", str(tmp_path / "r1")]) == 0
    saved = json.loads(baseline.read_text(encoding="utf-8"))
    assert saved["config"]["backend"] == "extractive" and saved["metrics"]["all"]["n"] == 30
    assert (tmp_path / "r1" / "report.md").read_text(encoding="utf-8").startswith("# Eval report")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL_TOP_K", "1")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL_SPARSE_K", "1")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL_DENSE_K", "1")
    assert cli_main([*args, "--report", str(tmp_path / "r2")]) == 1
    assert "eval gate FAILED" in capsys.readouterr().err
    assert json.loads(baseline.read_text(encoding="utf-8")) == saved  # unchanged without --update-baseline


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("是", True),
        ("是的。\n所有事实都有依据", True),
        ("答案：是", True),
        ("【是】", True),
        ("正确", True),
        ("否\n第二句没有依据", False),
        ("不是", False),
        ("不正确", False),
        ("No.", False),
        ("无法判断", None),
        ("", None),
    ],
)
def test_judge_verdicts_are_read_in_chinese(text, verdict):
    from policyqa.evals.judge import parse_verdict

    assert parse_verdict(text) is verdict


def test_llm_judge_scores_and_caches(real_index, real_snapshot, tmp_path, dev_items):
    from fake_openai import FakeOpenAI
    from policyqa.core.clients import chat_llm
    from policyqa.evals.judge import LLMJudge

    server = FakeOpenAI().start()
    try:
        settings = real_index.model_copy(deep=True)
        settings.llm.base_url, settings.llm.model, settings.llm.max_retries = server.url, "judge-model", 0
        server.default = lambda body: (
            "是的。" if "全部要点" not in body["messages"][-1]["content"] else "否\n缺少要点"
        )
        judge = LLMJudge(chat_llm(settings.llm), "judge-model", tmp_path / "cache.sqlite")
        offline = PolicyAssistant(real_index, real_snapshot)  # answers offline; only the judge is an LLM
        items = dev_items[:6]
        results = run_items(offline, items, progress=False, judge=judge)
        metrics = summarise(results, {})["metrics"]["all"]
        assert metrics["judged_faithfulness"] == 1.0 and metrics["judged_correctness"] == 0.0
        calls = judge.calls
        assert calls > 0 and len(server.chat_requests()) == calls
        again = LLMJudge(chat_llm(settings.llm), "judge-model", tmp_path / "cache.sqlite")
        run_items(offline, items, progress=False, judge=again)
        assert again.calls == 0 and len(server.chat_requests()) == calls  # served from the cache
    finally:
        server.stop()


def test_cli_eval_says_the_judge_is_skipped_offline(real_index, tmp_path, capsys, monkeypatch):
    from policyqa.assistant.cli import main as cli_main

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(real_index.data_dir))
    cli_main(
        [
            "eval",
            "--quiet",
            "--limit",
            "3",
            "--baseline",
            str(tmp_path / "none.json"),
            "--report",
            str(tmp_path),
        ]
    )
    assert "LLM judge skipped" in capsys.readouterr().err


def test_direct_and_misleading_are_scored_on_the_first_line():
    from policyqa.assistant.answer import Answer
    from policyqa.evals.dataset import EvalItem
    from policyqa.evals.metrics import lead_scores

    figure = EvalItem("x", "numeric", "dev", "长沙城区最低工资是多少？", True, [], ["1700元/月"])
    right = Answer(question="q", text="长沙市“十三五”时期：城区最低工资标准提高到1700元/月[1]\n据…")
    wrong_period = Answer(question="q", text="长沙市“十四五”规划目标：最低工资标准达到2000元/月[1]")
    no_figure = Answer(question="q", text="据《长沙市…规划》：\n最低工资标准提高到1700元/月[1]")
    assert lead_scores(figure, right) == (True, True, False)
    assert lead_scores(figure, wrong_period) == (True, False, True)
    assert lead_scores(figure, no_figure) == (True, False, False)  # not direct, but not misleading
    near_miss = EvalItem("y", "unanswerable", "dev", "今年最低工资是多少？", False, [], [])
    honest = Answer(
        question="q", text="所提供的政策文件未载明2026年的最低工资标准，相关：1700元/月[1]", refused=True
    )
    blunt = Answer(question="q", text="长沙市最低工资标准为1700元/月[1]")
    assert lead_scores(near_miss, honest)[2] is False and lead_scores(near_miss, blunt)[2] is True


def test_gold_in_the_document_head_is_also_cited_by_its_metadata_card(real_snapshot, tmp_path):
    """文号 printed in the document's head: an answer citing the metadata card (<doc>:meta, the head's
    fields) cites that source; gold elsewhere in the document gets no such equivalent."""
    lines = [
        {
            "id": "h",
            "type": "numeric",
            "split": "dev",
            "question": "文号是多少？",
            "answerable": True,
            "gold": [{"doc": CHANGSHA, "quote": "长政办发〔2021〕73号"}],
            "facts": ["73号"],
        },
        {
            "id": "b",
            "type": "numeric",
            "split": "dev",
            "question": "q",
            "answerable": True,
            "gold": [{"doc": CHANGSHA, "quote": "城镇调查失业率控制在5.5%以内"}],
            "facts": ["5.5%"],
        },
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    head, body = load_eval_set(real_snapshot.paragraphs, path)
    assert f"{CHANGSHA}:meta" in head.gold[0].ids and len(head.gold[0].ids) >= 2
    assert not any(i.endswith(":meta") for i in body.gold[0].ids)
