"""Wording of reply drafts for citizens: greeting, where to handle the business, thanks for the channel.

The words are the profile's (``[reply]`` in profiles/<name>/profile.toml); the channel (电话, 网络留言,
or neutral) is a setting, because 12345 answers calls, web messages and app messages alike.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CHANNELS = ("neutral", "phone", "web")


@dataclass(frozen=True)
class ReplyWording:
    greeting: str
    closing: str  # after an answer: where to handle the business
    not_stated_closing: str  # after "文件未载明…"
    thanks: str


@lru_cache(maxsize=16)
def reply_wording(channel: str = "neutral", profile_folder: Path | None = None) -> ReplyWording:
    from policyqa.core.profile import DEFAULT_PROFILE, PROFILES_DIR

    folder = profile_folder or PROFILES_DIR / DEFAULT_PROFILE
    reply = tomllib.loads((folder / "profile.toml").read_text(encoding="utf-8")).get("reply", {})
    department = reply.get("department", "相关部门")
    neutral = reply.get("closing", "感谢您的咨询！")
    return ReplyWording(
        greeting=reply.get("greeting", "您好！"),
        closing=f"如需办理具体业务，请咨询{department}。",
        not_stated_closing=f"建议您咨询{department}获取准确信息。",
        thanks=reply.get(f"thanks_{channel}", neutral) if channel != "neutral" else neutral,
    )
