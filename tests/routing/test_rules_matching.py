"""Routing rules as a supervisor thinks of them: an ordered list, first active match wins.
Pure: no app, no database."""

from routing import divisions
from routing.rule_matching import (
    Case,
    Draft,
    decide,
    effective_region,
    is_catch_all,
    load_platform_regions,
    with_draft,
)

PLATFORMS = {"淘宝": "杭州", "天猫": "杭州", "京东": "北京", "拼多多": "上海", "抖音": "北京"}
CATCH_ALL = Draft(id=99, name="catch-all", position=99, department_id=None)


def rule(id_, position=None, **conditions):
    return Draft(id=id_, name=f"rule {id_}", position=position if position is not None else id_,
                 department_id=conditions.pop("department_id", 100 + id_), **conditions)


def winner(case, rules):
    decision = decide(case, rules, PLATFORMS)
    return decision.rule.id if decision.rule else None


def test_the_first_matching_rule_wins_in_position_order_not_list_order():
    rules = [rule(2, position=2, region="海淀区"), rule(1, position=1, keywords="空调"), CATCH_ALL]
    case = Case(respondent_region="北京市海淀区", text="空调不制冷")
    assert winner(case, rules) == 1
    assert winner(Case(respondent_region="北京市海淀区", text="手机坏了"), rules) == 2


def test_an_inactive_rule_is_skipped():
    rules = [rule(1, keywords="空调", active=False), rule(2, keywords="空调"), CATCH_ALL]
    decision = decide(Case(text="空调不制冷"), rules, PLATFORMS)
    assert decision.rule.id == 2
    assert [step.rule.id for step in decision.trace] == [2]


def test_kind_category_and_problem_type_must_all_hold():
    r = rule(1, kind="report", category_id=5, problem_type_id=7)
    assert winner(Case(kind="report", category_ids=frozenset({5, 1}), problem_type_id=7), [r]) == 1
    assert winner(Case(kind="complaint", category_ids=frozenset({5}), problem_type_id=7), [r]) is None
    assert winner(Case(kind="report", category_ids=frozenset({6}), problem_type_id=7), [r]) is None
    assert winner(Case(kind="report", category_ids=frozenset({5}), problem_type_id=8), [r]) is None


def test_a_rule_on_a_parent_category_covers_its_children():
    # The service passes the case's category and its parents; 1 is the "goods" root here.
    assert winner(Case(category_ids=frozenset({5, 1})), [rule(1, category_id=1)]) == 1


def test_any_one_keyword_in_the_facts_matches_and_is_shown_as_the_reason():
    r = rule(1, keywords="跑路\n关门\n联系不上")
    decision = decide(Case(text="健身房 关门 了，老板联系不上"), [r], PLATFORMS)
    assert decision.rule.id == 1
    assert [(c.condition, c.found) for c in decision.checks] == [("keywords", "关门")]
    assert winner(Case(text="会员卡余额不退"), [r]) is None


def test_keywords_compare_full_width_and_case_blind():
    assert winner(Case(text="买的ＩＰＨＯＮＥ屏幕坏了"), [rule(1, keywords="iphone")]) == 1


def test_respondent_is_part_of_the_business_name_or_the_seller():
    r = rule(1, respondent="美的")
    assert winner(Case(respondent_name="美的电器专卖店"), [r]) == 1
    assert winner(Case(seller="美的官方旗舰店"), [r]) == 1
    assert winner(Case(respondent_name="格力专卖店"), [r]) is None


def test_region_is_the_respondents_and_may_be_part_of_it():
    r = rule(1, region="海淀区")
    assert winner(Case(respondent_region="北京市海淀区"), [r]) == 1
    assert winner(Case(respondent_region="东城区"), [r]) is None
    assert winner(Case(), [r]) is None  # unknown region never matches a region rule


def test_an_online_seller_without_a_region_goes_by_its_platform():
    # A platform mapping written with place names (an older config) is read as divisions too.
    rules = [rule(1, division="330000"), rule(2, division="110000"), CATCH_ALL]
    case = Case(platform="天猫", seller="某某旗舰店", text="网购衣服质量差")
    decision = decide(case, rules, PLATFORMS)
    assert decision.rule.id == 1
    region = decision.region
    assert (region.value, region.code, region.source, region.platform) == ("浙江省杭州市", "330100", "platform", "天猫")
    assert winner(Case(platform="京东", seller="京东自营"), rules) == 2
    # The platform named in the business's name counts too ("京东自营").
    assert winner(Case(respondent_name="京东自营旗舰店"), rules) == 2


def test_the_respondents_own_region_beats_the_platform():
    region = effective_region(Case(respondent_region="海淀区", platform="拼多多"), PLATFORMS)
    assert (region.value, region.source) == ("海淀区", "respondent")
    assert effective_region(Case(platform="某小程序"), PLATFORMS).value is None


def test_the_catch_all_sends_to_triage_and_no_rule_at_all_too():
    decision = decide(Case(text="anything"), [rule(1, keywords="空调"), CATCH_ALL], PLATFORMS)
    assert decision.rule.id == 99 and decision.to_triage and decision.checks == ()
    assert is_catch_all(CATCH_ALL) and not is_catch_all(rule(1, region="x"))
    nothing = decide(Case(text="anything"), [rule(1, keywords="空调")], PLATFORMS)
    assert nothing.rule is None and nothing.to_triage


def test_the_trace_says_on_what_each_earlier_rule_failed():
    rules = [rule(1, region="东城区"), rule(2, keywords="空调"), CATCH_ALL]
    decision = decide(Case(respondent_region="海淀区", text="空调"), rules, PLATFORMS)
    failed = decision.trace[0].failed
    assert (failed.condition, failed.wanted, failed.found) == ("region", "东城区", "海淀区")
    assert decision.rule.id == 2


def test_a_draft_replaces_its_saved_rule_and_a_new_one_slots_in_by_position():
    saved = [rule(1, region="东城区"), CATCH_ALL]
    edited = Draft(id=1, name="edited", position=1, region="海淀区", department_id=7)
    assert decide(Case(respondent_region="海淀区"), with_draft(saved, edited), PLATFORMS).rule.name == "edited"
    new = Draft(id=None, name="new", position=99, keywords="空调", department_id=8)
    # Same position as the catch-all, tried before it.
    assert decide(Case(text="空调"), with_draft(saved, new), PLATFORMS).rule.name == "new"


def test_the_shipped_platform_mapping_has_the_major_platforms_as_division_codes():
    shipped = load_platform_regions()
    assert {"淘宝", "天猫", "京东", "拼多多", "抖音", "美团", "快手", "小红书", "唯品会", "苏宁易购"} <= set(shipped)
    assert all(divisions.level(code) == divisions.DISTRICT for code in shipped.values())
    assert shipped["淘宝"] == shipped["天猫"] and divisions.within(shipped["淘宝"], "330100")  # 杭州
    assert divisions.within(shipped["京东"], "110000") and divisions.within(shipped["拼多多"], "310000")
    assert divisions.within(shipped["抖音"], "110000") and divisions.within(shipped["美团"], "110000")


# --- divisions: a rule holds for its division and everything inside it ------------------------


def test_a_division_rule_holds_for_every_division_inside_it():
    beijing, dongcheng = rule(1, division="110000"), rule(2, division="110101")
    assert winner(Case(respondent_division="110108"), [beijing]) == 1  # 海淀区 is in 北京市
    assert winner(Case(respondent_division="110100"), [beijing]) == 1  # 北京市, the city level
    assert winner(Case(respondent_division="310115"), [beijing]) is None  # 上海浦东
    assert winner(Case(respondent_division="110101"), [dongcheng]) == 2
    assert winner(Case(respondent_division="110100"), [dongcheng]) is None  # the district is not known
    assert winner(Case(respondent_division="110102"), [dongcheng]) is None  # 西城区
    assert winner(Case(), [beijing]) is None


def test_the_respondents_division_beats_the_platform_and_is_shown_by_name():
    region = effective_region(Case(respondent_division="110108", platform="拼多多"), PLATFORMS)
    assert (region.value, region.code, region.source) == ("北京市海淀区", "110108", "respondent")


def test_an_old_text_rule_still_matches_a_case_placed_by_division():
    old = rule(1, region="东城区")  # written before division codes, no division found for it
    assert winner(Case(respondent_division="110101"), [old]) == 1
    assert winner(Case(respondent_division="110108"), [old]) is None


def test_a_rule_with_only_a_division_is_no_catch_all():
    assert not is_catch_all(rule(1, division="110000"))


def test_the_platform_field_beats_a_shop_name_that_holds_another_platforms_name():
    """A 京东便利店 that sells on 美团 is placed where 美团 is, not where 京东 is: the operator
    named the platform, the shop's name only happens to contain another."""
    shipped = load_platform_regions()
    case = Case(platform="美团", respondent_name="京东便利店望京店", seller="京东便利店望京店")
    region = effective_region(case, shipped)
    assert (region.source, region.platform, region.code) == ("platform", "美团", shipped["美团"])
    # With no platform named, the names are read, the longest platform name first.
    named = effective_region(Case(respondent_name="天猫超市旗舰店"), {"天猫": "330110", "天猫超市": "110105"})
    assert named.platform == "天猫超市"
