"""A complaint from the call to the result notice: the operator files and accepts it, triage
forwards it, the department takes it up and records "mediated, refund 200"."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.e2e


def open_call_case(live_server, phone):
    """The case a ringing call opens (the telephony webhook's work, done here by its service)."""
    from hotline import tickets
    from hotline.extensions import db
    from hotline.models import Channel

    with live_server.app.app_context():
        ticket = tickets.open_ticket(Channel.VOICE, caller=tickets.find_or_create_caller(phone))
        db.session.commit()
        return ticket.number


def add_department_with_user(live_server, code, name, username):
    """A department and one of its staff accounts; returns the department's id."""
    from hotline import accounts
    from hotline.extensions import db
    from hotline.models import Department, Role
    from tests.conftest import PASSWORD

    with live_server.app.app_context():
        department = Department(code=code, name=name)
        db.session.add(department)
        accounts.create_user(username, PASSWORD, Role.DEPARTMENT, department=department)
        db.session.commit()
        return department.id


def result_notices(live_server, number):
    from hotline.extensions import db
    from hotline.models import OutboxMessage, Ticket

    with live_server.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return [
            (m.to, m.body, m.legal)
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
            if m.purpose == "result_notice"
        ]


def test_a_complaint_goes_from_intake_to_a_mediated_result(live_server, browser_page, browser_errors, sign_in):
    page = browser_page
    department_id = add_department_with_user(live_server, "D01", "东城区市场监管所", "dept1")
    live_server.create_user("operator", "op1")
    number = open_call_case(live_server, "+8613912345678")

    # The operator files the complaint through the intake form and accepts it.
    sign_in(page, "op1")
    page.goto(f"{live_server.url}/intake/tickets/{number}")
    page.select_option("#kind", "complaint")
    page.fill("#complainant_phone", "13912345678")
    page.fill("#complainant_name", "王小明")
    page.fill("#complainant_address", "北京市东城区东四北大街1号")
    page.fill("#facts", "2025年11月在某某电器商行买的冰箱，用了三天就不制冷，商家拒绝退货。")
    page.fill("#demand", "退货退款")
    page.fill("#respondent_name", "某某电器商行")
    page.fill("#respondent_address", "北京市东城区王府井大街100号")
    with page.expect_navigation():
        page.click("#save-case")
    page.goto(f"{live_server.url}/tickets/{number}")
    with page.expect_navigation():
        page.click("#accept-case")
    expect(page.locator("#ticket-status")).to_have_class(re.compile(r"\bstatus-accepted\b"))

    # Triage forwards it to the department (one click: choose the department, forward).
    page.goto(f"{live_server.url}/routing/triage")
    row = page.locator(f'[data-testid="triage-row"][data-number="{number}"]')
    row.locator('select[name="department"]').select_option(str(department_id))
    with page.expect_navigation():
        row.locator('button[type="submit"]').click()
    with page.expect_navigation():
        page.click("#sign-out")

    # The department takes it up from its desk and records the result.
    sign_in(page, "dept1")
    page.goto(f"{live_server.url}/desk")
    expect(page.locator('[data-testid="count-new"]')).to_have_text("1")
    page.screenshot(path="/tmp/desk_queue.png", full_page=True)
    with page.expect_navigation():
        page.locator('[data-testid="desk-link"]', has_text=number).click()
    expect(page.locator("#desk-facts")).to_contain_text("不制冷")
    expect(page.locator("#complainant-phone")).to_have_text("139****5678")
    with page.expect_navigation():
        page.click("#take-up")
    expect(page.locator("#ticket-status")).to_have_class(re.compile(r"\bstatus-in_progress\b"))
    page.screenshot(path="/tmp/desk_case.png", full_page=True)
    page.select_option("#mediated-outcome", "refund")
    page.fill("#mediated-amount", "200")
    with page.expect_navigation():
        page.click("#result-mediated-submit")
    expect(page).to_have_url(re.compile(f"/desk/tickets/{number}$"))
    expect(page.locator("#desk-result")).to_contain_text("200.00")

    ((to, body, legal),) = result_notices(live_server, number)
    assert to == "+8613912345678" and legal
    assert number in body and "退款 200.00 元" in body
    assert browser_errors == []
