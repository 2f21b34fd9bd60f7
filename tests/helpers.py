"""Small helpers shared by tests (not fixtures)."""

from __future__ import annotations

from pathlib import Path

from policyqa.index.clean import CleanReport, clean_text
from policyqa.index.loaders import load_text
from policyqa.index.parse import DocumentTree, Section, parse_document


def cleaned(path: Path) -> tuple[str, CleanReport]:
    raw, _ = load_text(path)
    return clean_text(raw)


def tree_of(path: Path, title: str = "") -> DocumentTree:
    text, _ = cleaned(path)
    return parse_document(path.stem, title or path.stem, text)


def find_section(tree: DocumentTree, title_prefix: str) -> Section:
    matches = [s for s in tree.sections() if s.title.startswith(title_prefix)]
    assert len(matches) == 1, f"{title_prefix!r}: {[s.title for s in matches]}"
    return matches[0]


def section_of_text(tree: DocumentTree, fragment: str) -> Section:
    """The section whose own paragraphs contain the fragment."""
    hits = [s for s in tree.sections() for b in s.blocks if fragment in b.text]
    assert len(hits) == 1, f"{fragment!r} found in {len(hits)} sections"
    return hits[0]
