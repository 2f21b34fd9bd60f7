"""OpenAI-compatible embeddings and an HTTP reranker, against the local fake fake_openai."""

from __future__ import annotations

from conftest import make_settings
from policyqa.assistant.pipeline import PolicyAssistant
from policyqa.index.ingest import ingest
from policyqa.index.store import open_index
from pydantic import SecretStr


def test_openai_compatible_embeddings_are_batched_and_used_for_queries(
    fake_openai, mini_corpus, isolated_data_dir
):
    settings = make_settings(isolated_data_dir, mini_corpus)
    settings.embed.backend = "openai"
    settings.embed.base_url = fake_openai.url
    settings.embed.model = "bge-m3"
    settings.embed.api_key = SecretStr("sk-embed-key")
    settings.index.embed_batch_size = 8
    summary = ingest(settings, progress=False)
    batches = [r["input"] for r in fake_openai.requests if "input" in r]
    # paragraphs, then their sentences (for the answerer), each in batches of 8; then one query
    texts = summary.embedded + summary.embedded_sentences
    assert sum(len(b) for b in batches) == texts and summary.embedded_sentences > summary.embedded
    assert all(len(b) <= 8 for b in batches)
    assert len(batches) == -(-summary.embedded // 8) - (-summary.embedded_sentences // 8)
    assert all(r["model"] == "bge-m3" for r in fake_openai.requests)
    assert fake_openai.headers[0]["Authorization"] == "Bearer sk-embed-key"
    snapshot = open_index(settings)
    assert snapshot.manifest["config"]["embed_model"] == "bge-m3"
    answer = PolicyAssistant(settings, snapshot).ask("测试市每年安排多少就业补助资金？")
    assert "2000万元" in answer.text
    # The place name is left out of the query once the search is scoped to that city's document.
    assert fake_openai.requests[-1]["input"] in (["每年安排多少就业补助资金？"], "每年安排多少就业补助资金？")


def test_reranker_reorders_candidates(fake_openai, real_index, real_snapshot):
    settings = real_index.model_copy(deep=True)
    settings.retrieval.rerank_url = fake_openai.url + "/rerank"
    fake_openai.rerank_keywords = ["技能大师工作室"]
    assistant = PolicyAssistant(settings, real_snapshot)
    answer = assistant.ask("高技能人才有哪些支持？")
    rerank_requests = [r for r in fake_openai.requests if "documents" in r]
    assert rerank_requests and rerank_requests[0]["query"] == "高技能人才有哪些支持？"
    assert "技能大师工作室" in answer.retrieved[0].text
    assert "rerank" in answer.timings_ms


def test_reranker_outage_keeps_answers_flowing(real_index, real_snapshot):
    settings = real_index.model_copy(deep=True)
    settings.retrieval.rerank_url = "http://127.0.0.1:9/v1/rerank"  # nothing listens there
    answer = PolicyAssistant(settings, real_snapshot).ask("长沙城区最低工资标准是多少？")
    assert "1700元/月" in answer.text
    assert any("重排序服务暂不可用" in n for n in answer.notices)
