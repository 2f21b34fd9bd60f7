"""Where an index lives, and how a finished one is switched in atomically.

An index is a *generation*: a folder ``<data>/index/<gen>/`` (paragraphs.jsonl, sections.jsonl,
bm25/, term_df.json, manifest.json) plus a Chroma collection ``paragraphs-<gen>``. Ingest writes a
new generation beside the one in use and only then replaces ``<data>/index/CURRENT`` (atomic
rename). A crash or kill at any point before that leaves the previous generation in use; leftovers
are removed by the next ingest. Clean-up never removes a generation a process still reads: opening
one takes a lease (see leases.py), and a running app switches to a new CURRENT between requests.

The manifest lists every file of its generation with size and sha256, and opening a generation
checks them (and that the Chroma collection holds every unit), so a damaged index is reported as
such, with the fix, instead of failing somewhere inside a query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from policyqa.core.settings import Settings
from policyqa.index.chunk import Paragraph, SectionRecord
from policyqa.index.leases import LEASE_FILE, Lease, exclusive_if_unused, take_lease
from policyqa.index.sparse import load_bm25

log = logging.getLogger(__name__)
COLLECTION_PREFIX = "paragraphs-"
REQUIRED_FILES = ("paragraphs.jsonl", "sections.jsonl", "bm25")
REPAIR_HINT = (
    "run `python -m assistant ingest` to rebuild it from the embedding cache (nothing is re-embedded)"
)


class IndexMissing(Exception):
    """No finished index exists yet under the data directory."""


class IndexDamaged(Exception):
    """A generation's files or its Chroma collection do not match its manifest."""

    def __init__(self, generation: str, problem: str):
        super().__init__(f"index generation {generation} is damaged: {problem}; {REPAIR_HINT}")
        self.generation = generation
        self.problem = problem


class StoreUnavailable(Exception):
    """The configured Chroma server cannot be reached."""


def index_root(settings: Settings) -> Path:
    return settings.data_dir / "index"


def chroma_client(settings: Settings):
    """Embedded PersistentClient under the data directory, or an HttpClient to a `chroma run` server."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma.mode == "server":
        try:
            client = chromadb.HttpClient(
                host=settings.chroma.host, port=settings.chroma.port, settings=client_settings
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises ValueError, httpx errors, … depending on the failure
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {settings.chroma.host}:{settings.chroma.port} "
                f"({_short(exc)}); start it (`chroma run --path DIR --port {settings.chroma.port}`) "
                "or set ASSISTANT_CHROMA_MODE=embedded"
            ) from None
        return client
    path = chroma_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=client_settings)


def chroma_path(settings: Settings) -> Path:
    return settings.data_dir / "chroma"


def reset_chroma_clients() -> None:
    """Forget chromadb's per-path client cache (after the embedded store was set aside)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def set_aside(path: Path) -> Path:
    """Rename a damaged file or folder out of the way (kept for inspection, never deleted)."""
    target = path.with_name(f"{path.name}.damaged-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}")
    path.rename(target)
    return target


def collection_name(generation: str) -> str:
    return f"{COLLECTION_PREFIX}{generation}"


def create_collection(client, generation: str):
    # No embedding function: Chroma's default would download an ONNX model; we always pass vectors.
    return client.create_collection(
        collection_name(generation), embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def current_generation(settings: Settings) -> str | None:
    pointer = index_root(settings) / "CURRENT"
    try:
        value = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value if value and (index_root(settings) / value / "manifest.json").exists() else None


def write_atomic(path: Path, data: str) -> None:
    """Write a file so that readers see the old or the new content, never a torn one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(settings: Settings, generation: str) -> None:
    """Make a finished generation the one in use."""
    write_atomic(index_root(settings) / "CURRENT", generation + "\n")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


SENTENCE_VECTORS = "sentences.npy"
SENTENCE_ROWS = "sentence_rows.json"


@dataclass(frozen=True)
class SentenceRows:
    digest: str  # Paragraph.units_digest when the vectors were made
    vectors: np.ndarray  # one row per unit


def write_sentence_vectors(folder: Path, vectors: np.ndarray, rows: dict[str, list]) -> None:
    with (folder / SENTENCE_VECTORS).open("wb") as fh:
        np.save(fh, vectors.astype(np.float32), allow_pickle=False)
    (folder / SENTENCE_ROWS).write_text(json.dumps(rows), encoding="utf-8")


def read_sentence_vectors(folder: Path) -> dict[str, SentenceRows] | None:
    """Each paragraph's unit vectors (one row per sentence), memory-mapped; None for a generation
    written without them."""
    if not (folder / SENTENCE_VECTORS).exists():
        return None
    matrix = np.load(folder / SENTENCE_VECTORS, allow_pickle=False, mmap_mode="r")
    rows = json.loads((folder / SENTENCE_ROWS).read_text(encoding="utf-8"))
    # a row without a digest (an early format) matches no cut: its paragraph is weighed by words alone
    return {
        pid: SentenceRows(str(r[2]) if len(r) > 2 else "", matrix[r[0] : r[0] + r[1]])
        for pid, r in rows.items()
    }


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entries(folder: Path) -> dict[str, dict]:
    """Every file of a generation folder (but the manifest and the lease file) with size and sha256."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in ("manifest.json", LEASE_FILE):
            entries[name] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return entries


def read_manifest(folder: Path) -> dict:
    """The manifest of a generation; IndexDamaged if it is unreadable."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), dict):
            raise ValueError("no documents listed")
        return manifest
    except (OSError, ValueError) as exc:
        raise IndexDamaged(folder.name, f"manifest.json is unreadable ({_short(exc)})") from None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else exc.__class__.__name__


def file_problems(folder: Path, manifest: dict) -> list[str]:
    """What does not match the manifest's file list (empty when all is well)."""
    listed = manifest.get("files")
    if listed is None:  # a generation written before manifests listed their files
        return [f"{name} is missing" for name in REQUIRED_FILES if not (folder / name).exists()]
    problems = []
    for name, expected in listed.items():
        path = folder / name
        if not path.is_file():
            top = name.split("/")[0]
            problems.append(f"{top}/ is missing {name}" if "/" in name else f"{name} is missing")
        elif (size := path.stat().st_size) != expected["size"]:
            problems.append(
                f"{name} has {size} bytes, the manifest says {expected['size']} (truncated or changed)"
            )
        elif sha256_file(path) != expected["sha256"]:
            problems.append(f"{name} does not match its checksum (changed after ingest)")
    return problems


def collection_problem(settings: Settings, generation: str, units: int | None) -> str | None:
    """Why the generation's Chroma collection is unusable, or None. StoreUnavailable propagates."""
    try:
        collection = chroma_client(settings).get_collection(
            collection_name(generation), embedding_function=None
        )
        count = collection.count()
    except StoreUnavailable:
        raise
    except Exception as exc:  # NotFoundError, sqlite errors from a damaged chroma.sqlite3, …
        where = "the Chroma server" if settings.chroma.mode == "server" else f"{chroma_path(settings)}"
        return f"its vector collection cannot be read from {where} ({exc.__class__.__name__}: {_short(exc)})"
    if units is not None and count != units:
        return f"its vector collection holds {count} of {units} units"
    return None


def verify_generation(settings: Settings, generation: str) -> list[str]:
    """Everything wrong with a generation (files and vector collection); empty when it is sound."""
    folder = index_root(settings) / generation
    try:
        manifest = read_manifest(folder)
    except IndexDamaged as exc:
        return [exc.problem]
    problems = file_problems(folder, manifest)
    problem = collection_problem(settings, generation, manifest.get("units"))
    return problems + ([problem] if problem else [])


def collect_garbage(settings: Settings, keep: set[str]) -> set[str]:
    """Remove generations (folders and collections) other than ``keep`` and those a process holds.

    Returns the generations kept because a reader (e.g. a running app) still holds them.
    """
    root = index_root(settings)
    in_use: set[str] = set()
    for entry in sorted(root.iterdir()) if root.exists() else []:
        if not entry.is_dir() or entry.name in keep:
            continue
        if entry.name.startswith(".trash-"):
            shutil.rmtree(entry, ignore_errors=True)
            continue
        with exclusive_if_unused(entry) as unused:
            if not unused:
                in_use.add(entry.name)
                log.info("kept generation %s: a running process still reads it", entry.name)
                continue
            trash = root / f".trash-{entry.name}"
            try:
                entry.rename(trash)  # readers opening it from now on find it gone and look at CURRENT again
            except OSError as exc:
                log.warning("could not remove generation %s: %s", entry.name, exc)
                continue
        shutil.rmtree(trash, ignore_errors=True)
    try:
        client = chroma_client(settings)
        for col in client.list_collections():
            name = col if isinstance(col, str) else col.name
            gen = name[len(COLLECTION_PREFIX) :]
            if name.startswith(COLLECTION_PREFIX) and gen not in keep | in_use:
                client.delete_collection(name)
    except Exception as exc:  # garbage left behind is harmless; the next ingest tries again
        log.warning("could not remove old collections: %s", exc)
    return in_use


@dataclass
class IndexSnapshot:
    """One finished generation, loaded for querying."""

    generation: str
    manifest: dict
    paragraphs: list[Paragraph]
    sections: dict[str, SectionRecord]
    bm25: object
    collection: object
    term_df: dict[str, int] | None = None  # BM25 token → number of units holding it (from ingest)
    sentence_vectors: dict[str, SentenceRows] | None = None  # paragraph id → its units' vectors
    lease: Lease | None = None  # keeps clean-up from removing this generation while it is open
    by_id: dict[str, Paragraph] = field(init=False)
    by_section: dict[str, list[Paragraph]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.paragraphs}
        self.by_section = {}
        for p in self.paragraphs:
            self.by_section.setdefault(p.section_id, []).append(p)

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]

    def close(self) -> None:
        """Release the lease: the next ingest may remove this generation if it is no longer CURRENT."""
        if self.lease is not None:
            self.lease.release()


def open_index(settings: Settings) -> IndexSnapshot:
    """Open the CURRENT generation (leased until ``close()``); IndexDamaged names what is wrong."""
    for _attempt in range(5):
        generation = current_generation(settings)
        if generation is None:
            break
        snapshot = open_generation(settings, generation)
        if snapshot is not None:
            return snapshot
        # removed between reading CURRENT and taking the lease: a newer one is CURRENT now
    raise IndexMissing(f"no index under {settings.data_dir}; run `python -m assistant ingest` first")


def open_generation(settings: Settings, generation: str) -> IndexSnapshot | None:
    """Open one generation, verified against its manifest; None if it no longer exists."""
    folder = index_root(settings) / generation
    lease = take_lease(folder)
    if lease is None:
        return None
    try:
        return _load(settings, generation, folder, lease)
    except BaseException:
        lease.release()
        raise


def _load(settings: Settings, generation: str, folder: Path, lease: Lease) -> IndexSnapshot:
    manifest = read_manifest(folder)
    problems = file_problems(folder, manifest)
    if problems:
        raise IndexDamaged(generation, "; ".join(problems))
    try:
        paragraphs = [Paragraph.from_dict(row) for row in read_jsonl(folder / "paragraphs.jsonl")]
        sections = {row["id"]: SectionRecord(**row) for row in read_jsonl(folder / "sections.jsonl")}
        df_path = folder / "term_df.json"
        term_df = json.loads(df_path.read_text(encoding="utf-8")) if df_path.exists() else None
        bm25 = load_bm25(folder / "bm25")
        sentence_vectors = read_sentence_vectors(folder)
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:  # only reached by generations without a file list
        raise IndexDamaged(
            generation, f"a file cannot be read ({exc.__class__.__name__}: {_short(exc)})"
        ) from None
    problem = collection_problem(settings, generation, len(paragraphs))
    if problem and settings.chroma.mode == "embedded":
        # A long-lived process (the app) may hold a client to a store an ingest set aside and rebuilt.
        reset_chroma_clients()
        problem = collection_problem(settings, generation, len(paragraphs))
    if problem:
        raise IndexDamaged(generation, problem)
    collection = chroma_client(settings).get_collection(collection_name(generation), embedding_function=None)
    return IndexSnapshot(
        generation,
        manifest,
        paragraphs,
        sections,
        bm25,
        collection,
        term_df,
        sentence_vectors=sentence_vectors,
        lease=lease,
    )
