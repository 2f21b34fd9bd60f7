"""Index lifecycle under real operations: one writer at a time, leases held by readers, damaged
generations and caches, duplicates. Real processes where the behaviour is between processes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_settings
from filelock import FileLock
from policyqa.assistant.cli import main as cli_main
from policyqa.index import ingest as ingest_module
from policyqa.index.ingest import ingest
from policyqa.index.store import (
    IndexDamaged,
    chroma_client,
    current_generation,
    index_root,
    open_index,
    reset_chroma_clients,
    verify_generation,
)

CEMO = "cemo-city-employment-plan"
SHIXIAN = "shixian-social-insurance-guide"


def _cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "policyqa.assistant", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _no_embedding(monkeypatch):
    monkeypatch.setattr(ingest_module, "build_embedder", lambda *a, **k: pytest.fail("must not re-embed"))


def _edit(corpus: Path, n: int) -> None:
    (corpus / "extra.txt").write_text(f"一、附加说明\n第{n}版补充说明，内容各不相同。\n", encoding="utf-8")


# -- one writer at a time ------------------------------------------------------------------------


def test_second_ingest_waits_or_exits_while_the_lock_is_held(mini_corpus, isolated_data_dir):
    env = {"ASSISTANT_INDEX_CORPUS_DIR": str(mini_corpus)}
    lock = FileLock(isolated_data_dir / "ingest.lock")
    isolated_data_dir.mkdir(parents=True)
    lock.acquire()  # this test process is the other writer
    try:
        busy = _cli("ingest", "--quiet", "--no-wait", env=env)
        out, err = busy.communicate(timeout=120)
        assert busy.returncode == 1
        assert err.strip().count("\n") == 0
        assert "another ingest" in err and "is updating the index" in err and "try again" in err
        assert not (isolated_data_dir / "index").exists()

        waiting = _cli("ingest", "--quiet", env=env)
        line = waiting.stderr.readline()  # blocks until the child reaches the lock
        assert "waiting for it to finish" in line and "--no-wait exits instead" in line
        assert waiting.poll() is None  # still waiting
    finally:
        lock.release()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "documents: 2" in out
    settings = make_settings(isolated_data_dir, mini_corpus)
    assert verify_generation(settings, current_generation(settings)) == []


def test_two_concurrent_ingests_leave_a_sound_index(mini_corpus, isolated_data_dir):
    """The issue's scenario: two ingests on one data dir after a corpus change, both succeed."""
    env = {"ASSISTANT_INDEX_CORPUS_DIR": str(mini_corpus)}
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    _edit(mini_corpus, 1)
    first = _cli("ingest", "--quiet", env=env)
    second = _cli("ingest", "--quiet", env=env)
    results = [p.communicate(timeout=180) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], results
    outputs = [out for out, _ in results]
    # The one that ran second found the work done: exactly one built a generation.
    assert sum("index already up to date" in out for out in outputs) == 1
    generation = current_generation(settings)
    assert verify_generation(settings, generation) == []
    reset_chroma_clients()
    snapshot = open_index(settings)
    assert "extra" in snapshot.documents
    assert {p.name for p in index_root(settings).iterdir() if p.is_dir()} == {generation}


# -- leases --------------------------------------------------------------------------------------


def test_generation_held_by_a_reader_survives_ingests(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    first = ingest(settings, progress=False).generation
    held = open_index(settings)
    _edit(mini_corpus, 1)
    second = ingest(settings, progress=False)
    _edit(mini_corpus, 2)
    third = ingest(settings, progress=False)
    assert third.kept_in_use == [first]
    assert "kept old generation " + first in third.render()
    # The held generation still answers: its folder and its collection are intact.
    assert (index_root(settings) / first / "paragraphs.jsonl").exists()
    assert held.collection.count() == len(held.paragraphs)
    assert not (index_root(settings) / second.generation).exists()  # nobody held that one
    held.close()
    _edit(mini_corpus, 3)
    fourth = ingest(settings, progress=False)
    assert fourth.kept_in_use == []
    assert {p.name for p in index_root(settings).iterdir() if p.is_dir()} == {fourth.generation}
    names = {c.name for c in chroma_client(settings).list_collections()}
    assert names == {f"paragraphs-{fourth.generation}"}


def test_a_killed_readers_lease_does_not_pin_its_generation(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    first = ingest(settings, progress=False).generation
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from policyqa.core.settings import Settings\n"
            "from policyqa.index.store import open_index\n"
            "s = open_index(Settings())\n"
            "print(s.generation, flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == first
        _edit(mini_corpus, 1)
        assert ingest(settings, progress=False).kept_in_use == [first]
    finally:
        reader.send_signal(signal.SIGKILL)
        reader.wait()
    _edit(mini_corpus, 2)
    summary = ingest(settings, progress=False)
    assert summary.kept_in_use == []
    assert not (index_root(settings) / first).exists()


# -- damaged generations -------------------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = {
    "paragraphs.jsonl truncated": (lambda g, d: _truncate(g / "paragraphs.jsonl"), "paragraphs.jsonl has"),
    "term_df.json truncated": (lambda g, d: _truncate(g / "term_df.json"), "term_df.json has"),
    "manifest.json truncated": (lambda g, d: _truncate(g / "manifest.json"), "manifest.json is unreadable"),
    "bm25/ missing": (lambda g, d: shutil.rmtree(g / "bm25"), "bm25/ is missing"),
    "chroma.sqlite3 emptied": (
        lambda g, d: (d / "chroma" / "chroma.sqlite3").write_bytes(b""),
        "its vector collection cannot be read",
    ),
    "chroma.sqlite3 half-written": (
        lambda g, d: _truncate(d / "chroma" / "chroma.sqlite3"),
        "its vector collection cannot be read",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_generation_is_named_and_repaired_without_re_embedding(
    case, mini_corpus, isolated_data_dir, monkeypatch, capsys
):
    settings = make_settings(isolated_data_dir, mini_corpus)
    generation = ingest(settings, progress=False).generation
    damage, expected = DAMAGE[case]
    reset_chroma_clients()  # as a fresh process would see the files
    damage(index_root(settings) / generation, isolated_data_dir)
    reset_chroma_clients()

    with pytest.raises(IndexDamaged) as info:
        open_index(settings)
    assert expected in info.value.problem
    monkeypatch.setenv("ASSISTANT_INDEX_CORPUS_DIR", str(mini_corpus))
    assert cli_main(["ask", "测试市每年安排多少就业补助资金？"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"error: index generation {generation} is damaged: ")
    assert expected in err and "run `python -m assistant ingest`" in err

    _no_embedding(monkeypatch)
    summary = ingest(settings, progress=False)
    assert summary.repaired and summary.embedded == 0 and summary.reused_embeddings == 30
    assert "repaired: the previous index was damaged" in summary.render()
    assert verify_generation(settings, summary.generation) == []
    snapshot = open_index(settings)
    assert len(snapshot.paragraphs) == 30 and snapshot.collection.count() == 30
    assert ingest(settings, progress=False).changed is False  # repaired means up to date again


def test_damaged_embedding_cache_is_set_aside_and_rebuilt(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    cache = isolated_data_dir / "embeddings.sqlite"
    for side in ("embeddings.sqlite-wal", "embeddings.sqlite-shm"):
        (isolated_data_dir / side).unlink(missing_ok=True)
    cache.write_bytes(b"this is not a database" * 100)
    _edit(mini_corpus, 1)
    summary = ingest(settings, progress=False)
    assert summary.cache_set_aside and summary.cache_set_aside.startswith("embeddings.sqlite.damaged-")
    name, _, cause = summary.cache_set_aside.partition(" ")
    assert cause == "(file is not a database)"
    assert (isolated_data_dir / name).read_bytes().startswith(b"this is not a database")
    assert summary.embedded == summary.paragraphs + summary.table_rows + summary.notes + summary.outlines
    assert (
        "note: the embedding cache could not be read and was set aside as embeddings.sqlite.damaged-"
        in summary.render()
    )
    with sqlite3.connect(cache) as db:  # the new cache holds every unit (and every sentence) again
        count = db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
        assert count == summary.embedded + summary.embedded_sentences and summary.embedded_sentences > 0


# -- duplicates ----------------------------------------------------------------------------------


def test_duplicate_sorting_first_does_not_take_over_an_indexed_document(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    shutil.copy(mini_corpus / f"{CEMO}.txt", mini_corpus / "a-copy.txt")  # sorts before the original
    summary = ingest(settings, progress=False)
    assert [(s.path, s.reason) for s in summary.skipped] == [
        ("a-copy.txt", f"same text as {CEMO}.txt (duplicate file)")
    ]
    assert not summary.changed  # nothing else changed: the index stays as it was
    snapshot = open_index(settings)
    assert set(snapshot.documents) == {CEMO, SHIXIAN}
    assert snapshot.documents[CEMO]["meta"]["doc_number"] == "测政办发〔2023〕5号"


def test_duplicate_with_a_sidecar_wins_in_a_fresh_index(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    shutil.copy(mini_corpus / f"{CEMO}.txt", mini_corpus / "0-first-by-name.txt")
    summary = ingest(settings, progress=False)
    assert [(s.path, s.reason) for s in summary.skipped] == [
        ("0-first-by-name.txt", f"same text as {CEMO}.txt (duplicate file)")
    ]
    assert set(open_index(settings).documents) == {CEMO, SHIXIAN}


# -- open time ---------------------------------------------------------------------------------------


def test_a_generation_written_before_sentence_vectors_still_opens_and_answers(mini_corpus, isolated_data_dir):
    import json

    from policyqa.assistant.pipeline import PolicyAssistant

    settings = make_settings(isolated_data_dir, mini_corpus)
    folder = index_root(settings) / ingest(settings, progress=False).generation
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in ("sentences.npy", "sentence_rows.json"):  # what an older ingest wrote
        (folder / name).unlink()
        del manifest["files"][name]
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    snapshot = open_index(settings)
    assert snapshot.sentence_vectors is None
    answer = PolicyAssistant(settings, snapshot).ask("测试市每年安排多少就业补助资金？")
    assert "2000万元" in answer.text and not answer.refused


def test_manifest_lists_every_file_with_size_and_hash(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    generation = ingest(settings, progress=False).generation
    snapshot = open_index(settings)
    files = snapshot.manifest["files"]
    assert set(files) == {
        "paragraphs.jsonl",
        "sections.jsonl",
        "term_df.json",
        "bm25/data.csc.index.npy",
        "bm25/indices.csc.index.npy",
        "bm25/indptr.csc.index.npy",
        "bm25/params.index.json",
        "bm25/vocab.index.json",
        "sentences.npy",
        "sentence_rows.json",
    }
    # one vector per quotable unit of every paragraph, in order
    assert all(
        len(snapshot.sentence_vectors[p.id].vectors) == len(p.units)
        and snapshot.sentence_vectors[p.id].digest == p.units_digest
        for p in snapshot.paragraphs
    )
    folder = index_root(settings) / generation
    assert all(files[n]["size"] == (folder / n).stat().st_size for n in files)
    assert all(len(files[n]["sha256"]) == 64 for n in files)
    assert snapshot.manifest["units"] == 30
    # A same-size change is caught by the checksum.
    data = bytearray((folder / "sections.jsonl").read_bytes())
    data[-3] = ord("X") if data[-3] != ord("X") else ord("Y")
    (folder / "sections.jsonl").write_bytes(bytes(data))
    with pytest.raises(IndexDamaged, match="sections.jsonl does not match its checksum"):
        open_index(settings)
