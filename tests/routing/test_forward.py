"""route_accepted and forward: AUTO forwards at once (status, department, clock, SMS), ASK waits for
the operator's one click, the catch-all leaves the case in the triage queue."""

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from hotline import tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Caller,
    Clock,
    ClockKind,
    ClockState,
    Department,
    OutboxMessage,
    RoutingRule,
    RuleAction,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import now
from routing import services
from tests.routing import rules_helpers
from tests.routing.rules_helpers import accepted, add_rule, category

world = rules_helpers.world


def sms_of(ticket):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()


def events_of(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ).all()


@pytest.fixture
def rules(world):
    boss, d = world["supervisor"], world["departments"]
    return {
        "prepaid": add_rule(boss, name="预付卡跑路", keywords="跑路\n关门", category_id=category("S09").id,
                            department=d["MS02"], action="ask"),
        "haidian": add_rule(boss, name="海淀商家", region="海淀区", department=d["MS03"]),
        "catch_all": add_rule(boss, name="人工分派"),
    }


def test_auto_forwards_at_once_with_status_clock_and_sms(world, rules, create_ticket):
    ticket = accepted(create_ticket, phone="+8613800138001", respondent_region="北京市海淀区",
                      respondent_name="某电器行", facts="空调不制冷")
    clocks.start_clock(ticket, ClockKind.FORWARD)
    db.session.commit()
    outcome = services.route_accepted(ticket, world["operator"])
    db.session.commit()
    haidian = world["departments"]["MS03"]
    assert (outcome.rule.id, outcome.department.id, outcome.action) == (rules["haidian"].id, haidian.id, RuleAction.AUTO)
    assert (ticket.status, ticket.department_id) == (TicketStatus.FORWARDED, haidian.id)
    assert ticket.forwarded_at is not None
    assert (ticket.routed_by_rule_id, ticket.routed_rule_version) == (rules["haidian"].id, 1)
    assert clocks.open_clock(ticket, ClockKind.FORWARD) is None
    assert [c.state for c in ticket_clocks(ticket)] == [ClockState.MET]
    [sms] = sms_of(ticket)
    assert sms.to == "+8613800138001" and sms.legal and sms.purpose == "forwarded"
    assert ticket.number in sms.body and "海淀市场监管所" in sms.body and "010-82000003" in sms.body
    [event] = events_of(ticket, "forwarded")
    assert event.to_value == "海淀市场监管所" and event.data["rule_version"] == 1


def ticket_clocks(ticket):
    return db.session.scalars(select(Clock).where(Clock.ticket_id == ticket.id)).all()


def test_the_sms_goes_to_the_complainant_phone_given_on_the_form(world, rules, create_ticket):
    ticket = accepted(create_ticket, phone="+8613800138001", complainant_phone="13912345678",
                      respondent_region="海淀区")
    services.route_accepted(ticket, world["operator"])
    assert [m.to for m in sms_of(ticket)] == ["+8613912345678"]


def test_an_opted_out_complainant_still_gets_the_legal_notice(world, rules, create_ticket):
    ticket = accepted(create_ticket, phone="+8613800138002", respondent_region="海淀区")
    db.session.scalar(select(Caller).where(Caller.phone == "+8613800138002")).opted_out_at = now()
    services.route_accepted(ticket, world["operator"])
    [sms] = sms_of(ticket)
    assert sms.status.value == "pending"


def test_an_anonymous_report_is_forwarded_without_any_sms(world, rules, create_ticket):
    ticket = accepted(create_ticket, kind=TicketKind.REPORT, anonymous=True, respondent_region="海淀区")
    services.route_accepted(ticket, world["operator"])
    assert ticket.status == TicketStatus.FORWARDED and sms_of(ticket) == []


def test_a_named_report_gets_the_report_wording(world, rules, create_ticket):
    ticket = accepted(create_ticket, kind=TicketKind.REPORT, respondent_region="海淀区")
    services.route_accepted(ticket, world["operator"])
    [sms] = sms_of(ticket)
    assert sms.body.startswith("您的举报") and ticket.number in sms.body


def test_ask_suggests_and_the_one_click_forward_credits_the_rule(world, rules, create_ticket, client, login):
    ticket = accepted(create_ticket, facts="健身房突然关门", category=category("S09"))
    outcome = services.route_accepted(ticket, world["operator"])
    db.session.commit()
    xicheng = world["departments"]["MS02"]
    assert (outcome.action, outcome.department.id) == (RuleAction.ASK, xicheng.id)
    assert ticket.status == TicketStatus.ACCEPTED and ticket.department_id is None and sms_of(ticket) == []
    [suggested] = events_of(ticket, "routing_suggested")
    assert suggested.to_value == "西城市场监管所" and suggested.data["rule_id"] == rules["prepaid"].id
    assert suggested.data["why"]["checks"][1] == {"condition": "keywords", "wanted": "跑路、关门", "found": "关门"}

    login(world["operator"])
    response = client.post(f"/routing/tickets/{ticket.number}/forward", data={"department": xicheng.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    db.session.refresh(ticket)
    assert (ticket.status, ticket.department_id) == (TicketStatus.FORWARDED, xicheng.id)
    assert (ticket.routed_by_rule_id, ticket.routed_rule_version) == (rules["prepaid"].id, 1)
    assert "西城市场监管所" in sms_of(ticket)[0].body


def test_the_ticket_page_partial_offers_the_suggested_department(world, rules, create_ticket, app):
    ticket = accepted(create_ticket, facts="店铺跑路了", category=category("S09"))
    services.route_accepted(ticket, world["operator"])
    db.session.commit()
    with app.test_request_context(f"/tickets/{ticket.number}"):
        login_user(world["operator"])
        html = render_template("routing/_forward.html", ticket=ticket)
    assert 'id="forward-suggested"' in html and "西城市场监管所" in html
    assert f'value="{world["departments"]["MS02"].id}"' in html
    services.forward_chosen(ticket, world["departments"]["MS02"], world["operator"])
    with app.test_request_context(f"/tickets/{ticket.number}"):
        login_user(world["operator"])
        html = render_template("routing/_forward.html", ticket=ticket)
    assert 'id="forward-panel"' not in html and 'id="routed-by"' in html and "预付卡跑路" in html


def test_choosing_another_department_than_suggested_is_a_manual_forward(world, rules, create_ticket, client, login):
    ticket = accepted(create_ticket, facts="健身房关门", category=category("S09"))
    services.route_accepted(ticket, world["operator"])
    db.session.commit()
    login(world["supervisor"])
    client.post(f"/routing/tickets/{ticket.number}/forward", data={"department": world["departments"]["MS01"].id})
    db.session.refresh(ticket)
    assert ticket.department_id == world["departments"]["MS01"].id and ticket.routed_by_rule_id is None


def test_the_catch_all_leaves_the_case_in_triage_and_triage_forwards_it(world, rules, create_ticket, client, login):
    ticket = accepted(create_ticket, facts="快递丢件", respondent_name="某快递")
    outcome = services.route_accepted(ticket, world["operator"])
    db.session.commit()
    assert (outcome.rule.id, outcome.department, outcome.action) == (rules["catch_all"].id, None, None)
    assert ticket.status == TicketStatus.ACCEPTED and events_of(ticket, "routing_triage")
    login(world["operator"])
    page = client.get("/routing/triage")
    assert page.status_code == 200 and f'data-number="{ticket.number}"' in page.text
    response = client.post(f"/routing/tickets/{ticket.number}/forward",
                           data={"department": world["departments"]["MS01"].id, "next": "/routing/triage"})
    assert response.headers["Location"].endswith("/routing/triage")
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED
    assert f'data-number="{ticket.number}"' not in client.get("/routing/triage").text


def test_an_auto_rule_whose_department_is_closed_goes_to_triage(world, rules, create_ticket):
    world["departments"]["MS03"].active = False
    ticket = accepted(create_ticket, respondent_region="海淀区")
    outcome = services.route_accepted(ticket, world["operator"])
    assert outcome.department is None and ticket.status == TicketStatus.ACCEPTED
    [event] = events_of(ticket, "routing_triage")
    assert event.data["inactive_department_id"] == world["departments"]["MS03"].id


def test_no_rules_at_all_is_triage(world, create_ticket):
    ticket = accepted(create_ticket)
    outcome = services.route_accepted(ticket, world["operator"])
    assert (outcome.rule, outcome.department, outcome.action) == (None, None, None)
    assert ticket.status == TicketStatus.ACCEPTED


def test_only_accepted_cases_are_routed(world, rules, create_ticket):
    ticket = create_ticket(respondent_region="海淀区")
    with pytest.raises(services.NotRoutable):
        services.route_accepted(ticket, world["operator"])
    assert ticket.status == TicketStatus.NEW


def test_bad_forward_requests_are_refused_cleanly(world, rules, create_ticket, client, login):
    new_case = create_ticket()
    ticket = accepted(create_ticket)
    login(world["operator"])
    url = f"/routing/tickets/{ticket.number}/forward"
    # Refused: the forward boxes again, saying why (422), nothing forwarded.
    for data in ({}, {"department": "abc"}, {"department": 99999}):
        response = client.post(url, data=data)
        assert response.status_code == 422 and 'id="forward-error"' in response.get_data(as_text=True), data
    world["departments"]["MS02"].active = False
    db.session.commit()
    assert client.post(url, data={"department": world["departments"]["MS02"].id}).status_code == 422
    assert client.post("/routing/tickets/20990101-00001/forward", data={"department": 1}).status_code == 404
    not_yet = client.post(f"/routing/tickets/{new_case.number}/forward",
                          data={"department": world["departments"]["MS01"].id})
    assert not_yet.status_code == 302
    db.session.refresh(new_case)
    assert new_case.status == TicketStatus.NEW and sms_of(new_case) == []
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ACCEPTED


def test_a_returned_case_can_be_forwarded_again(world, rules, create_ticket):
    ticket = accepted(create_ticket, respondent_region="海淀区")
    services.route_accepted(ticket, world["operator"])
    tickets.change_status(ticket, TicketStatus.ACCEPTED, reason="wrong department")
    services.forward(ticket, world["departments"]["MS01"], world["supervisor"])
    assert (ticket.department_id, ticket.routed_by_rule_id) == (world["departments"]["MS01"].id, None)
    assert len(sms_of(ticket)) == 2


def test_seeding_default_rules_is_idempotent_and_waits_for_departments(app, world):
    db.session.query(Department).filter(Department.code == "MS02").delete()
    first = services.seed_routing_rules()
    names = [r.name for r in services.all_rules()]
    assert names[-1] == "其他：人工分派" and "被投诉方在西城区" not in names and first == len(names)
    assert services.seed_routing_rules() == 0
    db.session.add(Department(code="MS02", name="西城市场监管所", region="西城区"))
    db.session.flush()
    assert services.seed_routing_rules() == 2  # the two rules that wait for MS02
    names = [r.name for r in services.all_rules()]
    assert names[-1] == "其他：人工分派" and "被投诉方在西城区" in names
    renamed = db.session.scalar(select(RoutingRule).where(RoutingRule.name == "被投诉方在东城区"))
    services.update_rule(renamed, {"name": "东城"}, None, "shorter")
    assert services.seed_routing_rules() == 0


def test_accepting_a_case_at_intake_routes_it_end_to_end(world, rules, create_ticket):
    from intake.decisions import accept_ticket

    ticket = create_ticket(
        phone="+8613800138003", complainant_name="陈女士", complainant_phone="13800138003",
        complainant_address="北京市海淀区某路1号", respondent_name="某电器行", respondent_address="海淀区某街2号",
        respondent_region="海淀区", facts="空调不制冷", demand="退货")
    accept_ticket(ticket, world["operator"])
    db.session.commit()
    assert (ticket.status, ticket.department_id) == (TicketStatus.FORWARDED, world["departments"]["MS03"].id)
    forward_clocks = [c for c in ticket_clocks(ticket) if c.kind == ClockKind.FORWARD]
    assert [c.state for c in forward_clocks] == [ClockState.MET]
    assert any("海淀市场监管所" in m.body for m in sms_of(ticket))


def test_a_reforward_to_the_same_department_texts_the_complainant_once(world, rules, create_ticket):
    ticket = accepted(create_ticket, phone="+8613800138001")
    services.forward(ticket, world["departments"]["MS01"], world["operator"])
    tickets.change_status(ticket, TicketStatus.ACCEPTED, reason="missing information")  # returned
    ticket.department_id = None
    services.forward(ticket, world["departments"]["MS01"], world["operator"], instructions="已补充购买凭证")
    db.session.commit()
    assert [m.purpose for m in sms_of(ticket)] == ["forwarded"]
    assert len(events_of(ticket, "forwarded")) == 2
    # A re-forward to another department names the new one.
    tickets.change_status(ticket, TicketStatus.ACCEPTED, reason="wrong department")
    services.forward(ticket, world["departments"]["MS03"], world["operator"])
    db.session.commit()
    texts = [m.body for m in sms_of(ticket)]
    assert len(texts) == 2 and "海淀市场监管所" in texts[1]


def test_an_online_seller_routed_by_its_platform_says_so_on_the_case(world, create_ticket, app):
    """Walked: a JD shop with no address read "按规则 被投诉方在大兴区", as if the shop were there."""
    shipped = services.platform_regions()
    add_rule(world["supervisor"], name="北京市的经营者", division="110000", department=world["departments"]["MS01"])
    ticket = accepted(create_ticket, facts="京东买的冰箱坏了", platform="京东", seller="某京东店铺",
                      respondent_name="某京东店铺")
    services.route_accepted(ticket, world["operator"])
    db.session.commit()
    assert ticket.status == TicketStatus.FORWARDED and shipped["京东"].startswith("11")
    with app.test_request_context(f"/tickets/{ticket.number}"):
        login_user(world["operator"])
        html = render_template("routing/_forward.html", ticket=ticket)
    assert "按规则 北京市的经营者（版本 1）转办" in html and "（经营者无地址：按平台京东所在地）" in html
