"""In a browser, CSRF and the Content-Security-Policy on: the one-time code sent and read back
from inside the intake form (whose own form must stay whole), then the case accepted."""

import os
import re
import threading

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, IdentityLevel, OutboxMessage, Role, Ticket, TicketKind, TicketStatus
from tests.conftest import require
from tests.e2e import conftest as e2e

live_server = e2e.live_server  # borrowed by name from tests/e2e/conftest.py

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("DECISION_SCREENSHOTS")  # a folder, to look at the pages by eye


def in_browser(work, timeout=120):
    """Run work(page, errors) in a Chromium of its own on a thread of its own: tests/e2e's session
    browser holds Playwright's sync loop on the main thread, where a second one cannot start."""
    require("chromium", os.path.exists(e2e.CHROMIUM), f"browser tests drive {e2e.CHROMIUM} through Playwright")
    from playwright.sync_api import sync_playwright

    outcome = {}

    def run():
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS,
                                                     timeout=30_000)
                try:
                    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
                    context.set_default_timeout(e2e.TIMEOUT_MS)
                    page, errors = context.new_page(), []
                    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                    page.on("pageerror", lambda exc: errors.append(str(exc)))
                    work(page, errors)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001  (handed to the test's thread)
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="otp-browser", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"the browser did not finish within {timeout} s")
    if "error" in outcome:
        raise outcome["error"]


def _ticket(app):
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


def test_operator_verifies_the_phone_from_the_intake_form_then_accepts(live_server):
    number = _ticket(live_server.app)
    username = live_server.create_user(Role.OPERATOR, "op1")
    in_browser(lambda page, errors: _verify_then_accept(live_server, page, errors, number, username))


def _verify_then_accept(live_server, page, errors, number, username):
    e2e.sign_in_through_form(page, live_server.url, username)
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
    assert errors == []
