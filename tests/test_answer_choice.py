"""Which sentence or figure an answer leads with, for questions in citizens' words: sentences close in
meaning to the question (vectors from ingest), what the plan will do before what the last plan did,
the asker's own situation kept out of the indicator, per-person amounts never answered by a total,
and an unscoped figure shown with its row's target."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from policyqa.assistant.extractive import Evidence, sentence_meaning
from policyqa.assistant.pipeline import PolicyAssistant
from policyqa.assistant.select import value_kinds
from policyqa.assistant.slots import load_question_words, read_slots
from policyqa.index.chunk import Paragraph
from policyqa.index.sparse import expand_query
from policyqa.index.store import SentenceRows

WORDS = load_question_words()


@pytest.fixture(scope="module")
def assistant(real_index, real_snapshot):
    return PolicyAssistant(real_index, real_snapshot)


def first_line(answer) -> str:
    return answer.text.split("\n")[0]


def _paragraph(pid: str, text: str) -> Paragraph:
    return Paragraph(pid, "doc", "paragraph", text, "s", ["一、任务"], 0, 0, len(text))


# -- sentence vectors -------------------------------------------------------------------------------------


def test_sentence_meaning_is_standardised_over_the_retrieved_sentences_and_weighted():
    a = _paragraph("a", "健全农民工工资支付预警制度。完善银行按月发放制度。")
    b = _paragraph("b", "持续优化营商环境。")
    evidence = [Evidence(a, 0, {}), Evidence(b, 1, {})]
    query = np.array([1.0, 0.0], dtype=np.float32)
    vectors = {
        "a": SentenceRows(a.units_digest, np.array([[0.9, 0.1], [0.8, 0.2]], dtype=np.float32)),
        "b": SentenceRows(b.units_digest, np.array([[0.2, 0.9]], dtype=np.float32)),
    }
    meaning = sentence_meaning(evidence, vectors, query, weight=0.15)
    assert set(meaning) == {("a", 0), ("a", 1), ("b", 0)}
    assert meaning[("a", 0)] > meaning[("a", 1)] > 0 > meaning[("b", 0)]
    assert abs(sum(meaning.values())) < 1e-6  # centred on the retrieved sentences' mean
    # no weight, no vectors, or vectors from another cut of a paragraph: shared words decide alone
    assert sentence_meaning(evidence, vectors, query, weight=0) == {}
    assert sentence_meaning(evidence, None, query, weight=0.15) == {}
    stale = {"a": SentenceRows("another-cut", vectors["a"].vectors), "b": vectors["b"]}
    assert ("a", 0) not in sentence_meaning(evidence, stale, query, weight=0.15)
    # clipped at two standard deviations: meaning breaks ties, it does not outweigh shared words
    many = [_paragraph(f"p{i}", f"第{i}句。") for i in range(20)]
    rows = {p.id: SentenceRows(p.units_digest, np.array([[0.0, 1.0]], dtype=np.float32)) for p in many}
    rows["p0"] = SentenceRows(many[0].units_digest, np.array([[1.0, 0.0]], dtype=np.float32))
    spread = sentence_meaning([Evidence(p, i, {}) for i, p in enumerate(many)], rows, query, weight=0.15)
    assert abs(spread[("p0", 0)] - 0.3) < 1e-6


def test_every_unit_of_the_real_index_has_its_sentence_vectors(real_snapshot):
    vectors = real_snapshot.sentence_vectors
    assert vectors is not None
    assert all(len(vectors[p.id].vectors) == len(p.units) for p in real_snapshot.paragraphs)
    assert all(abs(float(np.linalg.norm(r.vectors[0])) - 1.0) < 1e-3 for r in list(vectors.values())[:20])


def test_the_dense_searchs_query_vector_weighs_the_retrieved_sentences(assistant):
    slots = read_slots("湘潭怎么治欠薪的？", WORDS)
    *_, hits, vector = assistant._retrieve(slots.request_text, None, slots)
    assert vector is not None and len(vector) == 384  # llama-index filled it in: no second call
    meaning = assistant._sentence_meaning(assistant._evidence(hits), vector)
    assert meaning and max(meaning.values()) > 0 > min(meaning.values())


def test_a_measures_question_in_everyday_words_quotes_what_the_plan_will_do(assistant):
    # "怎么治欠薪" shares no word with "健全农民工工资支付预警制度"; the 十三五 review does share 欠薪
    answer = assistant.ask("湘潭怎么治欠薪的？")
    assert not answer.refused
    assert "农民工工资支付预警" in answer.text or "按月发放" in answer.text
    body = answer.text.split("\n")[1]
    assert "获评" not in body  # the review of the last period is not the first thing quoted


# -- reading the question ---------------------------------------------------------------------------------


def test_the_askers_situation_does_not_name_the_indicator(assistant):
    answer = assistant.ask("我刚下岗，想问下长沙这几年打算新增多少工作岗位？")
    assert not answer.refused and "75万人" in first_line(answer)


def test_an_official_term_said_inside_the_everyday_word_still_expands_it():
    _, variants = expand_query("长沙这五年打算新增多少城镇就业岗位？")
    assert "就业岗位" in variants


def test_a_wage_in_yi_yuan_is_an_amount():
    assert value_kinds("发放创业担保贷款7.28亿元") == {"amount"}
    assert value_kinds("累计减免社保费170余亿元") == {"amount"}
    assert value_kinds("城镇新增就业75万人") == {"count"}


@pytest.mark.parametrize(
    "question",
    ["长沙创业担保贷款最多能贷多少？", "在长沙创业能拿多少补贴？", "湘潭企业减免社保费每家能减多少？"],
)
def test_a_per_person_amount_is_not_answered_with_a_total(assistant, question):
    assert read_slots(question, WORDS).per_unit
    answer = assistant.ask(question)
    assert first_line(answer).startswith("所提供的政策文件未载明")
    assert "亿元" not in first_line(answer)  # the total may follow, labelled, as related information


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("长沙劳动保障监察举报投诉案件结案率最高能达到多少？", "96%"),
        ("长沙城镇新增就业最多能达到多少？", "75万人"),
    ],
)
def test_a_rate_or_count_asked_with_zuiduo_is_no_per_person_amount(assistant, question, figure):
    assert not read_slots(question, WORDS).per_unit
    answer = assistant.ask(question)
    assert not answer.refused and figure in first_line(answer)


def test_a_total_asked_as_a_total_is_still_answered(assistant):
    assert not read_slots("长沙创业担保贷款发了多少钱出去？", WORDS).per_unit
    answer = assistant.ask("长沙创业担保贷款发了多少钱出去？")
    assert "7.28亿元" in first_line(answer) and "十三五" in first_line(answer)


def test_a_figure_asked_without_a_period_shows_the_result_and_the_target(assistant):
    line = first_line(assistant.ask("长沙劳动保障监察举报投诉案件结案率是多少？"))
    assert "2020年" in line and "100%" in line and "2025年目标：96%" in line
    target = first_line(assistant.ask("长沙劳动保障监察举报投诉案件结案率到2025年要达到多少？"))
    assert "96%" in target and "100%" not in target  # a period asked: only that period's figure


def test_a_follow_up_asks_for_its_own_plan_period_not_its_contexts(assistant):
    history = [{"role": "user", "content": "长沙十三五期间新增了多少城镇就业？"}]
    answer = assistant.ask("当时定的十四五目标呢？", history=history)
    assert "75万人" in first_line(answer) and not answer.refused
    history = [{"role": "user", "content": "湘潭十三五期间新增了多少城镇就业？"}]
    answer = assistant.ask("当时定的十四五目标呢？", history=history)
    assert first_line(answer).startswith("所提供的政策文件未载明湘潭市")  # 湘潭 sets no such target


def test_a_comparison_says_first_which_place_sets_no_such_figure(assistant):
    answer = assistant.ask("长沙和湘潭的城镇新增就业目标分别是多少？")
    lines = answer.text.split("\n")
    assert lines[0] == "经查询，所提供的文件未载明湘潭市城镇新增就业的目标数值。" and "75万人" in lines[1]
    assert not answer.refused  # 长沙's figure answers half of it
    draft = assistant.ask("长沙和湘潭的城镇新增就业目标分别是多少？", mode="reply").text
    assert "所提供的文件未载明湘潭市" in draft.split("\n")[0] and "75万人" in draft
    # a supporting figure of the other city is labelled with its place and period
    assert "湘潭市“十三五”时期，全市城镇累计新增就业28万人" in draft


def test_a_list_naming_the_plans_own_period_quotes_its_measures_before_the_last_review(assistant):
    answer = assistant.ask("长沙十四五有哪些创业扶持措施")
    assert not answer.refused
    body = answer.text.split("\n")[1]
    assert "一次性创业补贴" in answer.text and "创业孵化基地" in answer.text
    assert "7.28亿元" not in body  # the 十三五 review (创业担保贷款7.28亿元) is context after the measures
    assert "指标：" not in answer.text  # no row of the indicator table, whose title says 十四五
    assert "博士后" not in answer.text  # the top-ranked paragraph's 十四五 sentence says nothing of 创业
    # words no document uses (奶茶店) lower every sentence's coverage alike: the bar is relative to the best
    answer = assistant.ask("我想在长沙开个奶茶店，十四五对创业有什么扶持？")
    assert "一次性创业补贴" in answer.text and "博士后" not in answer.text and "指标：" not in answer.text


def test_a_figure_whose_table_names_the_asked_plan_comes_before_one_inferred_to_be_of_it(assistant):
    # 专栏1 “十三五”…完成情况 says <4%; the 2020 column of the 十四五 table (3.27%) is only inferred to be 十三五
    answer = assistant.ask("长沙十三五的时候城镇登记失业率控制在多少？")
    assert first_line(answer).startswith("长沙市：城镇登记失业率（2020年完成数）：4%以内")


def test_a_result_asked_beside_a_target_no_document_sets_is_answered(assistant):
    answer = assistant.ask("湘潭社保卡持卡人数有好多了？目标多少")
    assert not answer.refused
    lines = answer.text.split("\n")
    assert lines[0].startswith("经查询，所提供的文件未载明湘潭市") and lines[0].endswith("目标数值。")
    assert "“十三五”时期" in lines[1] and "260多万张" in lines[1]
    # the target alone is still not stated, and two targets asked are no result asked
    assert assistant.ask("湘潭社保卡十四五目标是多少？").refused
    assert assistant.ask("湘潭社保卡十四五持卡目标多少，覆盖率目标多少？").refused


def test_a_follow_up_naming_its_own_topic_is_judged_by_its_own_words(assistant):
    history = [
        {"role": "user", "content": "湘潭规划对公务员队伍建设怎么说？"},
        {"role": "assistant", "content": "湘潭规划提出加强公务员队伍建设，完善公务员考核、培训和激励机制。"},
    ]
    answer = assistant.ask("职称那块呢", history=history)
    assert not answer.refused  # 公务员队伍建设 of the context no longer dilutes 职称
    assert "职称和职业资格制度改革" in first_line(answer)


def test_a_follow_up_with_no_topic_of_its_own_is_searched_as_its_contexts_question(assistant):
    history = [
        {"role": "user", "content": "长沙十四五在人才引进方面有什么打算？"},
        {"role": "assistant", "content": "长沙规划提出要深入实施人才新政。"},
    ]
    answer = assistant.ask("具体有哪些", history=history)
    assert answer.rewritten_question.startswith("具体有哪些（上文：")
    assert any("揭榜引才" in r.text for r in answer.retrieved[:5]) and "揭榜引才" in answer.text


def test_a_list_of_measures_opens_with_one_even_when_the_question_says_measures(assistant):
    # 措施 says a list is asked; the first line needs to name 农民工, not 措施, which no measure says
    answer = assistant.ask("长沙对农民工有哪些措施？")
    assert first_line(answer).startswith("长沙市“十四五”规划提出：") and "农民工" in first_line(answer)


def test_a_follow_up_about_ones_own_case_stays_an_eligibility_question_after_its_rewrite(assistant):
    history = [
        {"role": "user", "content": "长沙对创业的人有没有创业担保贷款？"},
        {"role": "assistant", "content": "有，规划提出落实创业担保贷款等优惠政策。"},
    ]
    answer = assistant.ask("我们店去年贷过一次还没还完，现在还能再申请这个贷款吗？", history=history)
    assert "吗" not in answer.rewritten_question  # the rewrite drops the particle the pattern needs
    assert answer.refused and answer.diagnostics["near_miss"] == "eligibility"


def test_a_verdict_between_places_is_not_given_when_one_sets_no_figure(assistant):
    for question in ("长沙和湘潭哪个新增就业的目标定得更高？", "两个市的失业率控制目标一样吗？"):
        answer = assistant.ask(question)
        assert answer.refused, question
        assert first_line(answer).startswith("所提供的政策文件未载明湘潭市")
        assert first_line(answer).endswith("无法比较。")
    # both places give the figure: the verdict's figures are shown, not refused
    answer = assistant.ask("长沙和湘潭的失业保险参保人数哪个多？")
    assert not answer.refused and "182.8" in answer.text and "34万人" in answer.text
    answer = assistant.ask("两个城市的工伤保险参保人数谁多？")  # 两个城市 names no topic
    assert not answer.refused and "171.3万人" in answer.text and "41万人" in answer.text


def test_a_figure_of_the_period_before_the_plan_is_found_in_its_long_review_paragraph(assistant):
    # the review states it in a paragraph full of other figures, ranked below the indicator table's rows
    answer = assistant.ask("长沙十三五末养老保险参保人数是多少")
    assert not answer.refused and "677.4万" in first_line(answer)
    history = [{"role": "user", "content": "长沙到2025年高技能人才要达到多少？"}]
    line = first_line(assistant.ask("那十三五末的时候有多少？", history=history))
    # "其中…" is a part of the whole before it: said with it
    assert "技能人才总量达120万，其中高技能人才占比30%" in line


def test_a_follow_up_asking_a_level_below_gets_that_levels_figure(assistant):
    history = [{"role": "user", "content": "长沙最低工资标准是多少？"}]
    line = first_line(assistant.ask("县里是多少", history=history))
    assert "其中长浏宁三县（市）最低工资标准为1540元/月" in line


def test_several_months_is_no_question_about_an_amount(assistant):
    question = "市民留言：“我在湘潭打工被拖欠工资好几个月了，政府到底管不管？”请帮我起草一个答复，说说规划里有什么举措。"
    answer = assistant.ask(question, mode="reply")
    assert not answer.refused and "农民工工资" in answer.text


def test_asking_forms_and_miscut_words_are_not_topic_terms(assistant):
    terms = assistant.terms.query_terms("老板拖了我三个月工资一直不给，政府管不管？能不能在网上办？", [])
    assert "工资" in terms and "月工资" not in terms  # jieba cuts 三个 / 月工资: the known word counts
    assert "不管" not in terms and "不能" not in terms  # 管不管, 能不能 ask; they name nothing


def test_a_citizens_own_words_about_unpaid_wages_get_the_wage_payment_measures(assistant):
    question = (
        "市民留言：“我是在长沙工地干活的农民工，老板拖了我三个月工资一直不给，政府管不管？”请起草答复。"
    )
    answer = assistant.ask(question, mode="reply")
    assert not answer.refused and "农民工工资" in answer.text
    assert "农民工服务保障行动。" not in answer.draft  # a box's bare heading is no supporting sentence


def test_ones_own_case_is_not_answered_with_the_plans_totals(assistant):
    question = "市民留言：“我在湘潭的厂里干了8年，厂里一直没给我买社保，现在还能补缴吗？”请起草答复。"
    answer = assistant.ask(question, mode="reply")
    assert answer.refused and "未载明对个人是否符合条件的认定" in answer.draft
    assert not re.search(r"\d", answer.draft.replace("8年", ""))  # no 27亿元, no 100%


def test_a_named_section_of_many_items_is_answered_with_every_item(assistant):
    answer = assistant.ask("长沙人社规划的指导思想和基本原则是怎么写的？")
    principles = (
        "坚持党的领导",
        "坚持以人民为中心",
        "坚持服务大局",
        "坚持改革创新",
        "坚持统筹协调",
        "坚持依法行政",
    )
    assert all(p in answer.text for p in principles)


def test_a_part_of_a_joined_title_names_its_section_only_when_the_question_points_at_one(assistant):
    chapter = assistant.ask("湘潭规划里主要目标那一章写了什么？")  # 二、指导思想和主要目标
    assert "指导思想和主要目标" in chapter.text.split("\n")[1]
    # 人力资源 is a part of the title 人力资源和社会保障系统行风建设提升行动: no section is pointed at
    park = assistant.ask("长沙说要打造人力资源服务产业园，规划里具体怎么说的？")
    assert "产业园" in park.text and "行风建设" not in park.text


def test_last_years_actual_is_not_answered_with_the_plans_goal_for_that_year(assistant):
    answer = assistant.ask(
        "长沙去年新增就业多少人？"
    )  # 去年 = 2025 (or later): the plan has a goal, no result
    assert answer.refused and "75万" not in first_line(answer) and "去年" in first_line(answer)
    goal = assistant.ask("长沙2025年城镇新增就业目标是多少？")  # a goal asked for that year is answered
    assert "75万人" in first_line(goal) and not goal.refused


def test_ones_own_case_asked_with_still_is_an_eligibility_near_miss():
    assert read_slots("我60岁了还能领失业金吗？", WORDS).near_miss == "eligibility"
    assert read_slots("长沙还能申请创业担保贷款吗？", WORDS).near_miss == ""  # not the asker's own case


def test_a_figure_is_shown_without_the_figure_of_the_clause_before_it(assistant):
    line = first_line(assistant.ask("湘潭高校毕业生就业率有多少？"))
    assert "90%" in line and "5万人次" not in line  # "每年开展职业技能培训5万人次,高校毕业生就业率达90%"
    # …while that clause still tells what a short one is about: the park's 150亿元 is its scale
    assert "150亿元" in first_line(assistant.ask("人力资源服务产业园的产业规模目标是多少钱？"))


def test_a_reply_quoting_a_sentence_that_opens_with_genju_does_not_say_genju_twice(assistant):
    draft = assistant.ask(
        "市民留言：“我是外卖骑手，在长沙跑单，受了伤有没有保障？”请起草答复。", mode="reply"
    ).draft
    assert "职业伤害保障" in draft and "》，根据" not in draft and "根据《" not in draft.split("\n")[0][:12]


def test_the_last_part_of_a_plan_is_found_by_position(assistant):
    answer = assistant.ask("长沙人社规划最后的保障措施那部分讲了什么？")  # 第九章 强化规划实施保障
    assert "第九章 强化规划实施保障" in answer.text and "加强组织领导" in answer.text


def test_a_count_is_not_answered_with_a_rate_nor_an_unknown_indicator_with_a_nearby_row(assistant):
    households = assistant.ask("长沙零就业家庭有多少户？")  # the plan: 零就业家庭100%动态清零
    assert households.refused and first_line(households).startswith("所提供的政策文件未载明")
    assert "100%" in households.text  # …shown as related information, labelled
    gdp = assistant.ask("长沙2020年GDP是多少？")  # no word of it occurs in the documents
    assert gdp.refused and "%" not in first_line(gdp)


def test_review_cases_of_the_new_patterns_do_not_fire_where_they_should_not(assistant):
    from policyqa.assistant.query import analyse

    docs = assistant.snapshot.documents
    assert not analyse("哪个文件规定了最低工资标准是多少？", docs).verdict  # 多 of 多少
    assert not analyse("长沙和湘潭最低工资标准不低于多少？", docs).verdict  # 不低于
    assert analyse("长沙和湘潭哪个新增就业的目标定得更高？", docs).verdict
    assert not analyse("长沙人力资源这块有什么规划？", docs).section_cue
    assert read_slots("我想问下长沙还能申请创业担保贷款吗", WORDS).near_miss == ""
    assert read_slots("我市城镇新增就业目标能不能完成？", WORDS).near_miss == ""
    assert read_slots("养老保险每个月要交多少钱？", WORDS).period != "target"
    assert read_slots("就业见习岗位今年要募集多少个？", WORDS).target_asked  # 要 + a verb: a goal
    assert read_slots("补贴资金占财政支出的比重是多少？", WORDS).value == "rate"
    # what actually happened last year, with the goal asked only in a yes/no clause after it
    assert not read_slots("长沙去年新增就业多少人，完成目标了吗？", WORDS).target_asked


def test_a_result_of_a_year_after_the_documents_were_issued_is_not_stated(assistant):
    # both plans were issued by 2022: no result of 2023 can be in them, though 2023 is in their period
    history = [{"role": "user", "content": "湘潭对高校毕业生留湘有什么计划？"}]
    answer = assistant.ask("那2023年实际留下了多少？", history=history)
    assert answer.refused and first_line(answer) == "所提供的政策文件未载明2023年的相关数据。"


def test_the_not_stated_sentence_names_what_the_asking_clause_names(assistant):
    answer = assistant.ask("长沙的失业金一个月能领多少，我交了5年社保？")  # the asker's case follows the ask
    assert first_line(answer) == "所提供的政策文件未载明长沙市失业金的具体数值。"


@pytest.mark.parametrize(
    ("before", "follow_up", "figure"),
    [
        (
            "长沙社会保障卡发卡数多少",
            "那电子社保卡发了多少？",
            "333.4万张",
        ),  # its own topic, not the context's
        (
            "长沙城镇新增就业十四五目标是多少",
            "上一个五年完成得怎么样？",
            "71.42万人",
        ),  # a result: not of 十四五
        ("长沙失业保险参保人数2020年是多少", "那它的目标呢？", "212.7万人"),  # not the context's 2020
        ("长沙城乡居民基本养老保险参保率目标", "十三五的时候是多少？", "2020年完成数"),  # not its 目标
    ],
)
def test_a_follow_up_is_answered_by_what_its_own_words_ask(assistant, before, follow_up, figure):
    answer = assistant.ask(follow_up, history=[{"role": "user", "content": before}])
    assert figure in first_line(answer) and not answer.refused


def test_question_words_come_from_the_profile(assistant, tmp_path):
    from policyqa.assistant.extractive import TermWeights

    question = "长沙失业保险参保情况怎么样"
    assert "情况" in assistant.profile.question_words  # profiles/renshe/question_words.txt
    assert "情况" not in assistant.terms.query_terms(question, [])
    bare = TermWeights(assistant.snapshot.paragraphs, assistant.snapshot.term_df)  # no question words
    assert "情况" in bare.query_terms(question, [])


# -- groups of people, wrapped requests and words that look like slots ------------------------------------


def test_a_group_no_document_of_the_place_mentions_is_not_stated_with_related_passages(assistant):
    answer = assistant.ask("我家孩子是听力残疾，在湘潭找工作很难，政府有啥帮扶政策吗")
    assert answer.refused and first_line(answer) == "所提供的政策文件未载明湘潭市针对残疾人的专门内容。"
    assert "相关信息" in answer.text and answer.citations[0].doc_id == "xiangtan-hrss-14th-five-year-plan"
    # the Changsha plan does name the group: answered there
    changsha = assistant.ask("长沙对残疾人就业有什么措施？")
    assert not changsha.refused and "残疾人" in changsha.text


def test_a_group_asked_beside_one_the_documents_name_is_answered_with_a_caveat(assistant):
    answer = assistant.ask("我家孩子有残疾，湘潭对这种就业困难的人有没有帮扶？")
    assert not answer.refused
    assert first_line(answer) == "以下为湘潭市就业困难人员的相关内容，文件未单独载明针对残疾人的内容。"
    assert "就业困难" in answer.text.split("\n", 1)[1]


def test_groups_are_read_from_the_profile(tmp_path):
    from policyqa.assistant import groups
    from policyqa.core.profile import PROFILES_DIR, load_profile

    folder = tmp_path / "p"
    shutil.copytree(PROFILES_DIR / "renshe", folder)
    (folder / "groups.txt").write_text("# 注释\n护林员 护林\n", encoding="utf-8")
    profile = load_profile(str(folder))
    assert profile.groups == (("护林员", "护林"),)
    paragraphs = [_paragraph("a", "加强护林队伍建设。")]
    found = groups.mentions(profile.groups, paragraphs)
    assert found == {"护林员": {"doc"}}
    assert groups.unmentioned(groups.named("护林员有补贴吗", profile.groups), found, ["other"]) == ["护林员"]
    assert groups.unmentioned(groups.named("护林员有补贴吗", profile.groups), found, ["doc"]) == []


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        # the quoted message is the question when the words around it only ask for a reply
        ("帮我给市民回复一下。市民来电说：“长沙对下岗职工有没有帮扶？”", "长沙对下岗职工有没有帮扶？"),
        # a question outside the quote is the operator's own: kept whole
        ("市民说“长沙对下岗职工有没有帮扶”，这句话出自哪个文件？", None),
        # "市民问…" without a colon: the asker, not a topic (市民 would match 农民工市民化)
        ("市民问长沙对返乡创业的农民工有什么支持，帮我拟个答复口径", "长沙对返乡创业的农民工有什么支持"),
        ("市民问题反映渠道有哪些？", None),
        # without a colon the asker is only taken off when a reply is asked for
        ("市民咨询热线是多少", None),
        ("老百姓问政平台怎么用？", None),
    ],
)
def test_a_quoted_message_inside_a_reply_request_is_the_question(question, asked):
    slots = read_slots(question, WORDS)
    assert slots.request_text == (asked or question)


def test_words_about_the_asker_or_a_document_are_not_read_as_slots():
    assert read_slots("我是长沙的下岗职工，今年45岁了，有没有帮扶？", WORDS).years == []
    assert read_slots("我今年大学毕业，长沙有什么就业政策？", WORDS).years == []
    assert read_slots("今年长沙最低工资是多少？", WORDS).years  # 今年 asked: still the current year
    assert read_slots("领导要材料：湘潭劳动关系方面的主要任务，要点式列出来", WORDS).near_miss == ""
    assert read_slots("办失业登记需要什么材料？", WORDS).near_miss == "procedure"
    assert read_slots("那湘乡市分到多少任务", WORDS).value == "figure"
    assert read_slots("湘潭的规划是市人社局发的还是市政府办公室发的", WORDS).metadata == "issuer"


def test_a_list_question_is_answered_first_by_its_best_item_with_place_and_period(assistant):
    answer = assistant.ask("长沙对就业困难人员有哪些帮扶措施，规划里怎么说的")
    assert first_line(answer).startswith("长沙市“十四五”规划提出：") and "就业困难人员" in first_line(answer)
    assert (
        first_line(answer).endswith("[1]")
        and answer.citations[0].doc_id == "changsha-hrss-14th-five-year-plan"
    )
    # a best sentence that does not name what was asked (吸引…机构入驻园区 for 吸引人才) is no first line;
    # one that says it in the documents' words (引进…人才, 引才) is
    talent = assistant.ask("长沙怎么吸引人才来？有什么政策方向？")
    assert "入驻" not in first_line(talent) and "引才" in first_line(talent)


def test_a_follow_up_comparing_with_another_place_keeps_the_first(assistant):
    history = [{"role": "user", "content": "长沙十三五期间城镇新增就业多少人？"}]
    answer = assistant.ask("比湘潭多多少", history=history)
    lines = answer.text.split("\n")
    assert "71.42万人" in lines[0] and "28万人" in lines[1]


def test_a_follow_up_asking_a_figure_is_no_list_question_whatever_its_context_asked(assistant):
    history = [{"role": "user", "content": "湘潭十四五期间职业技能培训有什么目标？"}]
    answer = assistant.ask("那湘乡市分到多少任务", history=history)
    assert answer.refused and first_line(answer).startswith("所提供的政策文件未载明湘乡市")


def test_a_figure_narrowed_by_a_noun_no_such_figure_has_is_not_stated(assistant):
    answer = assistant.ask("湘潭十三五期间城乡居民基本养老保险参保人数是多少")
    assert answer.refused and first_line(answer).startswith(
        "所提供的政策文件未载明湘潭市城乡居民基本养老保险参保人数"
    )
    assert "湘潭市“十三五”时期：全市基本养老保险参保190万人" in answer.text.split("相关信息")[1]
    # the broader figure asked as such is still answered
    broad = assistant.ask("湘潭十三五期间基本养老保险参保人数是多少")
    assert not broad.refused and "190万人" in first_line(broad)


# -- hotline6 dev classes: slips, wider places, one year against a five-year total -------------------------


def test_a_place_name_written_as_a_homophone_is_read_as_the_place(assistant):
    from policyqa.assistant.places import correct_homophones

    cut = assistant.vocab.cut
    assert correct_homophones("湘谭的失业保险", ["湘潭", "长沙"], cut) == (
        "湘潭的失业保险",
        [("湘谭", "湘潭")],
    )
    assert correct_homophones("我想谈谈湘潭的就业", ["湘潭"], cut)[1] == []  # the place is named: no slip
    assert correct_homophones("我想谈谈就业", ["湘潭"], cut)[1] == []  # 想谈: no character right
    names = ["长沙市", "长沙"]
    assert correct_homophones("缴费年限延长啥时候实施", names, cut)[1] == []  # 长啥 straddles two words
    assert correct_homophones("事业单位招聘长沙市是不是", names, cut)[1] == []  # 沙市是: 市 forms never
    answer = assistant.ask("湘谭十三五期间失业保险参保多少人？")
    assert "34万人" in first_line(answer) and "已将问题中的“湘谭”按“湘潭”理解。" in answer.notices


def test_a_province_named_alone_is_not_answered_from_city_documents(assistant):
    answer = assistant.ask("湖南省最低工资标准下一次什么时候调？调到多少？")
    assert answer.refused and first_line(answer).startswith("所提供的政策文件未载明湖南省的相关内容")
    assert "1700元/月" in first_line(assistant.ask("湖南省长沙市城区最低工资标准是多少？"))


def test_one_year_is_not_answered_by_a_total_over_the_plans_years(assistant):
    answer = assistant.ask("2020年那一年长沙城镇新增就业多少人？")
    assert answer.refused and "71.42万人（5年累计数）" in answer.text.split("相关信息")[1]
    assert "71.42万人" in first_line(assistant.ask("长沙十三五期间城镇新增就业累计多少人？"))
    assert "2万人次" in first_line(assistant.ask("长沙到2025年要新增多少高技能人才？"))  # by 2025: a total


def test_a_level_asked_is_not_answered_by_what_is_added(assistant):
    history = [{"role": "user", "content": "长沙高技能人才现在有多少人？"}]
    answer = assistant.ask("到2025年要达到多少？", history=history)
    assert answer.refused and "2万人次" not in first_line(answer)


def test_the_clause_that_asks_a_figure_decides_over_a_yes_no_remark(assistant):
    slots = read_slots("雨湖区十四五期间新增就业任务是多少？区里有没有单独的数", WORDS)
    assert slots.value == "figure"
    assert read_slots("长沙对高校毕业生有没有什么目标？比如每年留多少人", WORDS).value == "count"
    answer = assistant.ask("长沙到2030年城镇新增就业要达到多少？有没有个远期目标")
    assert answer.refused and "2030年" in first_line(answer)
    ok = assistant.ask("写年终材料要用一个数：湘潭十三五期间城镇新增就业累计是多少人？规划回顾部分应该有吧")
    assert "28万人" in first_line(ok)  # the preface before the colon names no indicator


def test_where_to_collect_is_a_procedure_and_a_follow_up_pointing_inside_keeps_its_place(assistant):
    assert read_slots("那我现在要去哪个网点办，电子社保卡怎么领？", WORDS).near_miss == "procedure"
    history = [{"role": "user", "content": "湘潭的规划有没有主要指标表？"}]
    answer = assistant.ask("里面技能人才方面的指标是多少？", history=history)
    assert answer.refused and first_line(answer).startswith("所提供的政策文件未载明湘潭市")


def test_the_new_patterns_do_not_fire_on_everyday_questions(assistant):
    # review cases: each pattern added this release, against a question it must leave alone
    assert read_slots("失业保险金是按月发的还是一次性发的", WORDS).metadata == ""
    assert read_slots("今年毕业生就业见习补贴是多少", WORDS).years  # 今年毕业生: the year is asked
    assert read_slots("长沙人才政策怎么领先全国", WORDS).near_miss == ""
    for asked in ("湘潭规划主要目标那一章怎么写的", "长沙规划拟达到多少"):  # 写 / 拟 here ask no reply draft
        assert read_slots(asked, WORDS).request_text == asked
    kept = "之前反映过“零工市场建设”的事，湘潭规划里有没有提到"
    assert read_slots(kept, WORDS).request_text == kept
    answer = assistant.ask("我是湖南人，想了解长沙城镇新增就业目标是多少")
    assert not answer.refused and "75万人" in first_line(answer)  # the asker's province is no place asked


# -- lists ------------------------------------------------------------------------------------------------


def test_a_list_quotes_the_other_measures_of_a_paragraph_it_cites(assistant):
    # the paragraph on skills training names 岗前培训…企业新型学徒制培训 in its second sentence
    answer = assistant.ask("湘潭对技能人才培养有什么举措？")
    assert not answer.refused
    assert "企业新型学徒制培训" in answer.text


def test_a_reply_reads_a_paragraph_in_order_without_its_item_title(assistant):
    answer = assistant.ask("市民留言：“湘潭对技能人才培养有什么举措？”请起草答复。", mode="reply")
    assert "“传帮带”计划。" not in answer.draft  # the numbered item's title is no sentence of a reply
    assert "发挥高技能人才传帮带作用" in answer.draft
    assert answer.draft.index("发挥高技能人才传帮带作用") < answer.draft.index("推进技能大师工作室建设")


def test_a_lists_first_line_also_says_the_figure_its_paragraph_commits_to(assistant):
    # the 产业园 paragraph: 力争打造国家级示范产业园 … 入驻…500家以上,园区产业规模达到150亿元
    answer = assistant.ask("长沙的人力资源服务产业园规划里怎么安排的？")
    line = first_line(answer)
    assert "产业园" in line and "500家以上" in line and "150亿元" in line
    assert line.endswith("[1]") and answer.citations[0].doc_id.startswith("changsha")


def test_a_list_reply_opens_with_the_best_item_not_the_paragraphs_first_sentence(assistant):
    answer = assistant.ask("市民留言：“长沙对零就业家庭有什么帮扶？”请起草答复。", mode="reply")
    opening = answer.draft.split("。")[0]
    assert "零就业家庭" in opening and "农村劳动力" not in opening
    assert answer.draft.count("确保零就业家庭动态清零") == 1  # the opening is not quoted again


def test_a_list_reply_has_at_most_three_supporting_sentences(assistant):
    answer = assistant.ask("市民留言：“长沙对零就业家庭有什么帮扶？”请起草答复。", mode="reply")
    quoted = [line for line in answer.text.split("\n") if re.search(r"\[\d+\]$", line)]
    supporting = "".join(re.sub(r"\[\d+\]$", "", line) for line in quoted[1:])
    assert quoted and 1 <= len([x for x in re.split(r"[。！？]", supporting) if x.strip()]) <= 3


def test_a_county_reply_says_first_that_the_city_plan_applies(assistant):
    answer = assistant.ask("市民留言：“我在浏阳，有没有创业扶持政策？”请起草答复。", mode="reply")
    assert not answer.refused
    assert (
        answer.draft.startswith("您好！")
        and "文件未单独载明浏阳市的具体安排" in answer.draft.split("根据")[0]
    )


def test_a_paragraph_under_a_title_that_names_the_topic_is_quoted_whole(assistant):
    # "2035年远景目标：展望2035年，…。就业创业质量显著提升，保持较低的失业水平。…人才强市。"
    answer = assistant.ask("长沙到2035年人社工作有哪些远景目标？")
    assert not answer.refused
    assert "保持较低的失业水平" in answer.text and "人才强市" in answer.text
    line = first_line(answer)
    assert (
        "展望2035年" in line and "十四五" not in line
    )  # a vision beyond the plan period is no 十四五 measure
    assert not line.split("：", 1)[1].startswith("2035年远景目标")  # the run-in heading is not repeated


def test_a_list_adds_another_retrieved_paragraph_of_a_section_it_quotes():
    from policyqa.assistant.extractive import ScoredSentence, _siblings

    def ev(pid, section):
        p = Paragraph(pid, "doc", "paragraph", "…", section, ["第五章", section], 0, 0, 1)
        return Evidence(p, 0, {})

    quoted, sibling, elsewhere = ev("a", "第一节"), ev("b", "第一节"), ev("c", "第二节")
    chosen = [ScoredSentence(quoted, 0, "探索揭榜引才模式。", 3.0, 1.0)]
    scored = chosen + [
        ScoredSentence(sibling, 0, "深入贯彻实施人才新政22条。", 2.0, 0.5),
        ScoredSentence(sibling, 1, "形成良好环境。", 0.5, 0.0),  # off the topic
        ScoredSentence(sibling, 2, "累计引进人才10万人。", 2.5, 0.5, past=True),  # the last plan's review
        ScoredSentence(elsewhere, 0, "深化职称制度改革。", 2.9, 0.5),  # another section
    ]
    assert [s.text for s in _siblings(chosen, scored)] == ["深入贯彻实施人才新政22条。"]


def _doc(city: str) -> dict:
    return {"title": f"{city}“十四五”人力资源和社会保障事业发展规划", "region": city}


def test_a_summary_adds_only_an_on_topic_figure_of_its_own_period_and_plan():
    from policyqa.assistant.extractive import ExtractivePlan, ScoredSentence, _summary

    ev = Evidence(_paragraph("p", "…"), 0, _doc("长沙市"))
    best = ScoredSentence(ev, 0, "持续落实零就业家庭就业援助。", 3.0, 1.0)

    def line(*others):
        plan = ExtractivePlan(sentences=[best, *others])
        return _summary(plan, {}, lambda text: True)[0]

    assert line(ScoredSentence(ev, 1, "每年开展专场招聘会15场以上。", 1.0, 0.5)).endswith(
        "持续落实零就业家庭就业援助；每年开展专场招聘会15场以上。"
    )
    assert "20家" not in line(ScoredSentence(ev, 1, "新建养老服务机构20家。", 1.0, 0.0))  # off the topic
    assert "10万人" not in line(ScoredSentence(ev, 1, "帮扶再就业10万人。", 1.0, 0.5, past=True))  # last plan
    assert "2035" not in line(ScoredSentence(ev, 1, "到2035年帮扶比例达到30%。", 1.0, 0.5))  # beyond the plan


def test_a_list_reply_names_the_document_its_first_line_quotes():
    from policyqa.assistant.extractive import ExtractivePlan, ScoredSentence, render_answer

    xiangtan = Evidence(_paragraph("x", "4.紧抓重点群体就业。"), 0, _doc("湘潭市"))
    changsha = Evidence(_paragraph("c", "坚持把高校毕业生就业作为重中之重。"), 1, _doc("长沙市"))
    plan = ExtractivePlan(
        sentences=[
            ScoredSentence(xiangtan, 0, "4.紧抓重点群体就业。", 2.0, 0.5),
            ScoredSentence(changsha, 0, "坚持把高校毕业生就业作为重中之重。", 1.5, 1.0),
        ]
    )
    plan.summary = ("长沙市“十四五”规划提出：坚持把高校毕业生就业作为重中之重。", changsha)
    plan.summary_parts = ("长沙市“十四五”规划提出", "坚持把高校毕业生就业作为重中之重。")
    draft = render_answer(plan, "reply").draft
    assert draft.startswith("您好！根据《长沙市“十四五”人力资源和社会保障事业发展规划》，坚持把高校毕业生")


def test_a_numbered_items_bare_title_is_no_summary():
    from policyqa.assistant.extractive import ExtractivePlan, ScoredSentence, _summary

    ev = Evidence(
        _paragraph("p", "1.和谐劳动关系公共服务能力提升计划。深化试点建设,完善公共服务体系。"), 0, {}
    )
    plan = ExtractivePlan(
        sentences=[
            ScoredSentence(ev, 0, "1.和谐劳动关系公共服务能力提升计划。", 2.0, 1.0),
            ScoredSentence(ev, 1, "深化试点建设,完善公共服务体系。", 1.0, 0.5),
        ]
    )
    summary = _summary(plan, {}, lambda text: True)
    assert summary is not None and summary[0].endswith("深化试点建设,完善公共服务体系。")


def test_a_short_numbered_item_with_a_figure_is_no_title():
    from policyqa.assistant.extractive import ScoredSentence, _is_item_title

    ev = Evidence(_paragraph("p", "1.城镇新增就业75万人。加强就业服务。"), 0, {})
    assert not _is_item_title(ScoredSentence(ev, 0, "1.城镇新增就业75万人。", 1.0, 1.0))
    assert _is_item_title(ScoredSentence(ev, 0, "3.高技能人才“传帮带”计划。", 1.0, 1.0))
    assert _is_item_title(ScoredSentence(ev, 0, "（二）提高仲裁办案效率。", 1.0, 1.0))


def test_a_numbered_items_title_quoted_alone_is_followed_by_what_it_says():
    from policyqa.assistant.extractive import ScoredSentence, _with_item_bodies

    units = ["（二）提高仲裁办案效率。", "仲裁机构应当…30日内结案。", "要加强裁审衔接。", "另一句。"]
    ev = Evidence(_paragraph("p", "".join(units)), 0, {})
    scored = [ScoredSentence(ev, i, u, 1.0 - i / 10, 0.5) for i, u in enumerate(units)]
    other = Evidence(_paragraph("q", "到2028年，仲裁结案率保持在95%以上。"), 1, {})
    target = ScoredSentence(other, 0, other.paragraph.text, 0.9, 0.5)
    chosen = _with_item_bodies([scored[0], target], scored)
    assert [s.text for s in chosen] == [*units[:3], target.text]  # two body sentences, right after it
    assert _with_item_bodies([scored[1], target], scored) == [scored[1], target]  # no title: as chosen


@pytest.mark.parametrize(
    "question",
    [
        "我女儿去年毕业的，一直没上班，她现在还能领那个求职创业补贴吗？",
        "我们厂上个月社保断缴了，还能不能申请扩岗补助？",
    ],
)
def test_whether_someone_still_can_is_an_eligibility_question(question):
    assert read_slots(question, WORDS).near_miss == "eligibility"


@pytest.mark.parametrize(
    "question", ["除了一次性创业补贴，其他还能享受哪些扶持？", "十四五期间我们单位还能争取哪些政策支持？"]
)
def test_what_else_one_can_get_is_no_eligibility_question(question):
    assert read_slots(question, WORDS).near_miss == ""
