"""Assembling the pinned local model: parts joined in order, sha256 verified, refused on mismatch, cached by hash."""

from __future__ import annotations

import hashlib
import sys

import pytest
from policyqa.assistant import localllm
from policyqa.assistant.localllm import LocalModel, LocalModelError, assemble, model_path


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Two importable part modules (fakepart-1, fakepart-2) with get_part_path(), like the registry packages."""
    contents = [b"GGUF-first-half|", b"second-half"]
    for i, data in enumerate(contents, start=1):
        (tmp_path / f"part{i}.bin").write_bytes(data)
        (tmp_path / f"fakepart_{i}.py").write_text(
            f"def get_part_path():\n    return {str(tmp_path / f'part{i}.bin')!r}\n", encoding="utf-8"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(localllm, "missing_requirements", lambda model: [])
    yield b"".join(contents)
    for i in (1, 2):
        sys.modules.pop(f"fakepart_{i}", None)


def _model(sha: str, size: int) -> LocalModel:
    return LocalModel("test", "test-model", "fakepart-", 2, "1.0", size, sha, "local-llm")


def test_parts_are_joined_in_order_verified_and_cached_by_hash(fake_parts, tmp_path):
    sha = hashlib.sha256(fake_parts).hexdigest()
    path = assemble(_model(sha, len(fake_parts)), tmp_path / "data")
    assert path == model_path(_model(sha, len(fake_parts)), tmp_path / "data")
    assert path.name == f"{sha}.gguf" and path.read_bytes() == fake_parts
    assert assemble(_model(sha, len(fake_parts)), tmp_path / "data") == path  # reused


def test_a_mismatching_join_is_refused_and_nothing_is_left_behind(fake_parts, tmp_path):
    wrong = "0" * 64
    with pytest.raises(LocalModelError, match="does not match its pin.*refusing to load"):
        assemble(_model(wrong, len(fake_parts)), tmp_path / "data")
    assert list((tmp_path / "data" / "models").iterdir()) == []


def test_a_tampered_cached_file_is_rebuilt(fake_parts, tmp_path):
    sha = hashlib.sha256(fake_parts).hexdigest()
    path = assemble(_model(sha, len(fake_parts)), tmp_path / "data")
    path.write_bytes(b"tampered")
    assert assemble(_model(sha, len(fake_parts)), tmp_path / "data").read_bytes() == fake_parts


def test_missing_extra_is_named_in_one_line(tmp_path):
    model = LocalModel("x", "x", "no-such-dist-part", 1, "9.9", 1, "0" * 64, "local-llm")
    with pytest.raises(
        LocalModelError, match=r"needs the 'local-llm' extra: pip install -e '\.\[local-llm\]'"
    ):
        assemble(model, tmp_path)


def test_cli_reports_an_unknown_model_without_a_traceback(capsys):
    from policyqa.assistant.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["llm", "serve", "--model", "7b"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_model_claims_are_dumped_for_labelling_with_the_cited_paragraphs():
    """Every claim a model wrote, with what it cites as numbered in the prompt; bare markers are no
    claims; the check's verdict is kept apart from what a labeller reads."""
    from policyqa.assistant.answer import Answer, RetrievedParagraph
    from policyqa.evals.local_eval import model_claims

    row = "指标：8.工伤保险参保人数；单位：万人；2020年：171.3万人；2025年：180万人；属性：预期性"
    retrieved = [
        RetrievedParagraph("d:p1", 1.0, "d", "专栏2", "“十四五”期间城镇新增就业75万人。"),
        RetrievedParagraph("d:r8", 0.9, "d", "专栏2 > 二、社会保障", row),
    ]
    answer = Answer(
        question="长沙工伤保险参保人数2025年的目标是多少？",
        text="",
        retrieved=retrieved,
        generated_text="[1]、[2]\n171.3万人。[2]\n城镇新增就业75万人。",
    )
    claims = model_claims([answer], "1.5b")
    assert [c["claim"] for c in claims] == ["171.3万人。", "城镇新增就业75万人。"]
    first, second = claims
    assert first["paragraph_ids"] == ["d:r8"] and first["paragraphs"] == [row]
    assert first["check"] == {"supported": False, "reason": "period"}  # the 2020 figure for a 2025 target
    assert second["markers"] == [] and second["check"]["reason"] == "uncited"
    assert first["origin"] == "model-1.5b"
