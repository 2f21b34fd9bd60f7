"""Wording of reply drafts for citizens: greeting, closing line, thanks for the channel.

The words are profile data (profiles/<name>/reply.toml); the channel (电话, 网络留言, or neutral) is a
setting, because 12345 answers calls, web messages and app messages alike.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from policyqa.assistant.slots import DEFAULT_PROFILE, PROFILES_DIR

CHANNELS = ("neutral", "phone", "web")


@dataclass(frozen=True)
class ReplyWording:
    greeting: str
    closing: str  # after an answer: where to handle the business
    not_stated_closing: str  # after "文件未载明…"
    thanks: str


@lru_cache(maxsize=8)
def reply_wording(channel: str = "neutral", path: Path | None = None) -> ReplyWording:
    path = path or PROFILES_DIR / DEFAULT_PROFILE / "reply.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    department = data.get("department", "相关部门")
    thanks = data.get("thanks", {})
    return ReplyWording(
        greeting=data.get("greeting", "您好！"),
        closing=data.get("closing", "").format(department=department),
        not_stated_closing=data.get("not_stated_closing", "").format(department=department),
        thanks=thanks.get(channel, thanks.get("neutral", "")),
    )
