"""Document metadata from sidecars, and derived from the text when there is none."""

from __future__ import annotations

import shutil

import pytest
from conftest import CHANGSHA, CORPUS, MINI_CORPUS, XIANGTAN
from policyqa.index.loaders import load_text
from policyqa.index.metadata import SidecarError, load_meta


def _meta_without_sidecar(tmp_path, name):
    copy = tmp_path / f"{name}.txt"
    shutil.copy(CORPUS / f"{name}.txt", copy)
    raw, _ = load_text(copy)
    return load_meta(copy, name, raw)


def test_sidecars_give_title_number_date_region():
    raw, _ = load_text(CORPUS / f"{CHANGSHA}.txt")
    meta = load_meta(CORPUS / f"{CHANGSHA}.txt", CHANGSHA, raw)
    assert meta.doc_number == "长政办发〔2021〕73号"
    assert meta.title == "长沙市“十四五”人力资源和社会保障事业发展规划（2021—2025年）"
    assert (meta.date, meta.region, meta.kind, meta.missing) == ("2021-12-31", "长沙市", "规划", [])
    raw, _ = load_text(CORPUS / f"{XIANGTAN}.txt")
    meta = load_meta(CORPUS / f"{XIANGTAN}.txt", XIANGTAN, raw)
    assert (meta.doc_number, meta.date, meta.issuer) == (
        "潭政办发〔2022〕9号",
        "2022-03-17",
        "湘潭市人民政府办公室",
    )


def test_changsha_metadata_derived_without_sidecar(tmp_path):
    meta = _meta_without_sidecar(tmp_path, CHANGSHA)
    assert meta.title == "长沙市“十四五”人力资源和社会保障事业发展规划（2021—2025年）"
    assert meta.doc_number == "长政办发〔2021〕73号"
    assert meta.date == "2021-12-31"
    assert meta.issuer == "长沙市人民政府办公厅"
    assert meta.region == "长沙市"


def test_xiangtan_metadata_derived_without_sidecar_ignores_cited_numbers(tmp_path):
    meta = _meta_without_sidecar(tmp_path, XIANGTAN)
    assert meta.title == "湘潭市“十四五”人力资源和社会保障事业发展规划"
    # 湘政办发〔2021〕60号 is cited in brackets in the text; the document's own number is in the download line.
    assert meta.doc_number == "潭政办发〔2022〕9号"
    assert meta.date == "2022-03-17"


def test_missing_fields_are_listed(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("一、说明\n这是一段没有标题和文号的文字。\n", encoding="utf-8")
    meta = load_meta(path, "notes", load_text(path)[0])
    assert "doc_number" in meta.missing and "date" in meta.missing
    assert meta.title  # falls back to the first line


def test_partial_sidecar_is_completed_from_text(tmp_path):
    shutil.copy(MINI_CORPUS / "cemo-city-employment-plan.txt", tmp_path / "plan.txt")
    (tmp_path / "plan.meta.toml").write_text('region = "测试市"\n', encoding="utf-8")
    meta = load_meta(tmp_path / "plan.txt", "plan", load_text(tmp_path / "plan.txt")[0])
    assert meta.region == "测试市"
    assert meta.title == "测试市“十四五”就业促进规划"
    assert meta.doc_number == "测政办发〔2023〕5号"
    assert meta.date == "2023-04-08"


def test_broken_sidecar_is_reported(tmp_path):
    (tmp_path / "plan.txt").write_text("一、总则\n正文。\n", encoding="utf-8")
    (tmp_path / "plan.meta.toml").write_text("title = \n", encoding="utf-8")
    with pytest.raises(SidecarError, match="plan.meta.toml"):
        load_meta(tmp_path / "plan.txt", "plan", "一、总则\n正文。\n")


def test_a_web_copys_publication_date_is_answered_and_a_plan_without_one_gives_its_own_date():
    from policyqa.assistant import docinfo
    from policyqa.assistant.select import DocPeriod

    notice = {"title": "关于做好就业工作的通知", "date": "2026-03-09", "published": "2026-03-12"}
    text, citations = docinfo.answer("published", [("n", notice)], {"n": DocPeriod()}, "answer")
    assert text.startswith("《关于做好就业工作的通知》的发布日期为2026年3月12日[1]")
    assert "印发日期：2026年3月9日" in text and "发布日期：2026年3月12日" in citations[0].text
    plan = {"title": "某市规划", "date": "2021-12-31"}
    text, _ = docinfo.answer("published", [("p", plan)], {"p": DocPeriod()}, "answer")
    assert text.startswith("《某市规划》的印发日期为2021年12月31日[1]") and "发布日期" not in text
