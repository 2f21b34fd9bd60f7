"""A profile: everything particular to a domain or a set of documents, kept out of the engine's code.

A profile is a folder (``profiles/<name>/`` ships with the package; any other folder can be named
by path in ``Settings.profile``) holding plain-text data a non-programmer can extend:

- ``profile.toml``: name, reply wording (部门, greeting, closing) and the UI's example questions;
- ``userdict.txt``: the jieba user dictionary (terms kept whole by the tokenizer);
- ``thesaurus.txt``: everyday words → the official term the documents use;
- ``question_words.txt``: words that ask rather than say what is asked about;
- ``intents.toml``: word lists that mark numeric, listing, comparison (and verdict: 哪个更高, 一样吗)
  and structure questions, and words that point at a part of a document (section);
- ``groups.txt``: groups of people a measure can be aimed at (残疾人, 退役军人…), one per line with its
  other names, so a question about a group its place's documents never mention is told so;
- ``generic_places.txt``: words tagged as places that name no particular place (全省, 城区…);
- ``places.toml``: the cities of a province, so a provincial document applies to questions naming them;
- ``thresholds.toml``: refusal thresholds per embedding model, written by ``evals.calibrate --write``.

This module is the one place that reads them; the rest of the code gets a ``Profile`` passed in.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

# profiles/ beside core/: the repo folder in a checkout, the data package policyqa/profiles when installed.
PROFILES_DIR = Path(__file__).resolve().parents[1] / "profiles"
DEFAULT_PROFILE = "renshe"
INTENTS = ("numeric", "listing", "compare", "verdict", "structure", "section", "locate")


class ProfileError(ValueError):
    """A profile that does not exist or cannot be read."""


@dataclass(frozen=True)
class RefusalThresholds:
    """When a question is refused as not answered by the documents (calibrated per embedding model)."""

    refuse_min_coverage: float = 0.5  # best quoted sentence covers less of the question's terms than this…
    refuse_min_dense: float = 0.89  # …and the best dense similarity is below this
    refuse_absent_share: float = 1.01  # this share of the question's term weight never occurs (>1: off)


@dataclass(frozen=True)
class ReplyWording:
    department: str = "相关部门"
    domain: str = "政策"
    role: str = "政务服务热线工作人员"
    greeting: str = "您好！"
    closing: str = "感谢您的咨询！"


@dataclass(frozen=True, eq=False)  # one object per folder (cached), hashed by identity
class Profile:
    name: str
    folder: Path
    userdict: Path | None
    thesaurus: dict[str, str]  # variant → official term
    related: dict[str, tuple[str, ...]]  # a documents' term → its other names there (search them too)
    question_words: frozenset[str]
    intents: dict[str, tuple[str, ...]]  # intent → word list (regular-expression alternatives)
    generic_places: frozenset[str]
    ui_examples: tuple[str, ...]
    reply: ReplyWording
    thresholds: dict[str, RefusalThresholds] = field(default_factory=dict)  # embedding model → thresholds
    provinces: dict[str, list[str]] = field(default_factory=dict)  # province → its cities (places.toml)
    groups: tuple[tuple[str, ...], ...] = ()  # a group of people's names, the shown one first (groups.txt)

    def intent_pattern(self, intent: str) -> re.Pattern:
        """One regular expression matching any word of an intent's list (never matches when empty)."""
        words = self.intents.get(intent, ())
        return re.compile("|".join(words) if words else r"(?!)")

    def thresholds_for(self, embed_model: str) -> RefusalThresholds:
        """The calibrated thresholds of an embedding model; the defaults when it was never calibrated."""
        return self.thresholds.get(embed_model, RefusalThresholds())


def profile_folder(name_or_path: str) -> Path:
    """A bundled profile's folder by name, or any folder by path."""
    if "/" not in name_or_path and "\\" not in name_or_path and (PROFILES_DIR / name_or_path).is_dir():
        return PROFILES_DIR / name_or_path
    folder = Path(name_or_path).expanduser()
    if not folder.is_dir():
        bundled = ", ".join(sorted(p.name for p in PROFILES_DIR.iterdir() if p.is_dir()))
        raise ProfileError(f"profile not found: {name_or_path} (bundled: {bundled}; or give a folder path)")
    return folder


def load_profile(name_or_path: str = DEFAULT_PROFILE) -> Profile:
    """Read a profile folder (cached per folder; ``clear_cache()`` after editing its files)."""
    return _load(profile_folder(name_or_path).resolve())


@lru_cache(maxsize=8)
def _load(folder: Path) -> Profile:
    config = _toml(folder / "profile.toml")
    reply_fields = {f.name for f in fields(ReplyWording)}
    reply = ReplyWording(**{k: str(v) for k, v in config.get("reply", {}).items() if k in reply_fields})
    intents = _toml(folder / "intents.toml")
    userdict = folder / "userdict.txt"
    return Profile(
        name=str(config.get("name", folder.name)),
        folder=folder,
        userdict=userdict if userdict.exists() else None,
        thesaurus=_thesaurus(folder / "thesaurus.txt"),
        related=_related(folder / "thesaurus.txt"),
        question_words=frozenset(_words(folder / "question_words.txt")),
        intents={name: tuple(str(w) for w in intents.get(name, ())) for name in INTENTS},
        generic_places=frozenset(_words(folder / "generic_places.txt")),
        ui_examples=tuple(str(q) for q in config.get("ui", {}).get("examples", ())),
        groups=tuple(tuple(line.split()) for line in _words(folder / "groups.txt")),
        reply=reply,
        thresholds=read_thresholds(folder / "thresholds.toml"),
        provinces={
            str(k): [str(c) for c in v]
            for k, v in _toml(folder / "places.toml").get("provinces", {}).items()
            if isinstance(v, list)
        },
    )


def clear_cache() -> None:
    _load.cache_clear()


def read_thresholds(path: Path) -> dict[str, RefusalThresholds]:
    known = {f.name for f in fields(RefusalThresholds)}
    return {
        model: RefusalThresholds(**{k: float(v) for k, v in values.items() if k in known})
        for model, values in _toml(path).items()
        if isinstance(values, dict)
    }


def write_thresholds(path: Path, embed_model: str, thresholds: RefusalThresholds) -> None:
    """Set one embedding model's thresholds in a thresholds.toml, keeping the other models' entries."""
    table = read_thresholds(path)
    table[embed_model] = thresholds
    lines = [
        "# Refusal thresholds per embedding model (the [table] name is settings embed.model).",
        "# Written by `python -m evals.calibrate REPORT.json --write` from an eval run on the dev split.",
    ]
    for model, values in sorted(table.items()):
        lines += ["", f'["{model}"]']
        lines += [f"{f.name} = {getattr(values, f.name)!r}" for f in fields(RefusalThresholds)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clear_cache()


def _toml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: invalid TOML ({exc})") from exc


def _words(path: Path) -> list[str]:
    """One entry per line; blank lines and # comments skipped."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _thesaurus(path: Path) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for line in _words(path):
        if "~" in line:
            continue  # a relation, not a replacement (_related)
        official, *variants = line.split()
        for variant in variants:
            mapping[variant] = official
    return mapping


def _related(path: Path) -> dict[str, tuple[str, ...]]:
    """ "高技能人才 ~ 高级工以上": a term the documents use, and other words they use for the same thing
    (searched for too, counted as naming it; the question's own term stays)."""
    out: dict[str, tuple[str, ...]] = {}
    for line in _words(path):
        term, sep, others = line.partition("~")
        if sep and term.strip() and others.split():
            out[term.strip()] = tuple(others.split())
    return out


def profile_of(settings) -> Profile:
    """The profile ``Settings.profile`` names."""
    return load_profile(settings.profile)


def refusal_thresholds(settings) -> RefusalThresholds:
    """The profile's thresholds for the configured embedding model, with any Settings overrides applied."""
    base = profile_of(settings).thresholds_for(settings.embed.model)
    r = settings.retrieval
    return RefusalThresholds(
        **{
            f.name: getattr(r, f.name) if getattr(r, f.name, None) is not None else getattr(base, f.name)
            for f in fields(RefusalThresholds)
        }
    )


def ui_examples(settings) -> list[str]:
    return (
        list(settings.ui.examples)
        if settings.ui.examples is not None
        else list(profile_of(settings).ui_examples)
    )
