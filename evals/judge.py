"""LLM-judged faithfulness and correctness, for runs where an LLM is configured.

Prompts are Chinese (prompts/judge_*.j2) and the verdict parser reads 是/否 (and 对/错, 正确/错误,
yes/no) from the first line, so a judge that answers “是的。” counts as yes. Responses are cached
in SQLite by the hash of model + prompt: re-running an unchanged eval costs no calls.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from policyqa.assistant.answer import Answer
from policyqa.assistant.prompts import render

_YES = re.compile(r"^[\s\W]*(是|对|正确|符合|有依据|yes|true)", re.IGNORECASE)
_NO = re.compile(r"^[\s\W]*(否|不是|不对|错|不正确|不符合|没有依据|无依据|no|false)", re.IGNORECASE)


def parse_verdict(text: str) -> bool | None:
    """True for 是, False for 否, None when the judge said neither (counted as unjudged)."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    first = re.sub(r"^(答案|结论|判断|回答)\s*[:：]\s*", "", first)
    if _NO.match(first):
        return False
    if _YES.match(first):
        return True
    return None


class JudgeCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS judgements (key TEXT PRIMARY KEY, response TEXT)")

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT response FROM judgements WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, response: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO judgements VALUES (?, ?)", (key, response))


class LLMJudge:
    def __init__(self, llm, model_name: str, cache_path: Path):
        self.llm = llm
        self.model_name = model_name
        self.cache = JudgeCache(cache_path)
        self.calls = 0

    def _ask(self, prompt: str) -> str:
        key = hashlib.sha256(f"{self.model_name}\n{prompt}".encode()).hexdigest()
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        self.calls += 1
        response = self.llm.complete(prompt).text
        self.cache.put(key, response)
        return response

    def judge(self, question: str, answer: Answer, facts: list[str]) -> dict:
        """{'faithful': bool|None, 'correct': bool|None} for one answered question."""
        faithful = parse_verdict(
            self._ask(render("judge_faithfulness", citations=answer.citations, answer=answer.text))
        )
        correct = None
        if facts:
            correct = parse_verdict(
                self._ask(render("judge_correctness", question=question, facts=facts, answer=answer.text))
            )
        return {"faithful": faithful, "correct": correct}
