"""What an answer is: text with [n] markers plus the cited paragraphs as data.

The UI, the CLI and the eval only render or score these objects; nothing downstream re-parses
formatted text to find out what was cited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

REFUSAL = "所提供的政策文件中没有找到相关内容"


@dataclass
class Citation:
    n: int
    id: str
    doc_id: str
    doc_title: str
    doc_number: str
    doc_date: str
    section: str
    text: str
    section_id: str = ""
    kind: str = "paragraph"
    highlight: list[str] = field(default_factory=list)  # sentences of `text` the answer relies on

    @property
    def number_and_date(self) -> str:
        """'（长政办发〔2021〕73号，2021-12-31）'; a missing field is left out, never shown as unknown."""
        known = [x for x in (self.doc_number, self.doc_date) if x]
        return f"（{'，'.join(known)}）" if known else ""


@dataclass
class RetrievedParagraph:
    id: str
    score: float
    doc_id: str
    section: str
    text: str
    kind: str = "paragraph"
    sources: list[str] = field(default_factory=list)  # which retrievers found it: dense, sparse, section


@dataclass
class GroundingReport:
    checked_sentences: int = 0
    removed_sentences: list[str] = field(default_factory=list)
    unsupported_numbers: list[str] = field(default_factory=list)
    invalid_markers: list[int] = field(default_factory=list)
    no_content: bool = False  # the answer held nothing but markers, headers, frames or connectives
    noise_removed: int = 0  # of removed_sentences, bare markers and echoed headers (not claims)

    @property
    def changed(self) -> bool:
        return bool(self.removed_sentences or self.unsupported_numbers or self.invalid_markers)


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[RetrievedParagraph] = field(default_factory=list)
    refused: bool = False
    backend: str = "extractive"
    mode: str = "answer"
    rewritten_question: str = ""
    suggestions: list[str] = field(default_factory=list)  # nearest sections, shown with a refusal
    grounding: GroundingReport = field(default_factory=GroundingReport)
    notices: list[str] = field(default_factory=list)  # e.g. question truncated, LLM fell back
    diagnostics: dict = field(default_factory=dict)
    fallback: str = ""  # why the LLM answer was replaced by the extractive one (empty when it was not)
    draft: str = ""  # reply mode: the draft as sent to the citizen (no [n] markers, no table syntax)
    timings_ms: dict[str, float] = field(default_factory=dict)
    generated_text: str = ""  # what the LLM wrote, before grounding (empty for extractive answers)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["answer"] = data.pop("text")
        data["grounding"]["changed"] = self.grounding.changed
        return data
