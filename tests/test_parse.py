"""Section trees, paths, tables and units on the real documents and on a third, differently styled plan."""

from __future__ import annotations

import pytest
from conftest import CHANGSHA, CORPUS, MINI_CORPUS, XIANGTAN
from helpers import find_section, section_of_text, tree_of
from policyqa.index.chunk import chunk_document, render_row, token_counter
from policyqa.index.headings import match_heading
from policyqa.index.parse import PREAMBLE

CS = CORPUS / f"{CHANGSHA}.txt"
XT = CORPUS / f"{XIANGTAN}.txt"
MINI = MINI_CORPUS / "cemo-city-employment-plan.txt"


@pytest.mark.parametrize(
    ("line", "kind", "title", "inline"),
    [
        ("第三章 实现更加充分更高质量就业", "chapter", "第三章 实现更加充分更高质量就业", False),
        ("第十二节 加强组织领导", "section", "第十二节 加强组织领导", False),
        ("第二部分 重点任务", "part", "第二部分 重点任务", False),
        ("专栏6 技能强市建设工程", "box", "专栏6 技能强市建设工程", False),
        ("专栏4和谐劳动关系创建行动", "box", "专栏4和谐劳动关系创建行动", False),
        ("三、重点任务", "cn_item", "三、重点任务", False),
        ("（二）基本原则", "cn_paren", "（二）基本原则", False),
        ("(二)基本原则", "cn_paren", "(二)基本原则", False),
        ("(一)指导思想。深入贯彻落实党的十九大精神。", "cn_paren", "(一)指导思想", True),
        (
            "1.落实就业优先政策。严格落实国家关于进一步促进充分就业有关政策。",
            "num_item",
            "1.落实就业优先政策",
            True,
        ),
        ("1、落实就业优先政策。每年安排资金。", "num_item", "1、落实就业优先政策", True),
        (
            "1. 终身职业技能培训制度。建立覆盖城乡全体劳动者的制度。",
            "num_item",
            "1. 终身职业技能培训制度",
            True,
        ),
        ("（1）技能培训。每年开展培训。", "num_paren", "（1）技能培训", True),
    ],
)
def test_heading_families(line, kind, title, inline):
    heading = match_heading(line)
    assert heading is not None
    assert (heading.kind, heading.title, heading.inline) == (kind, title, inline)


@pytest.mark.parametrize(
    "line",
    [
        "2020年全市人才总量达280万，人才吸引力指数居全国第十。",
        "——就业创业工作成效明显。就业促进机制不断完善。",
        "1.5倍以上的标准执行，确保待遇不降低，并且逐步提高到当地平均水平以上的水平。",
        "一是加强组织领导，二是加大资金投入，三是强化考核评估，四是营造良好氛围，确保各项任务落到实处。",
        "7.失业保险参保人数\t万人\t182.8\t212.7\t约束性",
    ],
)
def test_ordinary_paragraphs_are_not_headings(line):
    assert match_heading(line) is None


def test_changsha_chapter_section_and_box_paths():
    tree = tree_of(CS)
    wage = section_of_text(tree, "最低工资标准分别提高到1700元/月")
    assert wage.path == ("第一章 发展基础和面临形势", "第一节 发展基础")
    item = section_of_text(tree, "每年带动5万人参与各类职业技能竞赛")
    assert item.path == (
        "第五章 构筑创新创业人才高地",
        "第三节 壮大技能人才队伍",
        "专栏6 技能强市建设工程",
        "4.职业技能竞赛引领计划",
    )
    box = find_section(tree, "专栏6")
    assert [c.title for c in box.children] == [
        "1.技工教育提质工程",
        "2.高技能人才振兴计划",
        "3.技能人才评价改革",
        "4.职业技能竞赛引领计划",
    ]
    # After a box the next 第X节 is a sibling of the box's section, not a child of the box.
    assert find_section(tree, "第四节 推动人力资源服务业").path == (
        "第五章 构筑创新创业人才高地",
        "第四节 推动人力资源服务业高质量发展",
    )
    chapters = [s.title for s in tree.root.children if s.kind == "chapter"]
    assert len(chapters) == 9 and chapters[4] == "第五章 构筑创新创业人才高地"


def test_xiangtan_numbered_families_with_half_width_brackets():
    tree = tree_of(XT)
    assert find_section(tree, "(一)指导思想").path == ("二、指导思想和主要目标", "(一)指导思想")
    item = section_of_text(tree, "每年开展高校毕业生专场招聘会15场以上")
    assert item.path == (
        "三、重点任务",
        "(一)不断提高就业质量和水平",
        "专栏2 促进就业创业行动计划",
        "2.高校毕业生就业促进行动",
    )
    # 5. item before the box stays under (一), the box closes the item list.
    assert find_section(tree, "5.加大职业技能培训力度").path == (
        "三、重点任务",
        "(一)不断提高就业质量和水平",
        "5.加大职业技能培训力度",
    )
    assert find_section(tree, "(二)持续加强社会保障体系建设").path[:1] == ("三、重点任务",)


def test_text_before_the_first_heading_is_the_preamble():
    for path, fragment in [(CS, "现印发给你们"), (XT, "请认真组织实施")]:
        tree = tree_of(path)
        preamble = tree.root.children[0]
        assert preamble.title == PREAMBLE
        assert any(fragment in b.text for b in preamble.blocks)
        assert preamble.end <= tree.root.children[1].start


def test_changsha_indicator_tables_become_rows_with_headers_groups_and_notes():
    tree = tree_of(CS)
    units, _ = chunk_document(tree, max_tokens=320)
    rows = [u for u in units if u.kind == "table_row"]
    box1 = [u for u in rows if u.section_path[-1].startswith("专栏1")]
    box2 = [u for u in rows if "专栏2 “十四五”规划发展主要指标" in u.section_path]
    assert len(box1) == 13 and len(box2) == 13
    row7 = next(u for u in box2 if u.text.startswith("指标：7.失业保险参保人数"))
    assert (
        row7.text
        == "指标：7.失业保险参保人数；单位：万人；2020年：182.8万人；2025年：212.7万人；属性：约束性"
    )
    assert row7.section_path[-1] == "二、社会保障"
    assert row7.table["note"] == "注：[]内为5年累计数"
    assert row7.table["header"] == ["指标", "单位", "2020年", "2025年", "属性"]
    assert "注：[]内为5年累计数" in row7.embed_text and "专栏2" in row7.embed_text
    first = box1[0]
    assert first.text.startswith("指标：1.城镇新增就业人数；单位：万人")
    assert first.table["note"].startswith("注：《长沙市“十三五”人力资源和社会保障事业发展规划》共列15项")
    # An empty cell is left out rather than shown as an empty value.
    row11 = next(u for u in box2 if u.text.startswith("指标：11."))
    assert "2020年" not in row11.text and "2025年：[2]万人次" in row11.text


def test_units_have_stable_ids_offsets_and_outlines():
    tree = tree_of(CS)
    units, sections = chunk_document(tree, max_tokens=320)
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids))
    again, _ = chunk_document(tree_of(CS), max_tokens=320)
    assert [u.id for u in again] == ids
    for unit in units:
        if unit.kind in ("paragraph", "note"):
            assert tree.text[unit.start : unit.end] == unit.text
    outline = next(
        u for u in units if u.kind == "outline" and u.section_path[-1] == "第五章 构筑创新创业人才高地"
    )
    assert outline.text.startswith("第五章 构筑创新创业人才高地：第一节 打造人才集聚发展新格局；")
    box6 = next(u for u in units if u.kind == "outline" and u.section_path[-1].startswith("专栏6"))
    assert "4.职业技能竞赛引领计划" in box6.text
    by_id = {s.id: s for s in sections}
    wage = next(u for u in units if "1700元/月" in u.text)
    assert "最低工资标准分别提高到1700元/月" in by_id[wage.section_id].text


def test_long_paragraphs_split_at_sentence_ends_within_budget():
    tree = tree_of(CS)
    units, _ = chunk_document(tree, max_tokens=120)
    parts = [u for u in units if u.part]
    assert parts, "expected some paragraphs over 120 tokens"
    count = token_counter()
    for unit in parts:
        assert count(unit.embed_text) <= 120
        assert tree.text[unit.start : unit.end] == unit.text
        if unit.text[-1] not in "。；！？!?;" and tree.text[unit.end : unit.end + 1] not in ("\n", ""):
            # Cut inside a sentence: only allowed when that sentence alone is over the budget.
            before = max(tree.text.rfind(p, 0, unit.end) for p in "。；！？\n") + 1
            after = min(i for i in (tree.text.find(p, unit.end) for p in "。；！？\n") if i >= 0) + 1
            assert count(tree.text[before:after]) > 120 - count(unit.section) - 1  # minus the newline
    first_parts = [u for u in parts if u.part == 1]
    for head in first_parts:
        pieces = [u for u in parts if u.section_id == head.section_id and u.ordinal == head.ordinal]
        original = tree.text[pieces[0].start : pieces[-1].end]
        assert "".join(p.text for p in pieces) == original


def test_third_document_in_another_style_needs_no_code_changes():
    tree = tree_of(MINI)
    titles = {s.title: s for s in tree.sections()}
    assert "（一）稳定和扩大就业" in titles and "(二)提升职业技能" in titles
    assert titles["1、落实就业优先政策"].path == (
        "三、重点任务",
        "（一）稳定和扩大就业",
        "1、落实就业优先政策",
    )
    assert titles["（1）技能培训"].path == ("三、重点任务", "(二)提升职业技能", "（1）技能培训")
    assert titles["1.技工学校建设"].path == (
        "三、重点任务",
        "(二)提升职业技能",
        "专栏2 技能提升工程",
        "1.技工学校建设",
    )
    assert "四、保障措施" in titles and titles["四、保障措施"].path == ("四、保障措施",)
    # The table's 一、就业 group rows are not mistaken for top-level headings.
    assert [s.title for s in tree.root.children if s.kind == "cn_item"] == [
        "一、发展现状",
        "二、主要目标",
        "三、重点任务",
        "四、保障措施",
    ]
    units, _ = chunk_document(tree, max_tokens=320)
    rows = [u for u in units if u.kind == "table_row"]
    assert [u.table["group"] for u in rows] == ["一、就业", "一、就业", "二、技能"]
    assert (
        rows[2].text
        == "指标：3.补贴性职业技能培训人次；单位：万人次；2020年：—；2025年：[8]万人次；属性：约束性"
    )
    assert rows[1].text == "指标：2.城镇调查失业率；单位：%；2020年：5.2%；2025年：<5.5%；属性：预期性"
    assert rows[2].table["note"] == "注：[]内为5年累计数"
    assert any("返乡创业人数累计达到8600人" in u.text for u in units)


def test_render_row_names_missing_headers():
    assert render_row(["指标", "单位"], ["A", "万人", "3"]) == "指标：A；单位：万人；第3列：3万人"
    assert render_row(["指标", "单位", "2025年"], ["A", "万人", "—"]) == "指标：A；单位：万人；2025年：—"
