"""The triage list routes: each waiting case shows its forwarding deadline (overdue flagged) and
the department the rules name with the rule as reason, and one click forwards it with the
instructions (转办意见) that the department then reads first. The API twin does the same."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import accounts
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import Clock, ClockKind, Role, TicketEvent, TicketStatus
from hotline.timeutil import now
from routing import services
from tests.api.conftest import CheckedClient
from tests.routing import rules_helpers
from tests.routing.rules_helpers import accepted, add_rule

world = rules_helpers.world
INSTRUCTIONS = "请先核实商家是否已退款，三日内联系消费者。"


@pytest.fixture
def rules(world):
    boss, d = world["supervisor"], world["departments"]
    return {
        "haidian": add_rule(boss, name="海淀商家", division="110108", department=d["MS03"], action="ask"),
        "beijing": add_rule(boss, name="北京其他", division="110000", department=d["MS01"], action="ask"),
        "catch_all": add_rule(boss, name="人工分派"),
    }


def waiting(create_ticket, **fields):
    """A case accepted and left in triage, with its forward clock running."""
    ticket = accepted(create_ticket, **fields)
    clocks.start_clock(ticket, ClockKind.FORWARD)
    db.session.commit()
    return ticket


def row_of(html, number):
    start = html.index(f'data-number="{number}"')
    return html[start:html.index("</tr>", start)]


def test_triage_shows_deadline_overdue_and_the_rule_that_names_a_department(world, rules, create_ticket,
                                                                              client, login):
    haidian = waiting(create_ticket, respondent_name="某电器行", respondent_division="110108",
                      respondent_region="北京市海淀区")
    late = waiting(create_ticket, respondent_name="某快递", facts="快递丢件")
    clock = db.session.scalar(select(Clock).where(Clock.ticket_id == late.id, Clock.kind == ClockKind.FORWARD))
    clock.due_at = now() - timedelta(hours=2)
    world["operator"].locale = "en"  # assertions read the English texts
    db.session.commit()
    login(world["operator"])
    html = client.get("/routing/triage").get_data(as_text=True)

    first = row_of(html, haidian.number)
    assert "海淀市场监管所" in first and "海淀商家 (version 1)" in first and "北京市海淀区" in first
    assert f'<option value="{world["departments"]["MS03"].id}" selected>' in first  # one click away
    assert 'data-testid="overdue"' not in first and 'data-testid="due"' in first
    second = row_of(html, late.number)
    assert 'data-testid="overdue"' in second and 'class="overdue"' in second
    assert "no rule names a department" in second and " selected>" not in second


def test_the_chinese_triage_names_the_rule_and_its_version_in_words(world, rules, create_ticket, client, login):
    ticket = waiting(create_ticket, respondent_name="某电器行", respondent_division="110108")
    login(world["operator"])  # Chinese, the default
    row = row_of(client.get("/routing/triage").get_data(as_text=True), ticket.number)
    assert "规则：海淀商家（版本 1）" in row and "(v1)" not in row
    # The department list names departments, not their internal codes.
    assert f'<option value="{world["departments"]["MS03"].id}" selected>海淀市场监管所</option>' in row
    assert "MS03" not in row
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)  # its history says the same
    assert "海淀商家（版本 1）" in page and "(v1)" not in page


def test_one_click_forwards_with_instructions_the_department_reads_first(world, rules, create_ticket,
                                                                           client, login, make_user):
    ticket = waiting(create_ticket, respondent_name="某电器行", respondent_division="110108", facts="空调不制冷")
    login(world["operator"])
    haidian = world["departments"]["MS03"]
    response = client.post(f"/routing/tickets/{ticket.number}/forward",
                           data={"department": haidian.id, "instructions": f"  {INSTRUCTIONS}  ",
                                 "next": "/routing/triage"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/routing/triage")
    db.session.refresh(ticket)
    assert (ticket.status, ticket.department_id, ticket.forward_instructions) == (
        TicketStatus.FORWARDED, haidian.id, INSTRUCTIONS)
    assert ticket.routed_by_rule_id == rules["haidian"].id  # the rule that named it gets the credit
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                        TicketEvent.type == "forwarded"))
    assert event.data["instructions"] == INSTRUCTIONS

    staff = make_user(Role.DEPARTMENT, department=haidian)
    client.post("/logout")
    login(staff)
    desk = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    main = desk[desk.index('class="col-main"'):]
    assert main.index('id="desk-instructions"') < main.index('id="desk-details"')  # read first
    assert INSTRUCTIONS in main
    assert INSTRUCTIONS in client.get("/desk").get_data(as_text=True)


def test_instructions_too_long_refuse_the_forward(world, rules, create_ticket, client, login):
    ticket = waiting(create_ticket)
    login(world["operator"])
    response = client.post(f"/routing/tickets/{ticket.number}/forward",
                           data={"department": world["departments"]["MS01"].id, "instructions": "字" * 2001})
    assert response.status_code == 422
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ACCEPTED and ticket.forward_instructions is None


def test_a_reforward_replaces_the_instructions(world, rules, create_ticket):
    ticket = waiting(create_ticket)
    services.forward(ticket, world["departments"]["MS01"], world["operator"], instructions="第一次")
    ticket.status = TicketStatus.ACCEPTED  # returned by the department
    services.forward(ticket, world["departments"]["MS02"], world["operator"])
    assert ticket.forward_instructions is None


# --- the API twin ---------------------------------------------------------------------------


@pytest.fixture
def api_as(client, spec, make_user):
    def make(role, department=None):
        plain, _token = accounts.create_token(make_user(role, department=department), "test")
        db.session.commit()
        return CheckedClient(client, spec, plain)

    return make


@pytest.fixture
def spec(app):
    from openapi_core import OpenAPI

    from hotline.api.openapi import document

    return OpenAPI.from_dict(document(app))


def test_the_api_forwards_with_instructions_as_the_document_says(world, rules, create_ticket, api_as):
    ticket = waiting(create_ticket, respondent_division="110108")
    api = api_as(Role.OPERATOR)
    response = api.post(f"/api/v1/tickets/{ticket.number}/forward",
                        json={"department": "MS03", "instructions": INSTRUCTIONS})
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "forwarded" and body["department"] == {"code": "MS03", "name": "海淀市场监管所"}
    assert body["forward_instructions"] == INSTRUCTIONS and body["routed_by_rule"] == "海淀商家"
    db.session.refresh(ticket)
    assert ticket.forward_instructions == INSTRUCTIONS

    again = api.post(f"/api/v1/tickets/{ticket.number}/forward", json={"department": "MS01"})
    assert again.status_code == 409  # forwarded already
    db.session.refresh(ticket)
    assert ticket.department.code == "MS03"


def test_the_api_refuses_bad_forwards_clearly(world, rules, create_ticket, api_as):
    ticket = waiting(create_ticket)
    api = api_as(Role.OPERATOR)
    url = f"/api/v1/tickets/{ticket.number}/forward"
    assert api.post(url, data="not json", content_type="application/json").status_code == 400
    missing = api.post(url, json={})
    assert missing.status_code == 422 and set(missing.json["fields"]) == {"department"}
    unknown = api.post(url, json={"department": "XX99", "instructions": 5, "colour": "red"})
    assert unknown.status_code == 422 and set(unknown.json["fields"]) == {"department", "instructions", "colour"}
    too_long = api.post(url, json={"department": "MS01", "instructions": "字" * 2001})
    assert too_long.status_code == 422
    assert api.post("/api/v1/tickets/20990101-00001/forward", json={"department": "MS01"}).status_code == 404
    department_user = api_as(Role.DEPARTMENT, department=world["departments"]["MS01"])
    assert department_user.post(url, json={"department": "MS01"}).status_code == 403
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ACCEPTED


def test_the_api_refers_an_out_of_scope_case(world, create_ticket, api_as):
    from routing import referrals

    referrals.seed_referral_directory()
    ticket = create_ticket(facts="话费多扣")
    api = api_as(Role.SUPERVISOR)
    response = api.post(f"/api/v1/tickets/{ticket.number}/refer", json={"referral": "12300", "note": "先找运营商"})
    assert response.status_code == 200
    assert response.json["status"] == "referred" and response.json["referral"]["hotline"] == "12300"
    db.session.refresh(ticket)
    assert ticket.assigned_to_id is None  # an integration's token owns no case (the form's referral claims)
    assert api.post(f"/api/v1/tickets/{ticket.number}/refer", json={"referral": "12300"}).status_code == 409
    other = create_ticket()
    assert api.post(f"/api/v1/tickets/{other.number}/refer", json={"referral": "nope"}).status_code == 422


def test_a_case_a_department_sent_back_says_so_and_is_not_preselected_for_it_again(
        world, rules, create_ticket, client, login, make_user):
    """Walked as a supervisor: after 退单 the row gave no sign and preselected the office that had
    just returned it, so one click sent it straight back."""
    from routing import desk

    haidian = world["departments"]["MS03"]
    ticket = waiting(create_ticket, respondent_name="某电器行", respondent_division="110108",
                     respondent_region="北京市海淀区")
    services.forward(ticket, haidian, world["operator"])
    desk.return_to_triage(ticket, "wrong_department", "经营者实际在朝阳区", make_user(Role.DEPARTMENT, department=haidian))
    world["operator"].locale = "en"
    db.session.commit()
    login(world["operator"])
    row = row_of(client.get("/routing/triage").get_data(as_text=True), ticket.number)
    assert 'data-testid="returned"' in row
    assert "Sent back by 海淀市场监管所: Wrong department" in row and "经营者实际在朝阳区" in row
    assert "海淀市场监管所" in row.split('data-testid="suggested"')[1]  # still shown, as the rules say
    assert " selected>" not in row  # but the operator chooses

    # Forwarded elsewhere: it leaves the list.
    services.forward(ticket, world["departments"]["MS01"], world["operator"])
    db.session.commit()
    assert ticket.number not in client.get("/routing/triage").get_data(as_text=True)
