"""The grounding check on hand-made answers (no index needed)."""

from __future__ import annotations

from policyqa.assistant.answer import Citation
from policyqa.assistant.claims import check_claim
from policyqa.assistant.grounding import ground

WAGE = "城区、长浏宁三县（市）最低工资标准分别提高到1700元/月、1540元/月。"
TITLE = "长沙市“十四五”人力资源和社会保障事业发展规划（2021—2025年）"


def _citation(n: int, text: str) -> Citation:
    return Citation(n, f"p{n}", "cs", TITLE, "长政办发〔2021〕73号", "2021-12-31", "第一章 > 第一节", text)


def test_supported_sentence_with_its_marker_stays():
    text, report = ground("长沙城区最低工资标准为1700元/月[1]。", [_citation(1, WAGE)])
    assert text == "长沙城区最低工资标准为1700元/月[1]。"
    assert not report.changed and report.checked_sentences == 1


def test_wrong_number_is_removed_even_when_cited():
    text, report = ground("城区最低工资标准为1700元/月[1]。三县为1600元/月[1]。", [_citation(1, WAGE)])
    assert "1600" not in text and "1700" in text
    assert report.unsupported_numbers == ["1600"]


def test_uncited_claim_is_removed_but_connectives_and_frames_stay():
    answer = "主要情况如下：\n据《长沙市规划》（长政办发〔2021〕73号）：\n城区为1700元/月[1]。\n另外全市还有30万个新岗位。"
    text, report = ground(
        answer, [_citation(1, WAGE)], metadata_text=f"{TITLE} 长政办发〔2021〕73号 2021-12-31"
    )
    assert "主要情况如下" in text and "据《长沙市规划》" in text and "1700" in text
    assert "30万个新岗位" not in text
    assert report.removed_sentences == ["另外全市还有30万个新岗位。"]


def test_marker_at_the_end_of_a_line_covers_the_sentences_before_it():
    answer = "城区、长浏宁三县（市）最低工资标准分别提高。提高到1700元/月、1540元/月[1]"
    text, report = ground(answer, [_citation(1, WAGE)])
    assert text == answer and not report.changed


def test_markers_pointing_nowhere_are_dropped():
    text, report = ground("城区最低工资标准为1700元/月[1][7]。", [_citation(1, WAGE)])
    assert text == "城区最低工资标准为1700元/月[1]。" and report.invalid_markers == [7]


def test_unsupported_wording_is_removed():
    text, report = ground("长沙将全面取消最低工资制度[1]。", [_citation(1, WAGE)])
    assert text == "" and report.removed_sentences


def test_chinese_numerals_count_as_numbers():
    source = _citation(1, "每2年举办1届长沙市职业技能大赛，每年带动5万人参与。")
    _, report = ground("每年带动五万人参与[1]。", [source])
    assert not report.unsupported_numbers
    _, report = ground("每年带动八万人参与[1]。", [source])
    assert report.unsupported_numbers == ["80000"]


INSURANCE = (
    "到2025年，城乡基本养老保险参保覆盖率96%以上，失业保险参保人数达212.7万，工伤保险参保人数达180万。"
)
ROW = "指标：7.失业保险参保人数；单位：万人；2020年：182.8万人；2025年：212.7万人；属性：约束性"


def test_an_answer_of_bare_markers_has_no_content():
    text, report = ground("[1] [2] [3]", [_citation(1, WAGE), _citation(2, INSURANCE), _citation(3, ROW)])
    assert report.no_content and text == ""
    assert report.changed


def test_echoed_source_headers_are_not_claims():
    answer = f"[1] 《{TITLE}》第一章 > 第一节\n[2] 《{TITLE}》第一章"
    text, report = ground(answer, [_citation(1, WAGE), _citation(2, INSURANCE)])
    assert report.no_content and "第一章" not in text
    assert len(report.removed_sentences) == 2


def test_a_quoted_chapter_outline_is_content_but_section_titles_elsewhere_are_echoes():
    outline_text = "第九章 强化规划实施保障：第一节 加强组织领导；第二节 加大资金投入"
    outline = Citation(1, "o", "cs", TITLE, "", "", "第九章 强化规划实施保障", outline_text, kind="outline")
    child = Citation(
        2,
        "c",
        "cs",
        TITLE,
        "",
        "",
        "第九章 强化规划实施保障 > 第一节 加强组织领导",
        "各级党委、政府要加强统筹协调。",
    )
    text, report = ground(f"{outline_text}[1]\n各级党委、政府要加强统筹协调。[2]", [outline, child])
    assert outline_text in text and not report.removed_sentences
    # section titles cited to a paragraph (no outline) merely echo its headers
    text, report = ground("第九章 强化规划实施保障 第一节 加强组织领导[2]", [outline, child])
    assert report.no_content and "第一节" not in text


def test_a_source_line_frame_alone_is_no_answer_but_stays_beside_a_claim():
    citations = [_citation(1, WAGE)]
    _, report = ground(f"据《{TITLE}》第一章：", citations)
    assert report.no_content
    text, report = ground(f"据《{TITLE}》第一章：\n城区最低工资标准为1700元/月[1]。", citations)
    assert not report.no_content and text.startswith("据《")


def test_a_figure_of_another_indicator_in_the_cited_sentence_is_unsupported():
    text, report = ground(
        "失业保险参保人数达180万[1]。工伤保险参保人数达180万[1]。", [_citation(1, INSURANCE)]
    )
    assert text == "工伤保险参保人数达180万[1]。"
    assert report.removed_sentences == ["失业保险参保人数达180万。"]


def test_a_figure_must_keep_its_period_and_unit():
    citations = [_citation(1, ROW)]
    kept, report = ground("失业保险参保人数2025年目标为212.7万人[1]。", citations)
    assert kept and not report.changed
    for wrong in ("失业保险参保人数2025年目标为182.8万人[1]。", "失业保险参保人数2025年目标为212.7人[1]。"):
        text, report = ground(wrong, citations)
        assert text == "" and report.removed_sentences == [wrong.replace("[1]", "")]


def test_enumerated_figures_share_the_context_before_them():
    text, report = ground("长浏宁三县（市）最低工资标准为1540元/月[1]。", [_citation(1, WAGE)])
    assert not report.changed and "1540元/月" in text


_ROW = "指标：8.工伤保险参保人数；单位：万人；2020年：171.3万人；2025年：180万人；属性：预期性"


def test_a_bare_figure_is_checked_against_what_the_question_asks():
    """ "180万人。[1]" answers its question: right for the 2025 target, wrong for the 2020 figure (the
    rubric's rule for bare figures; real 1.5B answers gave the other column this way)."""
    header = "长沙市“十四五”人力资源和社会保障事业发展规划\n专栏2 “十四五”规划发展主要指标"
    target = check_claim("180万人。", [(header, _ROW)], question="长沙工伤保险参保人数2025年的目标是多少？")
    actual = check_claim("180万人。", [(header, _ROW)], question="长沙工伤保险参保人数2020年是多少？")
    assert target.supported and not actual.supported and actual.reason == "period"


def test_a_stray_label_and_a_gapped_term():
    """ "、社会保障" (a table group echoed by a model) states nothing; 城镇新增就业 is the source's
    城镇累计新增就业 with a word between."""
    assert check_claim("、社会保障[1]", [("", _ROW)]).reason == "empty"
    source = "全市城镇累计新增就业28万人,累计新增农村劳动力转移就业6万人。"
    assert check_claim("湘潭城镇新增就业28万人。", [("湘潭市规划\n发展基础", source)]).supported
