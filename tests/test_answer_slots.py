"""Answers that match what was asked: the figure for the asked period, place and indicator first, or an
honest "文件未载明…" with labelled related figures; metadata questions; reply drafts a hotline can send."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import CHANGSHA, XIANGTAN
from policyqa.assistant.pipeline import PolicyAssistant
from policyqa.assistant.places import covers, find_places, place_of
from policyqa.assistant.slots import load_question_words, plan_name, plan_years, read_slots

WORDS = load_question_words()
NEAR = frozenset({"长沙市", "湘潭市"})


@pytest.fixture(scope="module")
def assistant(real_index, real_snapshot):
    return PolicyAssistant(real_index, real_snapshot)


def first_line(answer) -> str:
    return answer.text.split("\n")[0]


# -- reading the question ------------------------------------------------------------------------------


def test_five_year_plans_are_calendar_periods():
    assert plan_years("“十三五”时期") == (2016, 2020) and plan_years("十四五") == (2021, 2025)
    assert plan_name(2026) == "十五五" and plan_name(2023) == ""


@pytest.mark.parametrize(
    ("question", "period", "value"),
    [
        ("长沙“十三五”期间城镇新增就业累计完成了多少人？", "past", "count"),
        ("湘潭“十四五”期间城镇新增就业的目标是多少万人？", "target", "count"),
        ("长沙城区最低工资标准现在是多少？", "now", "amount"),
        ("长沙城镇登记失业率是多少？", "", "rate"),
        ("长沙对就业困难人员有哪些帮扶措施？", "", "listing"),
        # the clause that asks the figure decides the period, not a later yes/no
        ("当初定的目标是多少，超额完成了没有？", "target", "figure"),
        ("雨花区“十四五”期间新增就业的任务是多少？", "plan", "figure"),  # 任务 asked as a figure
        ("长沙规划里社保卡持卡人数有啥目标？", "target", "listing"),  # a noun names the kind, it asks what
        # a rewritten follow-up's own words decide the kind asked, not its context's
        ("那规划里对以后最低工资怎么调（上文：湘潭的最低工资是多少）", "target", "listing"),
        ("湘潭失业保险金是最低工资的百分之多少？", "", "rate"),  # a share of a wage is no amount
        ("具体有什么数字吗，比如养老金水平？", "", "figure"),  # 有什么数字 asks a figure, not a list
        ("长沙这几年失业保险要覆盖多少人？", "target", "count"),  # 要…多少 asks a goal
        ("长沙要新增多少技能人才？", "target", "count"),  # people counted by what they are
        # how a plan will improve something asks for its measures
        ("湘潭准备怎么提升公共就业服务水平？", "target", "listing"),
        ("长沙在人才公寓这块规划里说了要做些什么？", "", "listing"),
    ],
)
def test_period_and_value_slots(question, period, value):
    slots = read_slots(question, WORDS, near=NEAR)
    assert (slots.period, slots.value) == (period, value)


def test_this_year_of_the_askers_own_situation_is_no_period_asked():
    today = date(2026, 11, 22)
    # the question names the period it asks: 今年 tells only who asks
    slots = read_slots(
        "我今年刚从湘大毕业，想问湘潭“十四五”期间新增就业目标是多少？", WORDS, today=today, near=NEAR
    )
    assert slots.years == [] and slots.relative_year == "" and slots.period == "target"
    # no other period named: 今年 is still the year asked about
    slots = read_slots("我今年刚退休，养老金能涨多少？", WORDS, today=today, near=NEAR)
    assert slots.years == [2026]


def test_why_one_asks_after_the_question_is_no_topic():
    from policyqa.assistant.slots import afterword_of

    assert (
        afterword_of("长沙失业保险参保人数要达到多少？领导要的汇报材料里要用", WORDS)
        == "领导要的汇报材料里要用"
    )
    assert afterword_of("湘潭每年开多少场招聘会，看看值不值得去", WORDS) == "看看值不值得去"
    assert afterword_of("长沙新增就业多少，失业率多少", WORDS) == ""  # a second question is no afterword


def test_document_period_and_online_procedures_are_read():
    assert read_slots("湘潭这个规划管到哪一年为止？", WORDS).metadata == "period"
    assert read_slots("退休人员怎么在网上办资格认证？", WORDS).near_miss == "procedure"


def test_the_kind_asked_is_read_past_polite_frames_several_and_the_request_around_a_message():
    def value(question):
        return read_slots(WORDS.standard(question), WORDS, near=NEAR).value

    assert value("能不能告诉我雨湖区分到多少") == "figure"  # asks to be told a figure, not whether one can
    assert value("湘潭有没有就业见习？") == "yesno"
    assert value("被拖欠工资好几个月了，政府管不管？") == ""  # 好几个月: several, not how many
    # the message asks nothing of a kind; the operator's request asks for the measures
    request = "市民留言：“我在湘潭打工被拖欠工资，政府到底管不管？”请帮我起草一个答复，说说规划里有什么举措。"
    assert value(request) == "listing"
    # a follow-up's "多少" asks the kind its context asked (a rate), not any figure
    assert value("那十三五的时候做到多少了（上文：湘潭基本养老保险参保率十四五目标是多少）") == "rate"
    # …unless it names a topic of its own
    assert value("那十三五农村劳动力转移就业做到多少了（上文：湘潭城镇登记失业率是多少）") == "figure"


def test_this_year_is_the_calendar_year_and_procedures_are_near_misses():
    slots = read_slots("我在长沙，今年失业金每个月能领多少？", WORDS, today=date(2026, 11, 22), near=NEAR)
    assert slots.years == [2026] and slots.period == "year"
    assert read_slots("社保卡丢了怎么补办？", WORDS).near_miss == "procedure"
    assert read_slots("我今年52岁，能不能提前退休？", WORDS).near_miss == "eligibility"
    assert read_slots("长沙对就业困难人员有哪些帮扶措施？", WORDS).near_miss == ""
    assert read_slots("办失业金需要带什么材料？", WORDS).near_miss == "procedure"
    assert read_slots("我在写材料，长沙城镇新增就业的目标是多少？", WORDS).near_miss == ""  # 写材料: a report


@pytest.mark.parametrize(
    ("question", "near_miss"),
    [
        ("职业技能培训补贴咋领？", "procedure"),  # 咋 read as 怎么
        ("创业培训去哪儿报名？", "procedure"),
        ("参加就业见习要啥条件？", "procedure"),
        ("区里的劳动仲裁院在哪？周末上班不", "contact"),
        ("长沙对零就业家庭有啥帮扶？", ""),  # 有啥 is a list, not a near miss
        ("人社局周末上班吗？", "contact"),
        ("这项政策的好处在哪？", ""),
        ("上班时间受伤算工伤吗？", ""),
        ("我们单位在哪个区参保？", ""),
        ("我周末上班有加班费吗？", ""),
        ("听说要建人力资源服务产业园，具体建在哪里？", "contact"),  # where a facility is: an address
        ("零工市场设在哪里？", "contact"),
        ("长沙要建几个创业孵化基地？", ""),
    ],
)
def test_colloquial_asking_words_read_as_the_standard_ones(question, near_miss):
    assert read_slots(WORDS.standard(question), WORDS).near_miss == near_miss
    if "咋" in question or "啥" in question or "哪儿" in question:
        assert read_slots(question, WORDS).near_miss == ""  # the typed form alone is not read


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("退休工资今年涨好多？长沙的", "amount"),  # Hunan speech: 好多 asks how much
        ("长沙十三五那五年城镇新增就业一共搞了好多万人？", "count"),
        ("创业担保贷款我一个人最多能贷好多", "figure"),
        ("长沙最低工资好多钱？", "amount"),
        ("湘潭规划里对农民工返乡创业有么子支持？", "listing"),  # 么子 = 什么
        ("长沙规划里对残疾人就业有冇帮扶？", "yesno"),  # 有冇 = 有没有
    ],
)
def test_hunan_asking_words_read_as_the_standard_ones(question, value):
    assert read_slots(WORDS.standard(question), WORDS).value == value


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("湘潭退休的人养老金前几年是不是每年都涨了？涨了几次", "count"),  # 前几年 says when
        ("养老金能领几年？", "figure"),  # how long, not how much
        ("湘潭的养老金这几年涨到多少了", "amount"),
        ("最低工资标准调了几次", "count"),
    ],
)
def test_a_few_years_says_when_not_how_much(question, value):
    assert read_slots(question, WORDS).value == value


def test_what_is_not_stated_names_the_indicator_without_the_asking_words(assistant):
    answer = assistant.ask("湘潭失业金现在是按什么标准发的，能领多少？")  # today's amount: not in a plan
    assert answer.refused and "失业金" in first_line(answer)
    assert not any(word in first_line(answer) for word in ("现在", "按什么"))


def test_a_plea_for_the_exact_figure_after_the_question_asks_nothing_new(assistant):
    answer = assistant.ask("湘潭十三五新增了多少就业？能给个准确的数吗？")
    assert not answer.refused and "28万人" in first_line(answer)


def test_two_indicators_asked_at_once_each_lead_with_their_own_figure(assistant):
    answer = assistant.ask("湘潭十三五末养老保险和失业保险参保各多少人？")
    first, second = answer.text.split("\n")[:2]
    assert not answer.refused and "养老保险参保190万人" in first and "失业保险参保34万人" in second
    one = assistant.ask("湘潭十三五末失业保险参保多少人？")  # one indicator: one lead line
    assert "34万人" in first_line(one) and "190万人" not in first_line(one)


def test_a_reply_says_every_compared_or_asked_figure(assistant):
    compared = assistant.ask("市民留言：“长沙和湘潭十三五城镇新增就业分别是多少？”请拟个答复", mode="reply")
    assert "71.42万人" in compared.draft and "28万人" in compared.draft  # the second city's figure too
    both = assistant.ask("市民留言：“湘潭十三五末养老保险和失业保险参保各多少人？”请拟个答复", mode="reply")
    assert "190万人" in both.draft and "34万人" in both.draft


def test_haoduo_saying_many_is_no_question_word():
    for said in (
        "我们村里有好多老人，养老金以后会不会涨？",
        "好多人都说要涨工资，是真的吗？",
        "交了好多年社保能领多少？",
        "现在就业形势好多了吧？",
        "补贴涨了好多呀！",
        "好多企业涨工资了吗？",
        "今年好多毕业生找不到工作啊",
        "长沙好多人参加了养老保险吗？",
        "什么子女可以随迁落户？",  # 么子 inside 什么子女 is no dialect word
        "那么子女教育补贴呢？",
    ):
        assert WORDS.standard(said) == said


def test_a_count_asked_only_by_the_question_word_is_answered_by_the_share_covered(assistant):
    assert not read_slots("长沙准备让多少人参加养老保险？", WORDS).count_named
    assert read_slots("长沙到2025年养老保险参保人数的目标是多少？", WORDS).count_named
    answer = assistant.ask("长沙准备让多少人参加养老保险？")
    assert not answer.refused and "参保覆盖率" in first_line(answer) and "96%" in first_line(answer)


def test_how_many_at_a_periods_end_asks_a_level():
    assert read_slots("十三五末的时候高技能人才有多少？", WORDS).level_asked
    assert read_slots("2020年底技能人才是多少？", WORDS).level_asked
    assert not read_slots("十三五末新增就业有多少？", WORDS).level_asked  # what is added, asked as such
    assert (
        not read_slots("年底有多少钱？", WORDS).level_asked
        and not read_slots("期末考试是多少分", WORDS).level_asked
    )


def test_colloquial_words_of_an_earlier_turn_are_read_too(assistant):
    history = [{"role": "user", "content": "长沙申请创业补贴要啥条件？"}]
    answer = assistant.ask("湘潭呢？", history=history)
    assert answer.refused and "near_miss=procedure" in answer.diagnostics["slots"]


def test_colloquial_metadata_question_is_answered_from_metadata(assistant):
    answer = assistant.ask("长沙这个人社规划是啥时候印发的？")
    assert not answer.refused and "2021年12月31日" in first_line(answer)
    assert answer.rewritten_question == ""  # reading 啥 as 什么 is no rewrite to show


def test_reply_requests_are_unwrapped_before_searching():
    slots = read_slots(
        "市民留言：“我在长沙装修公司干活，老板拖欠工资，我该怎么办？”请帮我起草一段回复。", WORDS
    )
    assert slots.request_text == "我在长沙装修公司干活，老板拖欠工资，我该怎么办？"


def test_a_place_named_only_by_the_reply_request_scopes_the_answer(assistant):
    question = "人大代表建议：“建议加强新就业形态劳动者权益保障。”帮我拟个回复，说说湘潭规划里的安排"
    slots = read_slots(question, WORDS, near=NEAR)
    assert [p.name for p in slots.places] == ["湘潭市"] and slots.request_text.startswith("建议加强")
    asker = read_slots("广州的网友留言：“我想回老家创业，有什么补贴？”请拟个回复", WORDS, near=NEAR)
    assert asker.places == []  # who asks is no place asked about
    answer = assistant.ask(question, mode="reply")
    assert "湘潭" in answer.draft and "长沙" not in answer.draft  # not the other city's measures
    assert {c.doc_id for c in answer.citations} <= {XIANGTAN}


def test_a_thing_only_the_other_citys_plan_names_is_not_stated_for_the_asked_city(assistant):
    answer = assistant.ask("湘潭有没有人力资源服务产业园？规划说要建吗")
    assert answer.refused and "湘潭市" in first_line(answer) and "人力资源服务产业园" in first_line(answer)
    assert {c.doc_id for c in answer.citations} <= {XIANGTAN}  # related lines from the asked city's plan
    named = assistant.ask("长沙要建人力资源服务产业园吗？规划里咋说的")  # the plan that names it answers
    assert not named.refused and "产业园" in first_line(named)
    # a generic word the asked city's plan lacks is no named thing ("数字" in 长沙's text, not 湘潭's)
    message = (
        "市民留言：“湘潭十三五到底新增了多少就业？新闻上说的数字我不太信，政府能不能给个准数？”请拟个答复。"
    )
    assert not assistant.ask(message, mode="reply").refused
    # called otherwise in the question, named as the thesaurus's documents' term (15分钟服务圈, 湘潭's only)
    answer = assistant.ask("长沙规划里有没有提搞那个15分钟就业服务圈？")
    assert answer.refused and "长沙市关于“15分钟服务圈”" in first_line(answer)
    assert not assistant.ask("湘潭规划里有没有提15分钟就业服务圈？").refused


def test_counties_map_to_their_city_from_the_division_library():
    ningxiang = find_places("我在宁乡上班", near=NEAR)
    assert [(p.name, p.level, p.city) for p in ningxiang] == [("宁乡市", "county", "长沙市")]
    assert covers("长沙市", ningxiang[0]) and not covers("湘潭市", ningxiang[0])
    assert covers("湖南省", ningxiang[0]) and covers("", ningxiang[0])  # a national document applies
    assert [p.name for p in find_places("雨湖区和岳塘区")] == ["雨湖区", "岳塘区"]
    # Short county names outside the documents' cities are ordinary words, not places.
    assert find_places("人力资源服务产业园", near=NEAR) == []
    assert find_places("长沙城区", generic={"城区"}, near=NEAR) == [place_of("长沙")]
    group = find_places("长浏宁三县（市）", aliases=WORDS.place_aliases)
    assert {p.name for p in group} == {"长沙县", "浏阳市", "宁乡市"}


# -- answers -------------------------------------------------------------------------------------------


def test_first_line_names_place_period_and_the_asked_item(assistant):
    answer = assistant.ask("长沙城区最低工资标准是多少？")
    line = first_line(answer)
    assert line.startswith("长沙市“十三五”时期：") and "（其中城区为1700元/月）" in line
    county = assistant.ask("我在宁乡上班，最低工资多少？")
    assert not county.refused and "长浏宁三县（市）最低工资标准为1540元/月" in first_line(county)
    assert county.citations[0].doc_id == CHANGSHA


def test_a_target_question_gets_the_target_not_the_past_result(assistant):
    answer = assistant.ask("长沙“十四五”期间城镇新增就业目标是多少？")
    assert "75万人" in first_line(answer)
    assert "71.42" not in first_line(answer)
    past = assistant.ask("长沙“十三五”期间城镇新增就业累计完成了多少人？")
    assert "71.42" in first_line(past) and "75" not in first_line(past)


def test_now_prefers_the_latest_result_and_labels_it(assistant):
    answer = assistant.ask("长沙失业保险参保人数现在有多少？")
    assert "182.8万人" in first_line(answer) and "（2020年" in first_line(answer)


def test_an_amount_in_force_now_is_not_stated_and_the_plans_level_is_related(assistant):
    answer = assistant.ask("长沙城区最低工资现在是多少？")
    assert answer.refused and first_line(answer) == "所提供的政策文件未载明长沙市城区最低工资现行的数值。"
    related = answer.text.split("相关信息")[1]
    assert "长沙市“十三五”时期：" in related and "1700元/月" in related


def test_asked_period_missing_says_not_stated_and_labels_related_figures(assistant):
    answer = assistant.ask("湘潭“十四五”期间城镇新增就业的目标是多少万人？")
    assert answer.refused and answer.text.startswith("所提供的政策文件未载明湘潭市")
    related = answer.text.split("相关信息")[1]
    assert "湘潭市“十三五”时期：全市城镇累计新增就业28万人[1]" in related
    assert answer.citations and answer.citations[0].doc_id == XIANGTAN


def test_this_years_amount_is_not_stated(assistant):
    year = date.today().year
    answer = assistant.ask("我在长沙，今年失业金每个月能领多少？")
    assert answer.refused and f"未载明{year}年（今年）" in answer.text
    assert "“十三五”时期" in answer.text  # the nearest figure is there, labelled with its period


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("社保卡丢了怎么补办？要多少钱？", "办理流程"),
        ("长沙人社局的咨询电话是多少？", "联系电话"),
        ("株洲的最低工资是多少？", "株洲市"),
    ],
)
def test_near_misses_are_not_answered_with_the_nearest_number(assistant, question, phrase):
    answer = assistant.ask(question)
    assert answer.refused and "未载明" in first_line(answer) and phrase in first_line(answer)


def test_county_measures_come_from_the_city_plan_with_a_caveat(assistant):
    answer = assistant.ask("我在宁乡，想创业有什么扶持政策？")
    assert not answer.refused and {c.doc_id for c in answer.citations} == {CHANGSHA}
    assert "文件未单独载明宁乡市的具体安排" in answer.text


def test_metadata_questions_are_answered_from_the_document_head(assistant):
    answer = assistant.ask("长沙这个人社规划的文号是多少？")
    assert "长政办发〔2021〕73号" in first_line(answer)
    assert answer.citations[0].id == f"{CHANGSHA}:meta" and answer.citations[0].section == "文件信息"
    date_answer = assistant.ask("湘潭人社十四五规划是哪天印发的？")
    assert "2022年3月17日" in first_line(date_answer)
    issuer = assistant.ask("长沙这份规划是哪个部门发的？")
    assert "长沙市人民政府办公厅" in first_line(issuer)


def test_follow_ups_without_pronouns_and_standalone_questions_starting_with_zai(assistant):
    history = [{"role": "user", "content": "长沙“十三五”期间城镇新增就业完成了多少？"}]
    answer = assistant.ask("当初定的目标是多少？", history)
    assert answer.rewritten_question and "60万人（5年累计数）" in first_line(answer)
    standalone = assistant.ask("再请问湘潭十三五期间农村劳动力转移就业有多少人？", history)
    assert standalone.rewritten_question == ""
    back = assistant.ask(
        "那规划里写的是多少？", [{"role": "user", "content": "长沙城区今年最低工资是多少？"}]
    )
    assert not back.refused and "1700元/月" in first_line(back)


def test_reply_draft_answers_first_in_plain_words_without_markers(assistant):
    answer = assistant.ask("长沙城区最低工资到底是多少？我们厂给的好像不够。", mode="reply")
    assert answer.draft.startswith("您好！根据《长沙市“十四五”人力资源和社会保障事业发展规划")
    first_sentence = answer.draft.split("。")[0]
    assert "1700元/月" in first_sentence and "“十三五”时期" in first_sentence
    assert "[" not in answer.draft.replace("［", "") and "指标：" not in answer.draft
    assert "如需办理具体业务，请咨询当地人力资源和社会保障部门" in answer.draft
    assert answer.draft.endswith("感谢您的咨询！") and "来电" not in answer.draft
    assert "[1]" in answer.text  # the answer view keeps its markers


def test_reply_draft_supports_a_figure_with_what_adds_to_it(assistant):
    history = [
        {"role": "user", "content": "湘潭规划里职业技能培训有什么目标？"},
        {"role": "assistant", "content": "湘潭规划提出大规模开展职业技能培训，完善终身职业技能培训制度。"},
    ]
    answer = assistant.ask("那长沙呢，五年要培训多少人次？", history=history, mode="reply")
    draft = answer.draft
    # the table row that repeats 50万人次 and the 专栏's list of headings are left out of the draft;
    # the row is cited where the figure is said
    assert draft.count("50万人次") == 1 and "专栏" not in draft and "［" not in draft
    assert "50万人次[1][2]" in answer.text.replace("。", "") and len(answer.citations) == 2
    # a table row said in a draft reads its brackets with the table's note
    draft = assistant.ask("市民问长沙城镇新增就业五年目标是多少，帮我拟个答复", mode="reply").draft
    assert "75万人" in draft and "［" not in draft and "[" not in draft
    # a supporting sentence whose every figure the first line said is not said again
    draft = assistant.ask(
        "市民留言：“听说长沙要建人力资源服务产业园，是真的吗？”帮我拟个回复", mode="reply"
    ).draft
    assert draft.count("150亿元") == 1 and "一园多区" in draft


def test_reply_channel_is_a_setting(real_index, real_snapshot):
    settings = real_index.model_copy(deep=True)
    settings.answer.reply_channel = "web"
    answer = PolicyAssistant(settings, real_snapshot).ask("长沙城区最低工资是多少？", mode="reply")
    assert answer.draft.endswith("感谢您的留言！")


def test_a_bracketed_table_value_is_read_with_its_note_and_survives_grounding(assistant):
    """ "2025年：[50]万人次" with the table's note "[]内为5年累计数": the lead says what the brackets mean,
    and grounding reads "[50]万" as 50万 (it used to remove the lead as an unsupported 500000)."""
    answer = assistant.ask("长沙补贴性职业技能培训的规划目标是多少人次？")
    assert first_line(answer).startswith("长沙市：") and "50万人次（5年累计数）" in first_line(answer)
    assert not answer.grounding.removed_sentences


def test_an_indicator_the_documents_never_give_is_not_stated_by_name(assistant):
    """No figure names 在校生 (the plans speak of 技工院校, never of their students): the answer says
    which figure is not stated, in the question's words, instead of quoting school paragraphs."""
    answer = assistant.ask("长沙技工院校在校生有多少人？")
    assert answer.refused
    assert first_line(answer).startswith("所提供的政策文件未载明长沙市技工院校在校生")


def test_a_figure_that_names_the_asked_year_leads(assistant):
    """2020年 asked: "2020年为全市企业减免社保缴费15.5亿元" before the 十三五 total (27亿元), which a
    plan starting in 2021 would otherwise also place in 2020; 社保费 matched in 社保缴费."""
    answer = assistant.ask("湘潭2020年减免社保费多少？")
    assert "15.5亿元" in first_line(answer) and "27亿元" not in first_line(answer)


def test_when_the_documents_say_no_time_the_answer_says_so(assistant):
    """ "什么时候涨": the plan commits to a 正常调整机制 but names no date — 未载明 the time, then the
    measure, labelled; a question whose sentence does say when (每2年举办1届) is answered."""
    when = assistant.ask("湘潭的退休金什么时候涨？")
    assert when.refused and "未载明" in first_line(when) and "具体时间" in first_line(when)
    assert "正常调整机制" in when.text and when.citations
    dated = assistant.ask("长沙职业技能大赛什么时候举办？")
    assert not dated.refused and "每2年举办1届" in dated.text


def test_a_term_the_documents_also_name_otherwise_finds_that_row(assistant):
    """thesaurus "高技能人才 ~ 高级工以上": the plan counts 高技能人才 as "新增取得高级工以上…证书人数"; the
    question's own term stays, so the 十三五 row named 新增高技能人才人数 still answers its question."""
    target = assistant.ask("十四五期间长沙新增高技能人才的目标是多少？")
    assert "高级工以上" in first_line(target) and "2万人次" in first_line(target)
    assert "其中" not in first_line(target)
    past = assistant.ask("新增高技能人才人数十三五完成了多少？")
    assert "新增高技能人才人数" in first_line(past) and "6万人" in first_line(past)


def test_related_terms_are_read_from_the_thesaurus(tmp_path):
    from policyqa.core.profile import _related, _thesaurus

    path = tmp_path / "thesaurus.txt"
    path.write_text("# comment\n社会保险 社保\n高技能人才 ~ 高级工以上 高级技工\n", encoding="utf-8")
    assert _thesaurus(path) == {"社保": "社会保险"}
    assert _related(path) == {"高技能人才": ("高级工以上", "高级技工")}


def test_a_count_named_where_the_plan_states_a_rate_is_not_stated(assistant):
    # the plan's 十四五 target for pensions is a coverage rate (96%以上), not a number of people
    answer = assistant.ask("长沙到2025年养老保险参保人数的目标是多少？")
    assert answer.refused and "参保人数" in first_line(answer) and "96%" not in first_line(answer)
    related = answer.text.split("\n")[2]  # the asked period's rate first, not the 2020 result
    assert "96%" in related and "2020" not in related


def test_a_count_is_answered_by_a_figure_counting_the_same_kind_of_thing(assistant):
    assert read_slots("五年要培训多少人次？", WORDS).counted == "人次"
    assert read_slots("要建几家培训中心？", WORDS).counted == "家"
    assert read_slots("参保人数是多少？", WORDS).counted == ""
    assert read_slots("有多少家庭享受补贴？", WORDS).counted != "家"  # 家庭 is no 家 of firms
    history = [
        {"role": "user", "content": "湘潭规划里职业技能培训有什么目标？"},
        {"role": "assistant", "content": "湘潭规划提出大规模开展职业技能培训，完善终身职业技能培训制度。"},
    ]
    # 认定50家以上的重点企业职工培训中心 shares the words but counts training centres, not people trained
    line = first_line(assistant.ask("那长沙呢，五年要培训多少人次？", history=history))
    assert "50万人次" in line and "50家" not in line
    line = first_line(assistant.ask("长沙要认定几家重点企业职工培训中心？"))
    assert "50家以上" in line


def test_a_purpose_clause_after_the_question_does_not_choose_the_topic(assistant):
    answer = assistant.ask("长沙“十四五”期间职业技能培训计划培训多少人次？看看我们学校的市场有多大")
    assert "50万人次" in first_line(answer)


def test_related_figures_from_two_documents_each_name_their_source(assistant):
    answer = assistant.ask("我今年退休了，养老金能涨多少？")
    docs = {c.doc_id for c in answer.citations}
    assert answer.refused and docs == {CHANGSHA, XIANGTAN}
    for c in answer.citations:  # every cited document is named as the source of its own lines
        assert re.search(
            rf"以上(?:\[\d+\])*\[{c.n}\](?:\[\d+\])*摘自《{re.escape(c.doc_title)}》", answer.text
        )


def test_a_word_the_documents_use_for_the_asked_one_counts_in_the_refusal_check():
    from types import SimpleNamespace

    sentences = [SimpleNamespace(text="加大初创实体支持力度，落实一次性创业补贴")]
    terms = {"创业": 1.0, "扶持": 1.0}  # the question says 扶持, the plan 支持
    unaware = SimpleNamespace(sentences=sentences, alternatives={})
    aware = SimpleNamespace(sentences=sentences, alternatives={"扶持": {"支持"}})
    assert PolicyAssistant._present_coverage(unaware, terms, []) < 1.0
    assert PolicyAssistant._present_coverage(aware, terms, []) == 1.0


def test_a_span_of_years_that_is_a_plan_period_is_read_as_that_plan():
    slots = read_slots("湘潭2016到2020年一共新增了多少就业岗位？", WORDS, near=NEAR)
    assert slots.plan_names == ["十三五"] and slots.years == [] and slots.period == "past"
    slots = read_slots("长沙2020年到2022年新增就业多少？", WORDS, near=NEAR)  # no plan's span: two years
    assert slots.years == [2020, 2022] and slots.plan_names == []


def test_can_and_cannot_of_someone_else_is_no_eligibility_question():
    doubt = read_slots(
        "湘潭十三五新增了多少就业？新闻上的数字我不太信，政府能不能给个准数？", WORDS, near=NEAR
    )
    assert doubt.near_miss == ""
    assert read_slots("我妈一直没交过，现在补交还能领吗？", WORDS, near=NEAR).near_miss == "eligibility"


def test_greetings_and_examples_around_the_question_are_no_topic():
    from policyqa.assistant.slots import afterword_of, situation_of

    assert (
        situation_of("你好，我在写稿子，想确认一下：长沙新增就业多少？", WORDS)
        == "你好，我在写稿子，想确认一下："
    )
    assert afterword_of("长沙帮了多少就业困难的人？就是下岗的、残疾的那些", WORDS) == "就是下岗的、残疾的那些"
    assert afterword_of("长沙技能人才有多少？就是高技能人才", WORDS) == ""  # it narrows what is asked
    assert afterword_of("湘潭每年开多少场招聘会，看看值不值得去。", WORDS) == "看看值不值得去。"
    assert (
        situation_of("您好！湘潭新增就业目标是多少，谢谢！", WORDS) == "您好！"
    )  # the question is no greeting
    assert situation_of("我在东莞打工十几年，想回湘潭创业，有什么支持？", WORDS) == "我在东莞打工十几年，"


def test_a_city_of_the_askers_past_is_not_the_place_asked_about(assistant):
    answer = assistant.ask("我在广东东莞打工十几年，想回湘潭老家创业，有什么支持？")
    assert not answer.refused and "返乡创业" in answer.text


def test_how_big_asks_and_the_noun_after_it_is_the_topic(assistant):
    answer = assistant.ask("长沙人力资源服务产业园规划要做到多大规模？")
    assert "150亿元" in first_line(answer)


def test_a_reply_quoting_a_paragraph_keeps_to_its_best_sentences(assistant):
    from policyqa.assistant.extractive import MAX_REPLY_SUPPORT, REPLY_FIRST_SENTENCES

    reply = assistant.ask("市民留言：“湘潭打算怎么改进窗口服务？”请起草答复。", mode="reply")
    opening = reply.text.split("\n")[0]  # the answering line; supporting sentences follow on their own lines
    assert (
        "窗口" in opening
        and len([s for s in opening.split("。") if s.strip("[]0123456789")]) <= REPLY_FIRST_SENTENCES
    )
    body = [s for s in reply.draft.split("。") if s and not re.search("如需办理|感谢|以上为规划", s)]
    assert len(body) <= REPLY_FIRST_SENTENCES + MAX_REPLY_SUPPORT


def test_everyday_until_when_and_make_up_questions_are_not_misread():
    assert read_slots("社保要交到哪一年为止？", WORDS).metadata == ""  # not the plan's period
    assert read_slots("哪些人可以补交养老保险？", WORDS).near_miss == ""  # a policy, no one's eligibility
    slots = read_slots("我今年退休，2008年开始交的社保，养老金能涨多少？", WORDS, today=date(2026, 11, 22))
    assert 2026 in slots.years  # 2008 is the asker's history, 今年 is still asked


def test_the_askers_guess_and_plan_content_questions_are_read_as_such():
    from policyqa.assistant.slots import afterword_of

    # the asker's own guess and its tag ask nothing new and name no topic
    assert (
        afterword_of("长沙十三五新增就业一共多少人，我印象是七十几万，对不对", WORDS)
        == "我印象是七十几万，对不对"
    )
    assert afterword_of("长沙新增就业多少，对不对", WORDS) == "对不对"
    # whether a kind of worker counts is no one's eligibility; whether I count is
    assert read_slots("跑外卖的算不算就业？规划里有没有保障", WORDS, near=NEAR).near_miss == ""
    assert read_slots("我想问跑外卖的算不算就业？", WORDS, near=NEAR).near_miss == ""
    assert read_slots("我这个算不算工伤？", WORDS, near=NEAR).near_miss == "eligibility"
    # "提没提" asks yes or no
    assert read_slots("长沙规划里提没提创业贷款？", WORDS, near=NEAR).value == "yesno"


def test_a_guess_after_the_question_does_not_turn_it_into_a_refusal(assistant):
    answer = assistant.ask("帮我查下长沙十三五那五年城镇新增就业一共多少人，我印象是七十几万，对不对")
    assert not answer.refused and "71.42万人" in first_line(answer)


def test_a_compared_cell_reads_in_the_documents_words(assistant):
    answer = assistant.ask("长沙到2025年基本养老保险参保率要搞到百分之多少？")
    assert first_line(answer).startswith("长沙市") and "96%以上（>96%）" in first_line(answer)
    reply = assistant.ask("长沙到2025年基本养老保险参保率要搞到百分之多少？", mode="reply")
    assert "96%以上" in reply.text.split("\n")[0] and ">96" not in reply.text.split("\n")[0]


def test_loosely_related_figures_of_another_period_do_not_answer_a_target_question(assistant):
    answer = assistant.ask("创业带动就业的目标是多少来着")
    assert answer.refused and "目标数值" in first_line(answer)
    assert "“十三五”时期" in answer.text  # the nearby results, labelled as another period's


def test_statements_after_the_question_and_a_lead_in_up_to_a_colon_are_asides():
    from policyqa.assistant.slots import afterword_of, situation_of

    assert afterword_of("湘潭十三五到底新增了多少就业？网上说法不一样。", WORDS) == "网上说法不一样。"
    assert afterword_of("长沙技能人才有多少？就是高技能人才，还有技师", WORDS) == ""  # it narrows the ask
    assert afterword_of("长沙最低工资多少，我在城区上班。", WORDS) == ""  # same sentence: part of the ask
    assert afterword_of("长沙十三五新增就业多少？还有十四五的。", WORDS) == ""  # it adds to the ask
    assert afterword_of("长沙最低工资多少？我在长沙县上班。", WORDS) == ""  # it names the place asked
    # a lead-in that asks, or whose colon ends a topic, is no situation
    assert situation_of("长沙新增就业多少，领导要材料：急", WORDS) == ""
    assert situation_of("湘潭市，就业创业补贴申请材料：需要准备哪些？", WORDS) == ""
    assert situation_of("湘潭针对个体户的补贴：多少钱", WORDS) == ""
    lead_in = "在写一篇长沙这几年就业形势的稿子，想核一下："
    assert situation_of(lead_in + "十三五那五年长沙城镇一共新增了多少就业？", WORDS) == lead_in
    # a plan named only in the aside is not the one asked about
    slots = read_slots("长沙十二五那五年城镇新增就业是多少？想跟十三五比一比。", WORDS, near=NEAR)
    assert slots.asked_plans == ["十二五"]


def test_will_an_amount_rise_is_answered_with_the_commitment_and_the_latest_level(assistant):
    answer = assistant.ask("湘潭的城乡居民养老金以后会不会涨？")
    lines = answer.text.split("\n")
    assert "稳步提高城乡居民养老保险基础养老金水平" in lines[0]
    assert "“十三五”时期" in lines[1] and "113元/月" in lines[1]  # labelled as the last period's level
    reply = assistant.ask("长沙最低工资以后还会涨吗？", mode="reply").text.split("\n")
    level = [line for line in reply if "1700元/月" in line]
    assert len(level) == 1 and "“十三五”时期" in level[0]  # said once, with its period


def test_a_district_figure_asked_politely_in_a_follow_up_is_not_stated(assistant):
    history = [{"role": "user", "content": "湘潭十四五城镇新增就业多少？"}]
    answer = assistant.ask("你确定吗？那能不能告诉我雨湖区分到好多", history=history)
    assert answer.refused and first_line(answer).startswith("所提供的政策文件未载明雨湖区")
