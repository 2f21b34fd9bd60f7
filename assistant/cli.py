"""`python -m assistant <command>`: thin subcommands over the library. Help text is the documentation."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from policyqa.core.settings import ConfigError, Settings, describe, load_settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _settings() -> Settings:
    return load_settings()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings (secrets masked)."""
    print(describe(settings))
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Build or update the index from the corpus folder."""
    from policyqa.index.ingest import NothingToIndex, ingest
    from policyqa.index.leases import IngestBusy
    from policyqa.index.store import StoreUnavailable

    try:
        summary = ingest(
            settings,
            Path(args.corpus) if args.corpus else None,
            progress=not args.quiet,
            wait=not args.no_wait,
            on_wait=lambda message: _stderr(message + " (--no-wait exits instead)"),
        )
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IngestBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except PermissionError as exc:
        print(
            f"error: cannot write to the data directory {settings.data_dir}: {exc.strerror} ({exc.filename})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except (FileExistsError, NotADirectoryError) as exc:
        print(
            f"error: the data directory {settings.data_dir} is not a folder ({exc.filename})", file=sys.stderr
        )
        return EXIT_USAGE
    except NothingToIndex as exc:
        print(exc.summary.render(), file=sys.stderr)
        print(
            "error: no document in the corpus could be indexed; the previous index is unchanged",
            file=sys.stderr,
        )
        return EXIT_ERROR
    print(summary.render())
    return EXIT_PARTIAL if summary.skipped else EXIT_OK


def render_answer_text(answer) -> str:
    """The answer followed by its cited paragraphs, for people reading a terminal."""
    lines = [answer.text, ""]
    for notice in answer.notices:
        lines.append(f"! {notice}")
    if answer.citations:
        lines.append("引用段落：")
    for c in answer.citations:
        lines.append(f"[{c.n}] 《{c.doc_title}》{c.number_and_date}{c.section}")
        lines.append(f"    {c.text}")
    lines.append(f"({answer.backend}; {answer.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines)


def _answer_record(answer, item_id=None) -> dict:
    data = answer.to_dict()
    data["id"] = item_id
    return data


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer a question (or a JSONL file of questions) with cited paragraphs."""
    import json

    from policyqa.assistant.pipeline import PolicyAssistant, QuestionError
    from policyqa.index.store import IndexDamaged, IndexMissing, StoreUnavailable, current_generation

    if args.corpus:
        settings.index.corpus_dir = Path(args.corpus)
    if current_generation(settings) is None:
        print("no index yet: building it from the corpus first…", file=sys.stderr)
    try:
        assistant = PolicyAssistant.from_settings(settings, progress=True)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (IndexMissing, IndexDamaged, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.questions:
        return _ask_many(assistant, Path(args.questions), mode=args.mode, doc=args.doc)
    if args.question is None:
        print("error: give a question, or --questions FILE.jsonl", file=sys.stderr)
        return EXIT_USAGE
    try:
        answer = assistant.ask(args.question, doc=args.doc, mode=args.mode)
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(_answer_record(answer), ensure_ascii=False, indent=1))
    else:
        print(render_answer_text(answer))
    return EXIT_OK


def _ask_many(assistant, path: Path, mode: str = "answer", doc: str | None = None) -> int:
    """One JSON answer per input line; a bad line gets an error record and the rest still run.

    ``mode`` and ``doc`` (from --mode/--doc) apply to every line that does not set its own."""
    import json

    from policyqa.assistant.pipeline import QuestionError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or "question" not in item:
                raise ValueError("each line needs an object with a 'question'")
            answer = assistant.ask(
                item["question"], item.get("history"), item.get("doc", doc), item.get("mode", mode)
            )
            record = _answer_record(answer, item.get("id"))
        except (ValueError, QuestionError) as exc:
            failures += 1
            item_id = item.get("id") if isinstance(item, dict) else None
            record = {"id": item_id, "line": number, "error": str(exc)}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return EXIT_PARTIAL if failures else EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run the eval set, write report.json + report.md, and apply the regression gate."""
    import json

    from policyqa.assistant.pipeline import PolicyAssistant
    from policyqa.evals.dataset import DEFAULT_SETS, EvalSetError, load_eval_set
    from policyqa.evals.runner import (
        BASELINE_FILE,
        check_gate,
        load_gate,
        run_items,
        summarise,
        write_reports,
    )

    if args.llm_local:
        return _eval_local(args, settings)
    if args.corpus:  # another corpus gets its own index beside the main one, which stays untouched
        corpus = Path(args.corpus)
        if not corpus.is_dir():
            print(f"error: corpus folder not found: {corpus}", file=sys.stderr)
            return EXIT_USAGE
        settings.index.corpus_dir = corpus
        settings.data_dir = settings.data_dir / "eval-corpora" / corpus.resolve().name
        from policyqa.index.ingest import ingest

        ingest(settings, progress=not args.quiet)
    assistant = PolicyAssistant.from_settings(settings, progress=True)
    paths = [Path(p) for p in args.set] if args.set else list(DEFAULT_SETS)
    try:
        items = load_eval_set(assistant.snapshot.paragraphs, paths, args.split)
    except (EvalSetError, OSError) as exc:
        print(f"error: eval set {', '.join(map(str, paths))}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit:
        items = items[: args.limit]
    judge = None
    if assistant.llm is not None:
        from policyqa.evals.judge import LLMJudge

        judge = LLMJudge(assistant.llm, settings.llm.model, settings.data_dir / "judge-cache.sqlite")
    else:
        print(
            "LLM judge skipped: no LLM configured (set ASSISTANT_LLM_MODEL for LLM-judged faithfulness and "
            "correctness); offline metrics only.",
            file=sys.stderr,
        )
    results = run_items(assistant, items, progress=not args.quiet, judge=judge)
    config = {
        "backend": assistant.backend_name,
        **settings.retrieval.model_dump(),
        "eval_set": ", ".join(p.name for p in paths),
        "split": args.split or "all",
    }
    summary = summarise(results, config)
    baseline_path = Path(args.baseline) if args.baseline else BASELINE_FILE
    baseline = json.loads(baseline_path.read_text(encoding="utf-8")) if baseline_path.exists() else None
    if args.corpus and not args.baseline:
        baseline = None  # the default baseline is the bundled corpus's; only the absolute floors apply
    gate = check_gate(summary, baseline if not args.update_baseline else None, load_gate())
    report_dir = Path(args.report) if args.report else settings.data_dir / "eval-report"
    write_reports(results, summary, gate, report_dir)
    from policyqa.evals.runner import metrics_table

    print(metrics_table(summary["metrics"]))
    for name, data in summary["slices"].items():
        print(f"\nslice {name}:")
        print(metrics_table(data["metrics"]))
    if judge is not None:
        judged = summary["metrics"]["all"]
        print(
            f"LLM judge ({settings.llm.model}, {judge.calls} new calls): faithfulness "
            f"{judged.get('judged_faithfulness')}, correctness {judged.get('judged_correctness')}"
        )
    print(f"report: {report_dir / 'report.md'}")
    if args.update_baseline:
        baseline_path.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"baseline updated: {baseline_path}")
    if not gate.passed:
        print("eval gate FAILED:", file=sys.stderr)
        for failure in gate.failures:
            print(f"  - {failure}", file=sys.stderr)
        return EXIT_ERROR
    print("eval gate passed")
    return EXIT_OK


def _eval_local(args: argparse.Namespace, settings: Settings) -> int:
    """The eval set against the pinned local model(s) and the offline answers, one table (no gate)."""
    import json

    from policyqa.assistant.localllm import LocalModelError
    from policyqa.evals import local_eval
    from policyqa.evals.dataset import DEFAULT_SET, EvalSetError, load_eval_set
    from policyqa.index.store import open_index

    path = Path(args.set) if args.set else DEFAULT_SET
    try:
        counts = (
            [int(n) for n in args.prompt_paragraphs.split(",")]
            if args.prompt_paragraphs
            else [settings.llm.prompt_paragraphs]
        )
        from policyqa.assistant.pipeline import PolicyAssistant

        PolicyAssistant.from_settings(settings, progress=not args.quiet)  # builds the index when missing
        items = load_eval_set(open_index(settings).paragraphs, path, args.split)
    except (EvalSetError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit:  # spread over the set (it is ordered by type), so every type is represented
        items = items[:: max(1, len(items) // args.limit)][: args.limit]
    models = ["0.5b", "1.5b"] if args.model == "both" else [args.model]
    try:
        report = local_eval.run(settings, items, models, counts, args.judge_items, progress=not args.quiet)
    except LocalModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    report_dir = Path(args.report) if args.report else settings.data_dir / "eval-report"
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "llm-local.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    with (report_dir / "llm-local-claims.jsonl").open("w", encoding="utf-8") as out:
        for claims in report["claims"].values():
            out.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in claims)
    table = local_eval.render(report)
    (report_dir / "llm-local.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"report: {report_dir / 'llm-local.md'}")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Measure speed and quality of the system and its alternatives side by side (prints a table and JSON)."""
    import json

    from policyqa.evals.bench import render, run

    if args.scale:
        from policyqa.evals.bench import run_scale

        sizes = [int(n) for n in args.scale.split(",")]
        report = run_scale(sizes, args.modes.split(","))
    else:
        report = run(quick=args.quick)
    print(render(report))
    out = Path(args.json) if args.json else settings.data_dir / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nJSON: {out}")
    return EXIT_OK


def cmd_llm(args: argparse.Namespace, settings: Settings) -> int:
    """Serve a pinned local model (needs the local-llm extra) over an OpenAI-compatible API on 127.0.0.1."""
    from policyqa.assistant.localllm import LocalModelError, serve

    try:
        serve(args.model, settings.data_dir, args.port, parallel=args.parallel, threads=args.threads)
    except LocalModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="政策问答助手: answers questions about policy documents with cited paragraphs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("config", help=cmd_config.__doc__, description=cmd_config.__doc__)
    p.set_defaults(func=cmd_config)
    p = sub.add_parser(
        "ingest",
        help=cmd_ingest.__doc__,
        description=cmd_ingest.__doc__
        + " Exit code 0: done; 3: done but some files were skipped; 1: nothing indexed.",
    )
    p.add_argument("--corpus", help="corpus folder (default: settings index.corpus_dir, i.e. corpus/)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="if another ingest is running on the same data dir, exit (code 1) instead of waiting for it",
    )
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("ask", help=cmd_ask.__doc__, description=cmd_ask.__doc__)
    p.add_argument("question", nargs="?", help="the question, in Chinese")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.add_argument("--corpus", help="corpus folder to build the index from when there is none yet")
    p.add_argument("--doc", help="only search this document id")
    p.add_argument(
        "--mode", choices=["answer", "reply"], default="answer", help="answer, or a reply draft for a citizen"
    )
    p.add_argument(
        "--questions",
        help='JSONL file, one {"id","question","history"?,"doc"?,"mode"?} per line; prints one JSON answer per line',
    )
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser(
        "eval", help=cmd_eval.__doc__, description=cmd_eval.__doc__ + " Exit code 1 when the gate fails."
    )
    p.add_argument(
        "--set",
        action="append",
        help="eval set JSONL, repeatable (default: evals/questions.jsonl and the hotline slice evals/hotline.jsonl)",
    )
    p.add_argument(
        "--corpus",
        help="evaluate against this corpus folder (indexed under <data_dir>/eval-corpora/<name>), e.g. "
        "--set evals/other_kinds.jsonl --corpus tests/data/other_kinds",
    )
    p.add_argument(
        "--split", choices=["dev", "test", "all"], default=None, help="only this split (default: all)"
    )
    p.add_argument("--baseline", help="baseline JSON to compare with (default evals/baseline.json)")
    p.add_argument("--update-baseline", action="store_true", help="write this run as the new baseline")
    p.add_argument("--report", help="folder for report.json and report.md (default <data_dir>/eval-report)")
    p.add_argument(
        "--limit",
        type=int,
        help="only N questions (smoke runs): the first N, or N spread over types with --llm-local",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--llm-local",
        action="store_true",
        help="run against the pinned local model(s) (local-llm extra) beside the offline answers; no gate",
    )
    p.add_argument(
        "--model", choices=["0.5b", "1.5b", "both"], default="1.5b", help="local model(s) for --llm-local"
    )
    p.add_argument(
        "--prompt-paragraphs",
        help="with --llm-local: comma-separated paragraph counts to compare (default: llm.prompt_paragraphs)",
    )
    p.add_argument(
        "--judge-items",
        type=int,
        default=60,
        help="with --llm-local: labelled grounding claims the model's LLM judge is scored on (0: none)",
    )
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("bench", help=cmd_bench.__doc__, description=cmd_bench.__doc__)
    p.add_argument("--quick", action="store_true", help="reduced run (under two minutes) for smoke tests")
    p.add_argument("--json", help="where to write the JSON report (default <data_dir>/bench.json)")
    p.add_argument("--scale", help="only the scale benchmark at these sizes, e.g. 300 or 20,100,300")
    p.add_argument(
        "--modes", default="embedded", help="stores for --scale: embedded, server or embedded,server"
    )
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("llm", help=cmd_llm.__doc__, description=cmd_llm.__doc__)
    llm_sub = p.add_subparsers(dest="llm_command", required=True)
    p = llm_sub.add_parser(
        "serve",
        help="assemble and verify the pinned GGUF (cached under <data_dir>/models/) and serve it",
        description="Assemble and verify the pinned GGUF (cached under <data_dir>/models/<sha256>.gguf) and "
        "serve it on 127.0.0.1 until interrupted. Then set ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL "
        "as printed.",
    )
    p.add_argument(
        "--model", choices=["0.5b", "1.5b"], default="0.5b", help="which pinned model (default 0.5b)"
    )
    p.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (default 8081)")
    p.add_argument("--parallel", type=int, default=1, help="concurrent requests (slots); default 1")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    p.set_defaults(func=cmd_llm)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        settings = _settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args, settings)
    except Exception as exc:  # index and store failures of any command: one line, not a traceback
        from policyqa.index.store import IndexDamaged, StoreUnavailable

        if isinstance(exc, StoreUnavailable):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, IndexDamaged):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        raise


if __name__ == "__main__":
    raise SystemExit(main())
