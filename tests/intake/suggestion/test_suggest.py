"""The pure suggestion method, on hand-picked descriptions, with the shipped default rules."""

import pytest

from intake.suggest import Rule, default_rules, normalise, suggest

DEFAULTS = default_rules()


def suggested(text):
    found = suggest(text, DEFAULTS)
    return (found.kind.value, found.category and found.category.value,
            found.problem and found.problem.value, found.referral and found.referral.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("空调买了两周就不制冷了，要求退货", ("complaint", "G01", "P01", None)),
        ("举报：菜市场东门那家肉铺用的秤缺斤短两，天天都这样", ("report", "G04", "P09", None)),
        ("请问化妆品过敏了可以退吗？", ("consultation", "G08", "P06", None)),
        ("健身房老板跑路了，我的年卡还剩八个月，要求退钱", ("complaint", "S09", "P03", None)),
        ("快递员把我的包裹弄丢了，只肯赔50块", ("complaint", "S11", "P03", None)),
    ],
)
def test_each_target_on_hand_picked_descriptions(text, expected):
    assert suggested(text) == expected


@pytest.mark.parametrize(
    ("text", "referral"),
    [
        ("老板拖欠了我三个月工资，一直不发", "12333"),
        ("有人冒充客服让我转账到安全账户，被骗了五万", "110"),
        ("滴滴司机绕路多收了我40块", "12328"),
        ("银行信用卡乱收年费", "12378"),
        ("我们的纠纷法院已经判决了，对方不执行", "court"),
    ],
)
def test_out_of_scope_words_suggest_a_referral(text, referral):
    assert suggest(text, DEFAULTS).referral.value == referral


def test_one_weak_word_is_not_enough_to_refer_the_caller_away():
    # "去医院" happens in injury complaints that stay with the hotline.
    assert suggest("吹风机漏电把手烫伤了，去医院花了300，要求赔偿", DEFAULTS).referral is None


def test_reasons_name_the_matched_keywords():
    found = suggest("格力空调不制冷", DEFAULTS)
    assert found.category.matched == ("空调", "不制冷")
    assert found.category.reason == "matched 空调, 不制冷"
    assert found.kind.reason == "no keyword matched: the default"


def test_full_width_and_spaces_and_case_are_normalised():
    assert normalise("ＩＰｈｏｎｅ　屏 幕？") == "iphone屏幕?"
    assert suggest("ＩＰＨＯＮＥ 屏幕 碎了", DEFAULTS).category.value == "G02"


def test_kind_defaults_to_complaint_and_other_fields_to_none():
    found = suggest("你好", DEFAULTS)
    assert (found.kind.value, found.kind.score) == ("complaint", 0)
    assert found.category is None and found.problem is None and found.referral is None


def test_longer_keyword_shields_the_shorter_one_inside_it():
    rules = [Rule("category", "G02", "手机", 3), Rule("category", "S04", "手机号\n话费", 3)]
    assert suggest("手机号被乱扣话费", rules).category.matched == ("手机号", "话费")
    assert suggest("手机坏了", rules).category.value == "G02"


def test_ties_go_to_the_lower_position_and_inactive_rules_are_ignored():
    rules = [Rule("problem", "P02", "退", 1, position=5), Rule("problem", "P03", "退", 1, position=2)]
    assert suggest("退", rules).problem.value == "P03"
    rules.append(Rule("problem", "P04", "退", 5, position=1, active=False))
    assert suggest("退", rules).problem.value == "P03"


def test_weights_add_up_across_matched_keywords():
    rules = [Rule("category", "G01", "空调", 1), Rule("category", "S06", "安装", 1),
             Rule("category", "S06", "师傅", 1)]
    found = suggest("空调安装师傅", rules)
    assert (found.category.value, found.category.score) == ("S06", 2)
