"""Deterministic follow-up rewriting (no index, no LLM)."""

from __future__ import annotations

import pytest
from policyqa.assistant.condense import Turn, is_follow_up, normalise_history, rewrite
from policyqa.assistant.query import analyse
from policyqa.assistant.slots import load_question_words

DOCS = {"cs": {"meta": {"region": "长沙市"}}, "xt": {"meta": {"region": "湘潭市"}}}
WORDS = load_question_words()


def _rewrite(question, *previous):
    return rewrite(question, [Turn("user", q) for q in previous], DOCS)


def _with_words(question, before):
    """With the profile's question words: its levels below a place and its target words."""
    return rewrite(question, [Turn("user", before)], DOCS, words=WORDS)


def test_new_place_replaces_the_old_one():
    assert _rewrite("那湘潭呢？", "长沙城区最低工资标准是多少？") == "湘潭城区最低工资标准是多少？"


def test_new_year_replaces_the_old_one():
    assert (
        _rewrite("那到2025年呢？", "长沙失业保险参保人数2020年是多少？")
        == "长沙失业保险参保人数2025年是多少？"
    )


def test_pronoun_question_is_asked_with_its_context():
    out = _rewrite("它每年能带动多少人？", "长沙职业技能大赛多久举办一次？")
    assert out.startswith("它每年能带动多少人") and "长沙职业技能大赛多久举办一次" in out


def test_a_new_topic_takes_the_old_topics_place():
    # the old question names its topic after the asking words: that topic goes, the asking stays
    assert _rewrite("而农民工方面呢？", "长沙有哪些措施帮高校毕业生就业？") == "长沙农民工有哪些措施"
    assert _rewrite("失业保险呢？", "长沙养老保险参保目标是多少？") == "长沙失业保险目标是多少"


def test_the_old_questions_period_and_year_carry_into_a_new_topic():
    assert _rewrite("失业率呢", "长沙十四五期间城镇新增就业目标是多少？") == "长沙十四五失业率目标是多少"
    assert _rewrite("高技能人才呢", "长沙到2025年专业技术人才总量要达到多少") == "长沙到2025年高技能人才多少"


def test_a_new_topic_keeps_the_aim_the_old_question_asked_with():
    # 要达到 (the profile's target words) says a target was asked: "工伤保险多少" alone would be answered
    # with a past result; the old topic after the asking words stays out
    assert _with_words("那工伤保险呢", "湘潭基本养老保险参保率要达到多少？") == "湘潭工伤保险要达到多少"
    assert _with_words("调查失业率呢", "长沙城镇登记失业率要控制在多少") == "长沙调查失业率要控制在多少"
    assert _with_words("那工伤保险呢", "湘潭要实现多少城镇新增就业") == "湘潭工伤保险要实现多少"


def test_a_question_with_its_own_asking_and_ne_is_no_follow_up():
    out = _rewrite("灵活就业人员能不能参加养老保险呢", "长沙十四五城镇新增就业目标是多少？")
    assert out == "灵活就业人员能不能参加养老保险（长沙）呢"


def test_a_level_below_asks_the_same_question_there():
    out = _with_words("县里是多少", "长沙最低工资标准是多少？")
    assert out == "长沙的县里最低工资标准是多少"
    assert analyse(out, DOCS).foreign_places == []  # 的: never 长沙县, a county of its own
    assert _with_words("那区里呢？", "湘潭城镇新增就业多少？") == "湘潭的区里城镇新增就业多少"
    # a level with a place, a year or a question of its own is not the same question a level down
    assert "株洲" in _with_words("那株洲区里呢", "长沙最低工资标准是多少？")
    assert _with_words("县里有哪些补贴", "长沙最低工资标准是多少？") == "县里有哪些补贴（长沙）"


def test_a_long_topic_and_ne_asks_nothing_of_its_own():
    assert (
        _rewrite("农村劳动力转移就业呢", "长沙十四五期间城镇新增就业目标是多少？")
        == "长沙十四五农村劳动力转移就业目标是多少"
    )


def test_a_new_question_without_a_place_is_asked_about_the_conversations_place():
    assert (
        _rewrite("十三五那几年农村劳动力转移就业新增了多少", "湘潭规划对农民工就业有哪些措施？")
        == "十三五那几年农村劳动力转移就业新增了多少（湘潭）"
    )
    # after the question, so the place never joins its first words (湘潭 + 大学毕业生 is not 湘潭大学)
    assert (
        _rewrite("大学毕业生有没有见习安排？", "湘潭城镇新增就业目标是多少？")
        == "大学毕业生有没有见习安排（湘潭）"
    )
    # before its asking particle, so a yes/no still reads as one; a quoted plan name is no quoted message
    assert _rewrite("大学生创业有补贴吗？", "湘潭城镇新增就业目标是多少？") == "大学生创业有补贴（湘潭）吗"
    assert _rewrite("“十四五”高校毕业生有哪些支持", "湘潭城镇新增就业目标是多少？").endswith("（湘潭）")
    # a place of its own, a comparison, a quoted message or a conversation about two places: left alone
    for question in (
        "株洲最低工资标准是多少",
        "两市最低工资分别多少",
        "市民留言：“最低工资多少？”请起草答复",
    ):
        assert _rewrite(question, "湘潭城镇新增就业目标是多少？") == question
    assert (
        _rewrite("对高校毕业生就业有哪些措施", "长沙和湘潭最低工资分别多少") == "对高校毕业生就业有哪些措施"
    )


def test_the_asking_words_kept_for_a_new_topic_read_as_chinese():
    assert (
        _rewrite("失业保险呢？", "长沙最低工资标准是多少？") == "长沙失业保险标准是多少"
    )  # not 标准是是多少
    # a how-question keeps its verb (怎么申请), so it is still read as a procedure
    assert "怎么申请" in _rewrite("创业担保贷款呢？", "长沙怎么申请失业保险金？")


def test_a_new_plan_period_takes_the_old_ones_place():
    assert _rewrite("十五五呢？", "长沙高技能人才目标是多少？") == "长沙高技能人才目标是多少（“十五五”）"
    assert (
        _rewrite("十四五呢？", "湘潭十三五期间城镇新增就业多少人？") == "湘潭“十四五”期间城镇新增就业多少人？"
    )
    assert "十三五" not in _rewrite("2025年呢？", "长沙十三五城镇新增就业多少人")  # a year replaces the plan
    # a plan period and nothing else of its own: asked with the last question as its context
    slot_terms = frozenset({"目标", "多少"})
    out = rewrite(
        "当时定的十四五目标呢？", [Turn("user", "湘潭十三五期间新增了多少城镇就业？")], DOCS, slot_terms
    )
    assert out == "当时定的十四五目标（上文：湘潭“十四五”期间新增了多少城镇就业）"


def test_standalone_question_is_left_alone():
    assert (
        _rewrite("湘潭对高校毕业生就业有哪些措施？", "长沙城区最低工资标准是多少？")
        == "湘潭对高校毕业生就业有哪些措施？"
    )
    assert not is_follow_up("湘潭对高校毕业生就业有哪些措施？", DOCS)


def test_chains_of_follow_ups_resolve_from_the_start():
    assert _rewrite("长沙呢？", "湘潭城区最低工资标准是多少？", "那株洲呢？") in {
        "长沙城区最低工资标准是多少？",
        "长沙城区最低工资标准是多少",
    }


def test_history_formats_are_normalised():
    turns = normalise_history(
        [
            {"role": "user", "content": "问1"},
            {"role": "assistant", "content": [{"type": "text", "text": "答1"}]},
            ("问2", "答2"),
        ]
    )
    assert [(t.role, t.content) for t in turns] == [
        ("user", "问1"),
        ("assistant", "答1"),
        ("user", "问2"),
        ("assistant", "答2"),
    ]


def test_generic_place_words_are_not_places():
    from policyqa.index.sparse import place_names

    assert place_names("两个城市对零就业家庭分别有什么政策？") == []
    assert place_names("本市和外地的政策一样吗？") == []
    assert place_names("株洲的最低工资标准是多少？") == ["株洲"]


def test_a_detail_opener_with_its_own_place_is_a_new_question(real_snapshot):
    from policyqa.assistant.condense import Turn, rewrite

    history = [Turn("user", "湘潭失业保险参保人数是多少？")]
    assert (
        rewrite("具体长沙城镇新增就业目标是多少？", history, real_snapshot.documents)
        == "具体长沙城镇新增就业目标是多少？"
    )
    assert "湘潭" in rewrite("具体有哪些？", history, real_snapshot.documents)


def test_a_short_ne_clause_then_how_it_asks_is_a_follow_up_on_a_new_topic():
    # "失业率呢？控制在多少": the topic is new, the place is the last question's, the asking is its own
    rewritten = _rewrite("养老保险呢？覆盖率要到多少", "湘潭十四五要新增多少就业？")
    assert rewritten.startswith("湘潭十四五养老保险") and rewritten.endswith("覆盖率要到多少")
    assert "新增" not in rewritten
    # …also when it asks in two short clauses
    rewritten = _rewrite("博士后工作站呢，数量上有没有个说法，多少个", "湘潭十四五要引进多少高层次人才？")
    assert rewritten.startswith("湘潭十四五博士后工作站") and rewritten.endswith("多少个")
    assert (
        _rewrite("失业保险参保人数要达到多少？", "湘潭十四五要新增多少就业？")
        == "失业保险参保人数要达到多少（湘潭）"
    )  # a question of its own, about the conversation's place


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "失业率呢？？",
            "湘潭十四五失业率多少",
        ),  # no asking clause after 呢: asked as the last question asked
        ("十五五呢？要新增多少", "十五五呢？要新增多少（上文：湘潭“十五五”要新增多少就业）"),  # a period swap
        # a new message, about the conversation's place
        ("怎么办呢？我被拖欠工资了老板一直不给", "怎么办呢？我被拖欠工资了老板一直不给（湘潭）"),
    ],
)
def test_a_ne_clause_is_a_new_topic_only_before_a_short_asking_clause(question, expected):
    assert _rewrite(question, "湘潭十四五要新增多少就业？") == expected
