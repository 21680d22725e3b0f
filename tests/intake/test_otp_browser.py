"""In a browser, CSRF and the Content-Security-Policy on: the one-time code sent and read back
from inside the intake form (whose own form must stay whole), then the case accepted."""

import os
import re

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, IdentityLevel, OutboxMessage, Role, Ticket, TicketKind, TicketStatus
from tests.e2e import conftest as e2e

# The browser fixtures live in tests/e2e/conftest.py; borrowed here by name.
_chromium, browser_errors, browser_page, live_server, sign_in = (
    e2e._chromium, e2e.browser_errors, e2e.browser_page, e2e.live_server, e2e.sign_in)

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("DECISION_SCREENSHOTS")  # a folder, to look at the pages by eye


def _case(app):
    with app.app_context():
        caller = tickets.find_or_create_caller("+8613800138000")
        ticket = tickets.open_ticket(
            Channel.VOICE, caller=caller, kind=TicketKind.COMPLAINT, complainant_phone="+8613900139000",
            complainant_name="张三", complainant_address="北京市朝阳区某路1号", respondent_name="某某电器商行",
            respondent_address="北京市海淀区某街2号", facts="冰箱不制冷，商家拒绝退货。", demand="退货退款")
        db.session.commit()
        return ticket.number


def _sent_code(app):
    with app.app_context():
        body = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.purpose == "otp")).one()
        return re.search(r"验证码 (\d{6})", body).group(1)


def _case_now(app, number):
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return ticket.identity_level, ticket.status


def test_operator_verifies_the_phone_from_the_intake_form_then_accepts(
        live_server, browser_page, browser_errors, sign_in):
    number = _case(live_server.app)
    sign_in(browser_page, live_server.create_user(Role.OPERATOR, "op1"))
    page = browser_page

    page.goto(f"{live_server.url}/intake/tickets/{number}")
    # The intake form still owns its fields: the code controls belong to their own forms.
    owners = page.evaluate("""() => ({
        facts: document.querySelector('#intake-form [name=facts]')?.form?.id,
        send: document.querySelector('#otp-send').form?.id,
        forms: document.querySelectorAll('#intake-form form').length})""")
    assert owners == {"facts": "intake-form", "send": f"otp-send-form-{number}", "forms": 0}

    page.click("#otp-send")
    page.wait_for_selector("#otp-code")
    assert page.url.endswith(f"/intake/tickets/{number}")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/otp.png", full_page=True)
    page.fill("#otp-code", _sent_code(live_server.app))
    page.press("#otp-code", "Enter")  # Enter in the code box submits the code, not the intake form
    page.wait_for_selector('[data-testid="identity-verify"][data-level="otp"]')
    assert _case_now(live_server.app, number) == (IdentityLevel.OTP, TicketStatus.NEW)

    page.goto(f"{live_server.url}/tickets/{number}")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/decision.png", full_page=True)
    page.click("#accept-case")
    page.wait_for_selector("#decision-result")
    assert _case_now(live_server.app, number)[1] in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED)
    assert browser_errors == []
