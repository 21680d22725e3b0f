"""Rules are versioned data: every change needs a reason and is kept with before and after;
the case records the rule and version that routed it; only supervisors edit rules."""

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Role, RoutingRule, RoutingRuleChange, RuleAction, TicketStatus
from routing import services
from tests.routing import rules_helpers
from tests.routing.rules_helpers import accepted, add_rule, category

world = rules_helpers.world


def changes_of(rule):
    return db.session.scalars(
        select(RoutingRuleChange).where(RoutingRuleChange.rule_id == rule.id).order_by(RoutingRuleChange.version)
    ).all()


def order():
    return [rule.name for rule in services.all_rules()]


def test_a_change_without_a_reason_is_refused_and_nothing_is_stored(world):
    with pytest.raises(services.ReasonRequired):
        services.create_rule({"name": "x", "region": "海淀区"}, world["supervisor"], "   ")
    db.session.rollback()
    assert db.session.scalar(select(func.count(RoutingRule.id))) == 0
    rule = add_rule(world["supervisor"], region="海淀区", department=world["departments"]["MS03"])
    with pytest.raises(services.ReasonRequired):
        services.update_rule(rule, {"region": "东城区"}, world["supervisor"], "")
    db.session.rollback()
    assert (rule.region, rule.version, len(changes_of(rule))) == ("海淀区", 1, 1)


def test_create_then_edit_keeps_version_who_why_before_and_after(world):
    boss = world["supervisor"]
    rule = add_rule(boss, reason="new district office", region="海淀区", department=world["departments"]["MS03"])
    services.update_rule(rule, {"region": "西城区", "department_id": world["departments"]["MS02"].id,
                                "action": "ask"}, boss, "office moved")
    db.session.commit()
    first, second = changes_of(rule)
    assert (first.version, first.reason, first.before, first.user_id) == (1, "new district office", None, boss.id)
    assert first.after["region"] == "海淀区"
    assert (second.version, second.reason, rule.version) == (2, "office moved", 2)
    assert (second.before["region"], second.after["region"]) == ("海淀区", "西城区")
    assert (second.before["action"], second.after["action"]) == ("auto", "ask")
    assert second.at is not None


def test_saving_without_a_difference_writes_no_new_version(world):
    rule = add_rule(world["supervisor"], region="海淀区", department=world["departments"]["MS03"])
    assert services.update_rule(rule, {"region": " 海淀区 "}, world["supervisor"], "same") is None
    assert rule.version == 1 and len(changes_of(rule)) == 1


def test_reorder_and_deactivate_are_changes_too(world):
    boss = world["supervisor"]
    a = add_rule(boss, name="A", region="东城区", department=world["departments"]["MS01"])
    b = add_rule(boss, name="B", region="西城区", department=world["departments"]["MS02"])
    services.move_rule(b, -1, boss, "west first")
    db.session.commit()
    assert order() == ["B", "A"]
    assert (a.version, b.version) == (2, 2)
    assert changes_of(b)[-1].before["position"] > changes_of(b)[-1].after["position"]
    assert services.move_rule(b, -1, boss, "already first") == []
    services.set_active(a, False, boss, "office closed")
    db.session.commit()
    assert (a.active, a.version, changes_of(a)[-1].reason) == (False, 3, "office closed")
    assert changes_of(a)[-1].before["active"] is True and changes_of(a)[-1].after["active"] is False


def test_a_new_rule_goes_above_the_catch_all_so_it_can_match(world):
    boss = world["supervisor"]
    catch_all = add_rule(boss, name="catch-all")
    add_rule(boss, name="haidian", region="海淀区", department=world["departments"]["MS03"])
    assert order() == ["haidian", "catch-all"]
    assert catch_all.version == 2  # it moved down one, and that is in its history too
    assert changes_of(catch_all)[-1].after["position"] == changes_of(catch_all)[-1].before["position"] + 1


def test_the_case_records_the_rule_and_the_version_that_routed_it(world, create_ticket):
    boss = world["supervisor"]
    rule = add_rule(boss, region="海淀区", department=world["departments"]["MS03"])
    services.update_rule(rule, {"keywords": "空调"}, boss, "only appliances")
    db.session.commit()
    ticket = accepted(create_ticket, respondent_region="海淀区", facts="空调坏了")
    outcome = services.route_accepted(ticket, world["operator"])
    db.session.commit()
    assert outcome.forwarded and outcome.rule.id == rule.id
    assert (ticket.status, ticket.routed_by_rule_id, ticket.routed_rule_version) == (TicketStatus.FORWARDED, rule.id, 2)
    # A later edit does not rewrite which version routed the case.
    services.update_rule(rule, {"keywords": "空调\n冰箱"}, boss, "fridges too")
    db.session.commit()
    assert ticket.routed_rule_version == 2


# --- the pages ---------------------------------------------------------------------------


def test_supervisor_creates_a_rule_on_the_page_and_a_missing_reason_is_shown(world, client, login):
    login(world["supervisor"])
    data = {"name": "海淀空调", "kind": "complaint", "category_id": category("G01").id, "problem_type_id": "None",
            "region": "海淀区", "keywords": "空调\n冰箱", "respondent": "", "department_id":
            world["departments"]["MS03"].id, "action": "auto", "active": "y", "save": "1"}
    refused = client.post("/routing/rules/new", data={**data, "reason": ""})
    assert refused.status_code == 200 and 'id="reason-error"' in refused.text
    assert db.session.scalar(select(func.count(RoutingRule.id))) == 0
    saved = client.post("/routing/rules/new", data={**data, "reason": "appliance desk in Haidian"})
    assert saved.status_code == 302
    rule = db.session.scalar(select(RoutingRule))
    assert (rule.name, rule.kind, rule.category_id, rule.keywords) == ("海淀空调", "complaint", category("G01").id, "空调\n冰箱")
    assert (rule.department_id, rule.action, rule.version) == (world["departments"]["MS03"].id, RuleAction.AUTO, 1)
    listing = client.get("/routing/rules")
    assert "海淀空调" in listing.text and "海淀市场监管所" in listing.text


def test_the_edit_page_shows_the_rules_history(world, client, login):
    rule = add_rule(world["supervisor"], reason="first reason", region="海淀区", department=world["departments"]["MS03"])
    services.update_rule(rule, {"region": "西城区", "department_id": world["departments"]["MS02"].id},
                         world["supervisor"], "second reason")
    db.session.commit()
    login(world["supervisor"])
    page = client.get(f"/routing/rules/{rule.id}")
    assert page.status_code == 200
    assert page.text.count('data-testid="history-row"') == 2
    assert "first reason" in page.text and "second reason" in page.text and "海淀区 → 西城区" in page.text
    assert "海淀市场监管所 → 西城市场监管所" in page.text


def test_quick_reorder_from_the_list_needs_a_reason(world, client, login):
    boss = world["supervisor"]
    add_rule(boss, name="A", region="东城区", department=world["departments"]["MS01"])
    b = add_rule(boss, name="B", region="西城区", department=world["departments"]["MS02"])
    login(boss)
    client.post(f"/routing/rules/{b.id}/quick", data={"op": "up", "reason": ""})
    assert order() == ["A", "B"]
    response = client.post(f"/routing/rules/{b.id}/quick", data={"op": "up", "reason": "busier office"})
    assert response.status_code == 302 and order() == ["B", "A"]
    client.get(response.headers["Location"])  # the list shows (and so clears) that move's message
    # Already first: nothing moves, and the page says so instead of "Rule saved".
    page = client.post(f"/routing/rules/{b.id}/quick", data={"op": "up", "reason": "again"}, follow_redirects=True,
                       headers={"Accept-Language": "en"})
    assert "already first" in page.text and "Rule saved" not in page.text and order() == ["B", "A"]
    client.post(f"/routing/rules/{b.id}/quick", data={"op": "deactivate", "reason": "closed for works"})
    db.session.refresh(b)
    assert b.active is False and b.version == 3
    assert client.post(f"/routing/rules/{b.id}/quick", data={"op": "explode", "reason": "x"}).status_code == 400
    assert client.post("/routing/rules/9999/quick", data={"op": "up", "reason": "x"}).status_code == 404


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_only_supervisors_reach_the_rules(world, client, login, make_user, role):
    rule = add_rule(world["supervisor"], region="海淀区", department=world["departments"]["MS03"])
    login(make_user(role, department=world["departments"]["MS01"] if role == Role.DEPARTMENT else None))
    assert client.get("/routing/rules").status_code == 403
    assert client.get(f"/routing/rules/{rule.id}").status_code == 403
    edit = client.post(f"/routing/rules/{rule.id}", data={"name": "hacked", "reason": "x", "save": "1"})
    assert edit.status_code == 403
    assert client.post(f"/routing/rules/{rule.id}/quick", data={"op": "deactivate", "reason": "x"}).status_code == 403
    db.session.refresh(rule)
    assert (rule.name, rule.active, rule.version) == ("rule 海淀区", True, 1)


def test_department_staff_reach_nothing_under_routing(world, client, login, make_user, create_ticket):
    ticket = accepted(create_ticket)
    login(make_user(Role.DEPARTMENT, department=world["departments"]["MS01"]))
    for url in ("/routing/rules", "/routing/departments", "/routing/triage", "/routing/rules/new"):
        assert client.get(url).status_code == 403, url
    forward = client.post(f"/routing/tickets/{ticket.number}/forward",
                          data={"department": world["departments"]["MS01"].id})
    assert forward.status_code == 403
