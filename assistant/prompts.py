"""Prompt and answer templates live in prompts/*.j2; rendered with undefined variables as errors."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta

# prompts/ beside assistant/: the repo folder in a checkout, the data package policyqa/prompts when installed.
PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # plain text for models and answers; the UI escapes what it shows
    )


def render(name: str, **variables) -> str:
    return _environment().get_template(f"{name}.j2").render(**variables).strip()


def template_names() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.j2"))


def template_variables(name: str) -> set[str]:
    source = (PROMPTS_DIR / f"{name}.j2").read_text(encoding="utf-8")
    return meta.find_undeclared_variables(_environment().parse(source))
