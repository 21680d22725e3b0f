"""In a browser, CSRF and the Content-Security-Policy on: an operator refers a case from the
referral page, a supervisor edits the directory."""

import os

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Role, Ticket, TicketKind, TicketStatus
from routing import referrals
from tests.e2e import conftest as e2e

# The browser fixtures live in tests/e2e/conftest.py; borrowed here by name.
_chromium, browser_errors, browser_page, live_server, sign_in = (
    e2e._chromium, e2e.browser_errors, e2e.browser_page, e2e.live_server, e2e.sign_in)

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("REFERRAL_SCREENSHOTS")  # a folder, to look at the pages by eye


def _case(app):
    with app.app_context():
        referrals.seed_referral_directory()
        caller = tickets.find_or_create_caller("+8613800138000")
        ticket = tickets.open_ticket(Channel.VOICE, caller=caller, kind=TicketKind.COMPLAINT, facts="保险理赔被拒")
        db.session.commit()
        return ticket.number


def test_operator_refers_the_suggested_entry_in_the_browser(live_server, browser_page, browser_errors, sign_in):
    number = _case(live_server.app)
    sign_in(browser_page, live_server.create_user(Role.OPERATOR, "op1"))
    page = browser_page

    page.goto(f"{live_server.url}/referrals/tickets/{number}?suggested=12378")
    first = page.locator('[data-testid="referral-entry"]').first
    assert first.get_attribute("data-key") == "12378"
    assert first.locator('input[type="radio"]').is_checked()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/refer.png", full_page=True)
    page.fill("#refer-note", "银保监业务")
    with page.expect_navigation():
        page.click("#refer-submit")

    assert page.url.endswith(f"/tickets/{number}")
    assert "status-referred" in page.locator("#ticket-status").get_attribute("class")
    with live_server.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.status == TicketStatus.REFERRED and ticket.referral.key == "12378"
    assert browser_errors == []


def test_supervisor_deactivates_an_entry_in_the_browser(live_server, browser_page, browser_errors, sign_in):
    _case(live_server.app)
    sign_in(browser_page, live_server.create_user(Role.SUPERVISOR, "sup1"))
    page = browser_page

    page.goto(f"{live_server.url}/referrals/directory")
    row = page.locator('[data-testid="directory-entry"][data-key="12388"]')
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/directory.png", full_page=True)
    with page.expect_navigation():
        row.locator("button").click()

    with live_server.app.app_context():
        assert "12388" not in {entry.key for entry in referrals.directory()}
    assert browser_errors == []
