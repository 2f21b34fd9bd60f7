"""User feedback on answers, appended to a JSONL log in the data directory.

Each record is one line written with a single write() under an exclusive file lock and fsynced,
so concurrent writers (several UI workers or processes) never interleave and a crash loses at
most the line being written. The log keeps the question, the answer, its citations, the rating,
the optional comment and the time; it never holds settings or keys.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

FILENAME = "feedback.jsonl"


def feedback_path(data_dir: Path) -> Path:
    return data_dir / FILENAME


def append_feedback(data_dir: Path, record: dict) -> dict:
    """Append one feedback record (a 'time' field is added); returns what was written."""
    data_dir.mkdir(parents=True, exist_ok=True)
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **record}
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(feedback_path(data_dir), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a writer died mid-line: start on a fresh line so this record stays whole
        os.write(fd, line)
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return entry


def read_feedback(data_dir: Path) -> list[dict]:
    """All complete records (a torn last line from a crash is skipped)."""
    path = feedback_path(data_dir)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
