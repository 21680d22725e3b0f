"""Reading survey replies (pure: no app)."""

import pytest

from followup import survey_parse
from followup.survey_parse import Reply, parse_reply
from hotline.sms_texts import segments


@pytest.mark.parametrize(("text", "score", "comment"), [
    ("5", 5, None),
    ("５", 5, None),  # full-width digit
    (" 3 ", 3, None),
    ("5分", 5, None),
    ("5 分", 5, None),
    ("５分", 5, None),
    ("4星", 4, None),
    ("五分", 5, None),
    ("五", 5, None),
    ("两星", 2, None),
    ("我给5分", 5, None),
    ("评分：4", 4, None),
    ("满意", 4, None),
    ("非常满意", 5, None),
    ("我很满意", 5, None),
    ("一般", 3, None),
    ("基本满意", 3, None),
    ("不满意", 2, None),
    ("不太满意", 2, None),
    ("非常不满意", 1, None),
    ("4 很好", 4, "很好"),
    ("4，服务不错", 4, "服务不错"),
    ("５分，态度很好！", 5, "态度很好"),
    ("5分很好", 5, "很好"),
    ("1 商家至今没有退款", 1, "商家至今没有退款"),
    ("不满意，商家没退钱", 2, "商家没退钱"),
    ("满意 谢谢", 4, "谢谢"),
])
def test_a_score_in_any_form_is_read(text, score, comment):
    assert parse_reply(text) == Reply(score, comment)


@pytest.mark.parametrize("text", [
    "", "好", "？", "0", "6", "10", "4.5", "3月5日买的手机坏了", "5分钟前商家打电话了",
    "5星级酒店收费不合理", "一般来说商家应该退款", "一分钟", "什么意思",
])
def test_what_holds_no_score_is_not_read_as_one(text):
    assert parse_reply(text) is None


def test_an_explicit_appeal_is_not_a_reply():
    assert survey_parse.is_appeal("我要申诉")
    assert survey_parse.is_appeal("不满意，申请复议")
    assert not survey_parse.is_appeal("不满意")


def test_only_a_short_text_that_is_no_new_case_gets_a_clarification():
    assert survey_parse.may_be_reply("嗯？")
    assert not survey_parse.may_be_reply("我要投诉")
    assert not survey_parse.may_be_reply("我在某商城买的冰箱不制冷，商家拒绝维修也不给退货，请帮忙处理")
    assert not survey_parse.may_be_reply("   ")


def test_the_survey_texts_carry_the_case_number_in_one_segment():
    number = "20261124-00042"
    texts = [survey_parse.SURVEY.format(number=number), survey_parse.CLARIFY.format(number=number),
             survey_parse.thanks_text(number, 5, low=False), survey_parse.thanks_text(number, 1, low=True)]
    for text in texts:
        assert number in text and segments(text) == 1
    assert "回访" in texts[3] and "回访" not in texts[2]
