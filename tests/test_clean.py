"""Cleaning artifacts, each checked on the real documents."""

from __future__ import annotations

from conftest import CHANGSHA, CORPUS, XIANGTAN
from helpers import cleaned
from policyqa.index.clean import clean_text, normalize_for_match

CS = CORPUS / f"{CHANGSHA}.txt"
XT = CORPUS / f"{XIANGTAN}.txt"


def test_paragraphs_broken_across_page_breaks_are_joined():
    text, report = cleaned(CS)
    assert "就业促进机制不断完善，深入实施就业优先战略" in text
    assert "城乡基本社会保险实现应保尽保，社会保障待遇水平稳步提高" in text
    assert "降费减负成效明显" in text
    assert "完善依申请公开政府信息相关制度" in text
    lines = text.split("\n")
    assert not any(line.endswith("深入") for line in lines)
    assert not any(line.startswith("障待遇") for line in lines)
    assert len(report.joined) >= 15


def test_title_and_notice_lines_are_not_glued_to_the_next_paragraph():
    text, _ = cleaned(CS)
    lines = text.split("\n")
    assert "长政办发〔2021〕73号" in lines
    assert "各区县（市）人民政府，市直机关各单位：" in lines
    assert "第一节 发展基础" in lines


def test_stray_spaces_between_cjk_and_digits_are_removed():
    text, report = cleaned(CS)
    assert "累计减免社保费170余亿元" in text
    assert "170 余亿元" not in text
    assert "全面落实“长沙人才新政22条”，累计发放奖补资金11.91亿元" in text
    assert "2020年全市人才总量达280万" in text
    assert report.spaces_removed > 10


def test_heading_marker_spacing_and_latin_words_are_kept():
    text, _ = cleaned(CS)
    assert "第一章 发展基础和面临形势" in text.split("\n")
    assert "专栏3 就业创业提升行动计划" in text.split("\n")
    assert "相关制度和 work 程序" in text  # odd but verbatim: only CJK/digit gaps are closed


def test_punctuation_width_is_kept_verbatim_and_folded_only_for_matching():
    text, _ = cleaned(XT)
    assert "各县市区人民政府,湘潭高新区和经开区管委会,市直机关各单位" in text
    assert "(一)指导思想。" in text
    assert normalize_for_match("（一）指导思想，") == normalize_for_match("(一)指导思想,")
    assert normalize_for_match("１７００元／月") == "1700元/月"


def test_trailing_web_page_furniture_is_removed():
    text, report = cleaned(XT)
    assert "点击下载" not in text and "来源:" not in text and "编辑:" not in text
    assert text.rstrip().endswith("。")
    assert text.split("\n")[-1].startswith("(四)强化队伍建设")
    reasons = {reason for reason, _ in report.removed_lines}
    assert reasons == {"page furniture"}
    assert len(report.removed_lines) == 3


def test_cover_page_noise_and_copy_to_block_are_removed():
    text, report = cleaned(CS)
    assert "000292—2021—01063" not in text
    assert "抄送" not in text
    assert "2021年12月31日印发" not in text
    assert text.split("\n")[-1].startswith("采取群众喜闻乐见的方式")
    removed = dict((line, reason) for reason, line in report.removed_lines)
    assert removed["000292—2021—01063"] == "file index number"
    assert removed["各民主党派市委。"] == "抄送/印发 block"


def test_wording_is_otherwise_unchanged():
    """Every cleaned paragraph is the original text with only whitespace differences."""
    raw = CS.read_text(encoding="utf-8")
    squeezed_raw = "".join(raw.split())
    text, _ = cleaned(CS)
    for line in text.split("\n"):
        assert "".join(line.split()) in squeezed_raw


def test_table_lines_keep_their_tabs_and_header_spacing_is_fixed():
    text, _ = cleaned(CS)
    assert "指标\t单位\t2020年\t2025年\t属性" in text
    assert "7.失业保险参保人数\t万人\t182.8\t212.7\t约束性" in text


def test_crlf_bom_and_gbk_style_input():
    raw = "\ufeff一、总则\r\n本办法适用于全市。\r\n\r\n二、附则\r\n本办法自发布之日起施行，有效期\r\n\r\n五年。\r\n"
    text, report = clean_text(raw)
    assert text.split("\n") == [
        "一、总则",
        "本办法适用于全市。",
        "二、附则",
        "本办法自发布之日起施行，有效期五年。",
    ]
    assert len(report.joined) == 1
