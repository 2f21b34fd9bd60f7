"""Load test: concurrent chat sessions against a running app, from a separate process.

    python -m evals.load --start --sessions 20 --pairs 2          # start app.py itself on a free port
    python -m evals.load --url http://127.0.0.1:7860 --sweep 1,5,10,20,40

Each session (its own gradio_client, so its own server-side state) asks a question and then a
follow-up that only makes sense with *its own* history ("那湘潭呢？"). Every conversation is first
run alone; under load, a follow-up whose answer differs from its solo answer counts as cross-talk
(the pipeline is deterministic, so any difference means state leaked between sessions). Requests are
bounded (sessions × pairs × 2) and every call has a timeout. Prints a table; --json for data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from policyqa.evals.servers import start_app, wait_until_ready

# (question, follow-up): each follow-up only makes sense with its own conversation's history.
CONVERSATIONS = [
    ("长沙城区最低工资标准是多少？", "那湘潭呢？"),
    ("湘潭十三五期间城镇新增就业多少人？", "长沙呢？"),
    ("长沙的社保卡发了多少张？", "电子社保卡呢？"),
    ("湘潭高校毕业生就业率是多少？", "那新增就业呢？"),
    ("长沙累计减免了多少社保费？", "稳岗返还拨付了多少？"),
]


@dataclass
class LevelResult:
    sessions: int
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    crossed: int = 0
    answers: dict = field(default_factory=dict)  # follow-up → answer, from the solo run
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None

    def row(self) -> dict:
        lat = self.latencies_ms
        return {
            "sessions": self.sessions,
            "requests": self.requests,
            "errors": len(self.errors),
            "cross_talk": self.crossed,
            "throughput_rps": round(self.requests / self.seconds, 2) if self.seconds else None,
            "p50_ms": round(float(np.percentile(lat, 50)), 1) if lat else None,
            "p95_ms": round(float(np.percentile(lat, 95)), 1) if lat else None,
            "rss_before_mb": self.rss_before_mb,
            "rss_after_mb": self.rss_after_mb,
        }


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _session(url: str, index: int, pairs: int, timeout: float, result: LevelResult, solo: dict) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False, httpx_kwargs={"timeout": timeout})
    for pair in range(pairs):
        question, follow_up = CONVERSATIONS[(index + pair) % len(CONVERSATIONS)]
        history: list = []
        for turn, text in enumerate((question, follow_up)):
            started = time.perf_counter()
            try:
                out = client.predict(text, history, "answer", "", api_name="/chat")
            except Exception as exc:  # every failure counts, whatever its kind
                result.errors.append(f"session {index}: {exc.__class__.__name__}: {str(exc)[:120]}")
                return
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.requests += 1
            history = out[0]
            if turn == 1 and solo and history[-1]["content"] != solo[follow_up]:
                result.crossed += 1
            if turn == 1 and not solo:
                result.answers[follow_up] = history[-1]["content"]
        client.reset_session()  # a new conversation: server-side state starts empty again


def solo_answers(url: str, timeout: float) -> dict:
    """Every conversation once, alone: the reference answers for the cross-talk check."""
    result = LevelResult(1)
    for i in range(len(CONVERSATIONS)):
        _session(url, i, 1, timeout, result, {})
    if result.errors:
        raise RuntimeError(f"solo run failed: {result.errors[0]}")
    return result.answers


def run_level(
    url: str, sessions: int, pairs: int, timeout: float, pid: int | None, solo: dict
) -> LevelResult:
    result = LevelResult(sessions, rss_before_mb=rss_mb(pid))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        for i in range(sessions):
            pool.submit(_session, url, i, pairs, timeout, result, solo)
    result.seconds = time.perf_counter() - started
    result.rss_after_mb = rss_mb(pid)
    return result


def print_table(rows: list[dict]) -> None:
    cols = [
        "sessions",
        "requests",
        "errors",
        "cross_talk",
        "throughput_rps",
        "p50_ms",
        "p95_ms",
        "rss_before_mb",
        "rss_after_mb",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: start one with --start)")
    parser.add_argument("--start", action="store_true", help="start app.py on a free loopback port")
    parser.add_argument("--data-dir", help="ASSISTANT_DATA_DIR for the started app")
    parser.add_argument("--pid", type=int, help="pid of the app, for memory figures (known with --start)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=1, help="question + follow-up pairs per session")
    parser.add_argument("--sweep", help="comma-separated session counts, e.g. 1,5,10,20,40")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.url and not args.start:
        parser.error("give --url or --start")
    proc = None
    url, pid = args.url, args.pid
    if args.start:
        url, proc = start_app(args.data_dir)
        wait_until_ready(url)
        pid = proc.pid
    try:
        levels = [int(x) for x in args.sweep.split(",")] if args.sweep else [args.sessions]
        solo = solo_answers(url, args.timeout)
        rows = []
        for sessions in levels:
            result = run_level(url, sessions, args.pairs, args.timeout, pid, solo)
            rows.append(result.row())
            for error in result.errors[:5]:
                print(f"error: {error}", file=sys.stderr)
        print(json.dumps(rows, ensure_ascii=False) if args.json else "", end="")
        if not args.json:
            print_table(rows)
        return 0 if all(r["errors"] == 0 and r["cross_talk"] == 0 for r in rows) else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
