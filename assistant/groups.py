"""Groups of people a question may be about (残疾人, 退役军人…) and the documents that mention them.

A plan that never names a group has no measure particular to it: a question about that group is told
so ("未载明…针对残疾人的专门内容"), and the nearest passages follow as related information, instead
of general measures being presented as the group's. The groups are profile data (groups.txt)."""

from __future__ import annotations


def mentions(groups: tuple[tuple[str, ...], ...], paragraphs) -> dict[str, set[str]]:
    """Each group's shown name → the documents whose text names it by any of its names."""
    out: dict[str, set[str]] = {names[0]: set() for names in groups}
    for p in paragraphs:
        for names in groups:
            if any(name in p.text for name in names):
                out[names[0]].add(p.doc_id)
    return out


def named(text: str, groups: tuple[tuple[str, ...], ...]) -> list[str]:
    """The groups a text names by any of their names (shown names, in profile order)."""
    return [names[0] for names in groups if any(name in text for name in names)]


def unmentioned(names: list[str], found: dict[str, set[str]], doc_ids: list[str]) -> list[str]:
    """Of the named groups, those none of ``doc_ids`` mentions."""
    scope = set(doc_ids)
    return [name for name in names if not found.get(name, set()) & scope]
