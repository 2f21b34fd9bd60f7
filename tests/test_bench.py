"""The benchmark's own parts (the benchmark itself is a script: `python -m assistant bench`)."""

from __future__ import annotations

import tomllib

from policyqa.evals.bench import make_synthetic_corpus, render


def test_synthetic_corpus_has_distinct_documents_and_places(tmp_path):
    make_synthetic_corpus(tmp_path, 5)
    texts = sorted(tmp_path.glob("*.txt"))
    metas = [tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted(tmp_path.glob("*.meta.toml"))]
    assert len(texts) == 5 and len({m["region"] for m in metas}) == 5
    assert all(m["title"].startswith(m["region"]) for m in metas)
    assert (
        len({p.read_text(encoding="utf-8") for p in texts}) == 5
    )  # distinct, so none is skipped as a duplicate


def test_report_renders_every_section():
    stat = {"median": 1.0, "p95": 2.0, "min": 0.5, "max": 3.0, "n": 3}
    report = {
        "machine": "2 cores",
        "when": "now",
        "mode": "quick",
        "ingest": {
            "units": 10,
            "cold_s": stat,
            "warm_s": stat,
            "embedder_only_s": stat,
            "warm_over_cold": 0.01,
            "pipeline_overhead_over_embedder": 0.1,
            "embed_units_per_s": 20.0,
        },
        "query": {
            "retrieve_ms": stat,
            "floor_ms": stat,
            "retrieve_p95_over_floor_p95": 1.2,
            "answer_total_ms": stat,
        },
        "cli": {"ask_process_s": stat},
        "scale": [
            {
                "docs": 20,
                "mode": "embedded",
                "units": 100,
                "ingest_s": 1.0,
                "units_per_s": 100.0,
                "open_s": 0.5,
                "retrieve_ms": stat,
                "retrieve_ms_by_type": {"unscoped": stat, "scoped": stat, "compare": stat},
                "answer_ms": stat,
                "peak_rss_mb": 400.0,
            }
        ],
        "quality": {
            "this system": {
                "numeric": {"hit@5": 0.9, "citation_precision": 0.8, "fact_recall": 0.85},
                "unanswerable": {"refusal_rate_unanswerable": 0.75},
            }
        },
    }
    text = render(report)
    assert "| pipeline overhead over embedder | 10.0% |" in text
    assert "| 20 | embedded | 100 |" in text
    assert "| numeric | 0.90 / 0.80 / 0.85 |" in text and "refusal 0.75" in text
    assert "| docs | store | unscoped | scoped | compare |" in text
    assert "| 20 | embedded | 1 / 2 | 1 / 2 | 1 / 2 |" in text
    scale_only = render({k: report[k] for k in ("machine", "when", "mode", "scale")})
    assert "| 20 | embedded | 100 |" in scale_only and "Quality" not in scale_only


def test_comparison_questions_are_in_the_scale_benchmark():
    from policyqa.evals.bench import SCALE_QUESTIONS

    assert set(SCALE_QUESTIONS) == {"unscoped", "scoped", "compare"}
    assert any("分别" in q and "示范" not in q for q in SCALE_QUESTIONS["compare"])  # names no place
