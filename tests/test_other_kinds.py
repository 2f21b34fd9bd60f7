"""Documents other than the bundled plans: web copies with furniture and a repeated body, a national
意见 without 文号; document kinds and levels; table rows; one bad document in a corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, make_settings
from policyqa.assistant.cli import main as cli_main
from policyqa.evals.dataset import load_eval_set
from policyqa.index import ingest as ingest_module
from policyqa.index.chunk import chunk_document
from policyqa.index.clean import clean_text, is_furniture
from policyqa.index.ingest import ingest
from policyqa.index.metadata import kind_info, kind_of, level_of, load_meta
from policyqa.index.parse import parse_document
from policyqa.index.table import TableRow

WEB_COPY = REPO / "tests" / "data" / "web_copy"
OTHER_KINDS = REPO / "tests" / "data" / "other_kinds"
NOTICE = "provincial-notice-web-copy"
OPINION = "national-opinion-release"


def _read(name: str) -> str:
    return (WEB_COPY / f"{name}.txt").read_text(encoding="utf-8")


def test_web_furniture_is_removed_anywhere_and_page_metadata_is_read():
    text, report = clean_text(_read(NOTICE))
    for furniture in (
        "首页",
        "发布时间",
        "来源",
        "字体",
        "打印",
        "关闭",
        "分享到",
        "扫一扫",
        "相关链接",
        "责任编辑",
    ):
        assert furniture not in text, furniture
    # lines that only print the document's metadata stay as text (people ask for the 文号), one field each
    assert "索引号：430000-0123-2024-00045；主题分类：劳动、人事、监察" in text.split("\n")
    assert "发文字号：湘人社规〔2024〕3号；发布日期：2024-03-05" in text.split("\n")
    assert report.page_metadata == {
        "index_number": "430000-0123-2024-00045",
        "topic": "劳动、人事、监察",
        "issuer": "湖南省人力资源和社会保障厅",
        "written": "2024年03月01日",
        "doc_number": "湘人社规〔2024〕3号",
        "published": "2024-03-05",
    }
    meta = load_meta(WEB_COPY / f"{NOTICE}.txt", NOTICE, _read(NOTICE), report.page_metadata)
    assert (meta.doc_number, meta.date, meta.published, meta.issuer) == (
        "湘人社规〔2024〕3号",
        "2024-03-01",
        "2024-03-05",
        "湖南省人力资源和社会保障厅",
    )
    assert (meta.kind, meta.level, meta.region, meta.topic) == (
        "通知",
        "provincial",
        "湖南省",
        "劳动、人事、监察",
    )


def test_body_lines_that_mention_furniture_words_are_kept():
    body = [
        "各地要关闭不符合条件的评价机构，打印证书须经审核。",
        "（三）关闭",
        "来源地管理和就业地服务并重，责任编辑部门负责信息发布",
        "首页展示的办事指南应当及时更新。",
    ]
    assert not any(is_furniture(line) for line in body)
    assert all(
        is_furniture(line) for line in ["【字体：大 中 小】", "打印本页 关闭窗口", "当前位置：首页 > 政策"]
    )


def test_a_body_pasted_twice_is_indexed_once_with_unique_ids():
    text, report = clean_text(_read(NOTICE))
    assert text.count("评价机构应当在评价结束后10个工作日内公示结果") == 1
    assert text.count("一、扩大评价范围") == 1
    assert report.repeated == 7
    tree = parse_document(NOTICE, "通知", text)
    units, sections = chunk_document(tree, max_tokens=320)
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids))
    assert [u.text for u in units if "15万人以上" in u.text] == [
        "支持企业自主开展技能等级认定，2024年全省新增取得职业资格证书或职业技能等级证书人员15万人以上。"
    ]


def test_repeated_headings_get_unique_stable_section_ids():
    text = "第一部分 就业\n一、目标\n就业目标是稳定的。\n第二部分 社保\n一、目标\n社保目标是扩面的。\n"
    tree = parse_document("t", "t", text)
    first, _ = chunk_document(tree, max_tokens=320)
    again, _ = chunk_document(parse_document("t", "t", text), max_tokens=320)
    assert [u.id for u in first] == [u.id for u in again]
    assert len({u.id for u in first}) == len(first)


def test_a_national_opinion_without_number_has_its_kind_and_level():
    meta = load_meta(WEB_COPY / f"{OPINION}.txt", OPINION, _read(OPINION))
    assert (meta.title, meta.kind, meta.level) == (
        "关于促进灵活就业人员参加社会保险的指导意见",
        "意见",
        "national",
    )
    assert meta.issuer == "人力资源社会保障部"
    assert meta.doc_number == "" and "doc_number" in meta.missing
    assert "region" not in meta.missing  # a national document has no region to miss


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("长沙市“十四五”人力资源和社会保障事业发展规划（2021—2025年）", "规划"),
        ("关于进一步做好高校毕业生就业工作的通知", "通知"),
        ("湖南省稳就业工作方案", "通知"),
        ("关于促进灵活就业的指导意见", "意见"),
        ("湖南省失业保险金申领办法", "办法"),
        ("工伤认定实施细则", "办法"),
        ("中华人民共和国就业促进法", "条例"),
        ("湖南省就业服务条例", "条例"),
        ("《关于做好技能人才评价工作的通知》政策解读", "解读"),
    ],
)
def test_kind_from_title(title, kind):
    assert kind_of(title) == kind


def test_kind_decides_the_caveat():
    assert "规划期目标" in kind_info("规划").caveat
    assert "工作要求" in kind_info("意见").caveat and "规划" not in kind_info("意见").caveat
    assert "不是政策文件本身" in kind_info("解读").caveat
    assert kind_info("").name == "文件"


@pytest.mark.parametrize(
    ("issuer", "doc_number", "region", "level"),
    [
        ("国务院办公厅", "", "", "national"),
        ("人力资源社会保障部 财政部", "", "", "national"),
        ("", "人社部发〔2024〕5号", "", "national"),
        ("湖南省人力资源和社会保障厅", "", "湖南省", "provincial"),
        ("长沙市人民政府办公厅", "", "长沙市", "city"),
        ("岳麓区人力资源和社会保障局", "", "", "county"),
    ],
)
def test_level_from_issuer_number_or_region(issuer, doc_number, region, level):
    assert level_of(issuer, doc_number, region, "") == level


def test_table_row_knows_header_unit_and_year_columns():
    row = TableRow(
        title="专栏2 主要指标",
        header=["指标", "单位", "2020年", "2025年", "属性"],
        cells=["7.失业保险参保人数", "万人", "182.8", "212.7", "约束性"],
        note="注：[]内为5年累计数",
    )
    assert row.unit == "万人" and row.year_columns == {"2020": 2, "2025": 3}
    assert row.indicator == "失业保险参保人数"
    assert row.value_for("2025") == "212.7万人" and row.value_for("2030") == ""
    assert (
        row.render()
        == "指标：7.失业保险参保人数；单位：万人；2020年：182.8万人；2025年：212.7万人；属性：约束性"
    )
    assert TableRow.from_dict(row.to_dict()) == row


def test_table_rows_are_exposed_on_paragraphs(real_snapshot):
    rows = [p for p in real_snapshot.paragraphs if p.kind == "table_row" and "7.失业保险参保人数" in p.text]
    assert rows[0].row.value_for("2025") == "212.7万人"
    assert all(p.row is None for p in real_snapshot.paragraphs if p.kind == "paragraph")


def test_one_bad_document_is_skipped_and_the_rest_indexed(tmp_path, isolated_data_dir, monkeypatch, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(WEB_COPY, corpus)
    real_parse = ingest_module.parse_document

    def parse_or_fail(doc_id, title, text):
        if doc_id == NOTICE:
            raise RecursionError("maximum recursion depth exceeded")
        return real_parse(doc_id, title, text)

    monkeypatch.setattr(ingest_module, "parse_document", parse_or_fail)
    code = cli_main(["ingest", "--corpus", str(corpus), "--quiet"])
    out = capsys.readouterr().out
    assert code == 3
    assert (
        f"skipped: {NOTICE}.txt: could not be parsed (RecursionError: maximum recursion depth exceeded)"
        in out
    )
    assert "documents: 1 " in out


@pytest.mark.slow
def test_other_kinds_in_an_empty_corpus_answer_without_unknown_fields(tmp_path, isolated_data_dir):
    """The two documents of tests/data/other_kinds (also the eval slice's corpus) in an empty corpus."""
    from policyqa.assistant.pipeline import PolicyAssistant

    settings = make_settings(isolated_data_dir, OTHER_KINDS)
    summary = ingest(settings, progress=False)
    assert summary.documents == 2 and not summary.skipped
    assistant = PolicyAssistant.from_settings(settings)
    metas = {d["doc_id"]: d for d in assistant.documents()}
    notice, opinion = metas["notice-web-copy"], metas["opinion-news-release"]
    assert (notice["kind"], notice["level"], opinion["kind"], opinion["level"]) == (
        "通知",
        "provincial",
        "意见",
        "national",
    )
    assert (notice["doc_number"], notice["date"], notice["published"], notice["issuer"]) == (
        "湘人社发〔2026〕12号",
        "2026-03-09",
        "2026-03-12",
        "湖南省人力资源和社会保障厅",
    )
    assert (opinion["title"], opinion["doc_number"], opinion["date"]) == (
        "国务院办公厅关于进一步加强劳动者权益保障的意见",
        "",
        "2026-04-10",
    )
    texts = [p.text for p in assistant.snapshot.paragraphs]
    for name in ("other_kinds.jsonl", "other_kinds2.jsonl"):  # the eval sets on this corpus resolve
        items = load_eval_set(assistant.snapshot.paragraphs, REPO / "evals" / name)
        assert items and all(i.gold_ids for i in items if i.answerable)
    raw = (REPO / "evals" / "other_kinds2_raw_blind.jsonl").read_text(encoding="utf-8").splitlines()
    assert {i.question for i in items} <= {json.loads(line)["question"] for line in raw if line}  # as written
    assert sum("按每人1500元标准给予一次性扩岗补助" in t for t in texts) == 1  # the body pasted twice
    assert sum(t.startswith("对离校未就业高校毕业生，提供至少1次政策宣介") for t in texts) == 1
    assert not any(w in t for t in texts for w in ("责任编辑", "扫一扫", "浏览次数", "字体：大", "首页 >"))

    answer = assistant.ask("长沙一家工厂说让工人“自愿加班”，每个月加班60多个小时，意见里对加班有什么要求？")
    assert not answer.refused, answer.diagnostics
    assert answer.citations[0].doc_id == "opinion-news-release"
    assert "每月不得超过36小时" in answer.text
    assert "据《国务院办公厅关于进一步加强劳动者权益保障的意见》（2026-04-10）：" in answer.text
    assert "文号未知" not in answer.text and "规划" not in answer.text
    assert "意见提出的是工作要求" in answer.text
    assert answer.citations[0].number_and_date == "（2026-04-10）"

    subsidy = assistant.ask("我是长沙一家软件公司的HR，招了离校一年还没就业的大学生，企业能拿多少扩岗补助？")
    assert not subsidy.refused and "1500元" in subsidy.text
    assert "（湘人社发〔2026〕12号，2026-03-09）" in subsidy.text
    assert "通知提出的是工作要求和措施" in subsidy.text

    # 一次性创业补贴 said as asked (给予5000元…, one person's grant), not 一次性求职创业补贴 (1000元)
    grant = assistant.ask("我毕业两年了，自己开了个小店，能拿多少一次性创业补贴？")
    assert "5000元" in grant.text.split("\n")[0] and "1000元" not in grant.text.split("\n")[0]
    # its conditions (毕业5年内…个体经营，正常经营6个月以上的) are what it is granted for, however they are said
    grant = assistant.ask("毕业三年的大学生办个体户或者开网店，一次性创业补贴给多少钱？")
    assert grant.text.startswith("湖南省2026年：给予5000元一次性创业补贴")

    # a sentence that says its own year ("到2028年，…") is not labelled "2028年：" again
    goal = assistant.ask("国务院的意见里有没有说基层劳动人事争议调解组织要覆盖多少？")
    assert goal.text.startswith("到2028年，") and "90%以上" in goal.text.split("\n")[0]
    # a notice sets this year's rules: 今年…能拿多少 is answered by them, not "no 2026 actual stated"
    this_year = assistant.ask("今年我们厂招了两个应届毕业生，一次性扩岗补助每人能拿多少？")
    assert not this_year.refused and "1500元" in this_year.text.split("\n")[0]
    # …but a province's total is no city's own: the city's share is not stated, the total is related
    share = assistant.ask("我是株洲市人社局的，今年株洲要募集多少就业见习岗位？")
    assert share.refused and share.text.startswith("所提供的政策文件未载明株洲市")
    assert "全年全省募集就业见习岗位3万个以上" in share.text
    # when: the best paragraph names the subsidy (1.补贴对象和标准), the next item of its section says when
    when = assistant.ask("困难家庭毕业生的求职创业补贴啥时候发放到位？")
    assert not when.refused and "5月31日前审核发放到位" in when.text
    other = assistant.ask("1131实名服务什么时候开展？")  # that deadline is the subsidy's, not this service's
    assert "5月31日" not in other.text
    # a metadata question names its document (by title words, or 文号) even after a turn about the other;
    # a field the document lacks is said to be missing, beside what it does say
    history = [{"role": "user", "content": "这个毕业生就业创业的通知文号是多少？"}]
    dated = assistant.ask("国务院办公厅那份劳动者权益保障的意见是哪天印发的？", history=history)
    assert "2026年4月10日" in dated.text and "2026年3月9日" not in dated.text
    number = assistant.ask("劳动者权益保障的那个意见有没有文号？")
    assert not number.refused and "文件未载明文号" in number.text and "印发日期为2026年4月10日" in number.text
    online = assistant.ask("毕业生就业创业那个通知网上是哪天发布的？")  # the page's date, not the notice's
    assert "的发布日期为2026年3月12日" in online.text and "印发日期：2026年3月9日" in online.text
    by_number = assistant.ask("湘人社发〔2026〕12号是哪天印发的？")
    assert "2026年3月9日" in by_number.text and "2026年4月10日" not in by_number.text

    # the 见习补贴 is set as a share of the minimum wage: no amount in 元 is stated, and the 1000元 of
    # another 补贴 is no answer; the share is related information, labelled with the notice's year
    stipend = assistant.ask("我女儿在湘潭一家公司见习，见习补贴一个月能发多少元？")
    lines = stipend.text.split("\n")
    assert stipend.refused and lines[0] == "所提供的政策文件未载明湘潭市见习补贴的具体金额。"
    assert "湖南省2026年：见习单位按当地最低工资标准的70%发放见习补贴[1]" in lines
    assert "1000元" not in stipend.text and "规划" not in stipend.text


def test_profile_folder_by_path_changes_the_thesaurus(tmp_path):
    from policyqa.core.profile import PROFILES_DIR, load_profile
    from policyqa.index.sparse import Vocabulary

    folder = tmp_path / "myprofile"
    shutil.copytree(PROFILES_DIR / "renshe", folder)
    with (folder / "thesaurus.txt").open("a", encoding="utf-8") as f:
        f.write("灵活就业人员 打零工的 自由职业者\n")
    profile = load_profile(str(folder))
    expanded, variants = Vocabulary(profile).expand_query("打零工的怎么交社保？")
    assert variants == {"打零工的", "社保"} and "灵活就业人员" in expanded and "社会保险" in expanded
    assert load_profile("renshe").thesaurus.get("打零工的") is None


def test_calibration_writes_thresholds_per_embedding_model(tmp_path):
    import json

    from policyqa.core.profile import PROFILES_DIR, clear_cache, load_profile
    from policyqa.evals import calibrate

    folder = tmp_path / "p"
    shutil.copytree(PROFILES_DIR / "renshe", folder)
    results = [
        {"split": "dev", "answerable": True, "diagnostics": {"best_coverage": 0.9, "dense_top": 0.91}},
        {"split": "dev", "answerable": False, "diagnostics": {"best_coverage": 0.2, "dense_top": 0.86}},
    ]
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"results": results}), encoding="utf-8")
    code = calibrate.main([str(report), "--write", "--profile", str(folder), "--embed-model", "bge-m3"])
    assert code == 0
    clear_cache()
    profile = load_profile(str(folder))
    assert set(profile.thresholds) == {"multilingual-e5-small", "bge-m3"}
    chosen = profile.thresholds_for("bge-m3")
    assert chosen.refuse_min_coverage <= 0.9 and chosen.refuse_min_dense > 0.86
    assert profile.thresholds_for("multilingual-e5-small").refuse_min_dense == 0.89
    assert profile.thresholds_for("never-calibrated").refuse_min_dense == 0.89


def test_settings_override_the_profile_thresholds(isolated_data_dir, monkeypatch):
    from policyqa.core.profile import refusal_thresholds

    monkeypatch.setenv("ASSISTANT_RETRIEVAL_REFUSE_MIN_DENSE", "0.8")
    settings = make_settings(isolated_data_dir, Path("corpus"))
    assert refusal_thresholds(settings).refuse_min_dense == 0.8
    assert refusal_thresholds(settings).refuse_min_coverage == 0.5


def test_an_unknown_profile_is_one_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_PROFILE", "/nonexistent/profile")
    assert cli_main(["config"]) == 2
    err = capsys.readouterr().err
    assert "profile not found: /nonexistent/profile (bundled: renshe; or give a folder path)" in err
    assert "Traceback" not in err
