"""Text helpers: sentences, numbers, Chinese numerals, bracket protection, and prompt templates."""

from __future__ import annotations

import pytest
from policyqa.assistant.prompts import render, template_names, template_variables
from policyqa.core.text import chinese_to_int, numbers_in, protect_brackets, split_sentences


def test_sentences_keep_markers_with_the_sentence_before():
    assert split_sentences("甲。[1]乙；丙！[2]") == ["甲。[1]", "乙；", "丙！[2]"]
    assert split_sentences("甲；乙。", strong_only=True) == ["甲；乙。"]


@pytest.mark.parametrize(
    ("numeral", "value"), [("十五", 15), ("一千七百", 1700), ("二〇二五", 2025), ("五万", 50000)]
)
def test_chinese_numerals(numeral, value):
    assert chinese_to_int(numeral) == value


def test_numbers_are_canonical():
    assert numbers_in("１，７００元／月，5.50%，[75]") == {"1700", "5.5", "75"}


def test_source_brackets_are_protected():
    assert protect_brackets("2025年：[75]万人；2020年：[71.42]") == "2025年：［75］万人；2020年：［71.42］"
    assert protect_brackets("注：[]内为5年累计数") == "注：[]内为5年累计数"


EXPECTED_VARIABLES = {
    "answer_system": {"refusal"},
    "answer_user": {"paragraphs", "mode", "question", "asked"},
    "condense": {"history", "question"},
    "extractive_answer": {"lead", "caveats", "groups", "notes", "caveat"},
    "not_stated": {"phrase", "related", "groups", "caveat"},
    "refusal": {"mode", "refusal", "suggestions", "closing"},
    "judge_faithfulness": {"citations", "answer"},
    "judge_correctness": {"question", "facts", "answer"},
}


def test_every_template_declares_exactly_the_expected_variables():
    assert set(template_names()) == set(EXPECTED_VARIABLES)
    for name, variables in EXPECTED_VARIABLES.items():
        assert template_variables(name) == variables, name


def test_missing_template_variable_is_an_error():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        render("refusal", mode="answer", refusal="x")


def test_a_bracketed_table_value_keeps_its_scale():
    assert numbers_in("2025年：［50］万人次") >= {"50", "500000"}
    assert numbers_in("[5]") == {"5"}
