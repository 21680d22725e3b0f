"""The keyword method: how supervisors' rules match (they override the classifier), and the
first, keyword-only suggestion kept to measure against."""

from intake.keywords import Rule, default_rules, matches
from intake.suggest import keyword_suggest

DEFAULTS = default_rules()


def test_longer_keyword_shields_the_shorter_one_inside_it():
    rules = [Rule("category", "G02", "手机", 3), Rule("category", "S04", "手机号\n话费", 3)]
    assert matches("手机号被乱扣话费", rules)["category"].matched == ("手机号", "话费")
    assert matches("手机坏了", rules)["category"].value == "G02"


def test_ties_go_to_the_lower_position_and_inactive_rules_are_ignored():
    rules = [Rule("problem", "P02", "退", 1, position=5), Rule("problem", "P03", "退", 1, position=2)]
    assert matches("退", rules)["problem"].value == "P03"
    rules.append(Rule("problem", "P04", "退", 5, position=1, active=False))
    assert matches("退", rules)["problem"].value == "P03"


def test_weights_add_up_across_matched_keywords():
    rules = [Rule("category", "G01", "空调", 1), Rule("category", "S06", "安装", 1),
             Rule("category", "S06", "师傅", 1)]
    found = matches("空调安装师傅", rules)["category"]
    assert (found.value, found.score) == ("S06", 2)


def test_a_target_without_a_match_is_none_and_referrals_need_two():
    found = matches("吹风机漏电把手烫伤了，去医院花了300", [Rule("referral", "12320", "医院", 1)])
    assert found == {"kind": None, "category": None, "problem": None, "referral": None}


def test_weight_zero_words_shield_but_never_count():
    rules = [Rule("category", "G02", "手机", 3), Rule("category", "G02", "手机号", 0)]
    assert matches("手机号", rules)["category"] is None


def test_the_keyword_only_method_defaults_the_kind_to_complaint():
    found = keyword_suggest("你好", DEFAULTS)
    assert (found.kind.value, found.kind.score, found.kind.source) == ("complaint", 0, "default")
    found = keyword_suggest("格力空调不制冷", DEFAULTS)
    assert found.category.value == "G01" and found.category.matched == ("空调", "不制冷")
