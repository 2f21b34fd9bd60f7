"""Comparisons retrieve once and balance per document (never one vector search per document)."""

from __future__ import annotations

import pytest
from conftest import CHANGSHA, XIANGTAN
from policyqa.assistant import retrieve


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    ["长沙和湘潭的失业保险参保人数分别是多少？", "两地对零就业家庭分别有什么政策？"],
)
def test_a_comparison_makes_one_dense_query_and_covers_each_document(real_index, monkeypatch, question):
    from policyqa.assistant.pipeline import PolicyAssistant

    calls = []
    original = retrieve.DenseRetriever._retrieve

    def counted(self, query_bundle):
        calls.append(query_bundle.query_str)
        return original(self, query_bundle)

    monkeypatch.setattr(retrieve.DenseRetriever, "_retrieve", counted)
    assistant = PolicyAssistant.from_settings(real_index)
    answer = assistant.ask(question)
    assert len(calls) == 1
    top = [r.doc_id for r in answer.retrieved[:4]]
    assert {CHANGSHA, XIANGTAN} <= set(top)
    assert {c.doc_id for c in answer.citations} == {CHANGSHA, XIANGTAN}
