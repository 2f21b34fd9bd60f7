"""The grounding check run on every answer, whichever backend wrote it.

Each sentence must be supported by the paragraphs its [n] markers cite (character-bigram overlap,
which works for Chinese without a tokenizer), every number in it must occur in a cited paragraph or
in the cited documents' metadata (title, 文号, date), and each figure must keep its own context there
(unit, period, indicator: see ``claims.py``), its places, domain terms and negations too. Sentences
that fail are removed and listed in the report; markers pointing at nothing are dropped. Connective
sentences without numbers ("主要措施如下：") may stand uncited. Echoed source headers (《title》
section) and bare markers are not claims: an answer made only of them, frames and connectives has
no content (``GroundingReport.no_content``).
"""

from __future__ import annotations

import re

from policyqa.assistant.answer import REFUSAL, Citation, GroundingReport
from policyqa.assistant.claims import SUPPORT_THRESHOLD, bigrams, check_claim, is_header_echo, support
from policyqa.core.text import (
    CITATION_MARK,
    chinese_numbers_in,
    numbers_in,
    split_sentences,
    strip_marks,
)

UNCITED_MAX_CHARS = 24
# Fixed wording of answer frames (source line, courtesy, caveats, refusal): allowed without citation.
FRAME_PATTERN = re.compile(
    r"^(据|根据|依据|按照)《|^(您好|你好|感谢|谢谢|如需|如有|以上|以下为|说明|温馨提示|注[:：]|祝您|此致|另外，?如|关于您|经查询)|"
    + re.escape(REFUSAL)
)
_CONTENT_CHARS = re.compile(r"[\w\u3400-\u9fff]")
__all__ = ["FRAME_PATTERN", "SUPPORT_THRESHOLD", "bigrams", "ground", "support"]


def _numbers(text: str) -> set[str]:
    return numbers_in(text) | chinese_numbers_in(text)


def _line_sentences(text: str) -> list[tuple[int, str, list[int]]]:
    """(line, sentence, markers it answers to). An unmarked sentence takes the markers of the next
    marked sentence on its line: writers (and models) often cite once at the end of a span."""
    out = []
    for line_no, line in enumerate(text.split("\n")):
        sentences = split_sentences(line, strong_only=True) if line.strip() else []
        inherited: list[int] = []
        for sentence in reversed(sentences):
            own = [int(m.group(1)) for m in CITATION_MARK.finditer(sentence)]
            inherited = own or inherited
            out.append((line_no, sentence, own or inherited))
        out[len(out) - len(sentences) :] = reversed(out[len(out) - len(sentences) :])
    return out


def ground(
    text: str,
    citations: list[Citation],
    metadata_text: str = "",
    trusted_labels: bool = False,
    question: str = "",
) -> tuple[str, GroundingReport]:
    """Return the answer with unsupported sentences removed, and what was removed and why.

    ``trusted_labels``: the answer is the offline one, whose first line opens with a place-and-period
    label computed from the cited paragraph's document and section (长沙市“十三五”时期：…); that label is
    not checked as a claim. A model's answer gets no such allowance."""
    report = GroundingReport()
    by_n = {c.n: c for c in citations}
    allowed_numbers = _numbers(metadata_text)
    kept_lines: dict[int, list[str]] = {}
    line_count = len(text.split("\n"))
    claims = 0
    for line_no, sentence, markers in _line_sentences(text):
        report.checked_sentences += 1
        kept = _check_sentence(sentence, markers, by_n, allowed_numbers, report, trusted_labels, question)
        if kept is not None:
            kept_lines.setdefault(line_no, []).append(kept)
            claims += _is_claim(kept)
    lines = ["".join(kept_lines.get(i, [])) for i in range(line_count)]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    report.no_content = claims == 0 and len(report.removed_sentences) == report.noise_removed
    return cleaned, report


def _is_claim(sentence: str) -> bool:
    """A kept sentence that says something: cited, and not a frame (据《…》, 您好, the refusal)."""
    content = strip_marks(sentence).strip()
    return bool(CITATION_MARK.search(sentence)) and not FRAME_PATTERN.search(content)


def _check_sentence(
    sentence: str,
    markers: list[int],
    by_n: dict[int, Citation],
    allowed: set[str],
    report: GroundingReport,
    trusted_labels: bool = False,
    question: str = "",
) -> str | None:
    """Keep, or drop and report, one sentence. ``markers`` include those inherited from later on its line."""
    own = [int(m.group(1)) for m in CITATION_MARK.finditer(sentence)]
    invalid = [n for n in own if n not in by_n]
    if invalid:
        report.invalid_markers.extend(invalid)
        sentence = CITATION_MARK.sub(lambda m: m.group(0) if int(m.group(1)) in by_n else "", sentence)
    content = strip_marks(sentence).strip()
    if content.strip("、，,；;。 ") and not _CONTENT_CHARS.search(content):
        return sentence  # a closing bracket and its marker, split off the sentence before: "）[1]"
    if not content or not _CONTENT_CHARS.search(content):
        if own:
            report.removed_sentences.append(sentence.strip())  # bare markers: "[1] [2] [3]"
            report.noise_removed += 1
        return None
    sources_all = list(by_n.values())
    # a chapter's outline quoted whole (its section titles are the content asked for) is no header echo
    quoted = any(
        by_n[n].kind == "outline" and content.rstrip("。；;") in by_n[n].text for n in own if n in by_n
    )
    if not quoted and is_header_echo(
        content, [f"{c.doc_title}\n{c.section}\n{c.doc_number}\n{c.doc_date}" for c in sources_all]
    ):
        if FRAME_PATTERN.search(content):
            return sentence  # "据《…》第三章：" frames the answer; it is no claim
        report.removed_sentences.append(content)  # an echoed source header is not a claim
        report.noise_removed += 1
        return None
    numbers = _numbers(content)
    all_source_numbers = set().union(*(_numbers(c.text) for c in by_n.values())) if by_n else set()
    if not own:
        if FRAME_PATTERN.search(content):  # 据《…》/您好/如需办理…: fine unless it slips in a figure
            stray = numbers - allowed - all_source_numbers
            return _reject(content, stray, report) if stray else sentence
        if not numbers and len(content) <= UNCITED_MAX_CHARS:
            return sentence  # a connective or heading-like line
    valid = [n for n in (own or markers) if n in by_n]
    if not valid:
        return _reject(content, numbers - allowed, report)
    verdict = check_claim(
        content,
        [(f"{by_n[n].doc_title}\n{by_n[n].section}", by_n[n].text) for n in valid],
        allowed,
        strip_label=trusted_labels,
        question=question,
    )
    if not verdict.supported:
        return _reject(content, verdict.bad_numbers, report)
    return sentence


def _reject(content: str, bad_numbers: set[str], report: GroundingReport) -> None:
    report.unsupported_numbers.extend(sorted(bad_numbers))
    report.removed_sentences.append(content)
    return None
