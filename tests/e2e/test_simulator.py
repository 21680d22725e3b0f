"""A call placed in the dev simulator reaches an operator's queue, and answering it pops the case's intake form."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Contact, TicketKind
from tests.e2e.conftest import POLL_TIMEOUT_MS, TIMEOUT_MS, sign_in_through_form

pytestmark = pytest.mark.e2e

CALLER = "+8613800138000"


def test_a_simulated_call_is_answered_from_the_queue(live_server, browser_page, browser_errors, sign_in, _chromium):
    # The live server runs on the real clock: open round the clock so the call reaches the menu.
    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", "op1", phone="+8613911112222")
    live_server.create_user("admin", "admin1")
    operator = browser_page
    sign_in(operator, "op1")
    expect(operator.locator("#queue-panel")).to_be_visible()
    with operator.expect_navigation():  # new accounts start away, and away answers nothing
        operator.select_option('[data-testid="availability"]', "available")

    # Whoever plays the caller uses a separate browser (own cookies): an admin account (dev tools are theirs).
    context = _chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    simulator_errors = []
    sim = context.new_page()
    sim.on("console", lambda msg: simulator_errors.append(msg.text) if msg.type == "error" else None)
    sim.on("pageerror", lambda exc: simulator_errors.append(str(exc)))
    try:
        sign_in_through_form(sim, live_server.url, "admin1")
        sim.goto(f"{live_server.url}/dev/simulator")
        sim.fill("#sim-from", CALLER)
        sim.click('[data-testid="sim-dial"]')
        transcript = sim.locator('[data-testid="sim-transcript"]')
        expect(transcript).to_contain_text("投诉请按1")
        sim.click('[data-testid="sim-key-1"]')
        expect(transcript).to_contain_text("正在为您转接人工服务")

        waiting = operator.locator('[data-testid="waiting-call"]')
        expect(waiting).to_contain_text("138****8000", timeout=POLL_TIMEOUT_MS)
        with operator.expect_navigation():
            waiting.locator('[data-testid="answer-call"]').click()

        # Answering opens the intake form of the new case, the cursor in its first empty field
        # (issue 15.1): key 1 in the voice menu made it a complaint and the number is known, so
        # the complainant's name comes first.
        expect(operator).to_have_url(re.compile(r"/intake/tickets/\d{8}-\d{5}$"))
        number = operator.url.rsplit("/", 1)[-1]
        # (Asked of the page: its window is not the focused one, the Simulator's is.)
        assert operator.evaluate("document.activeElement && document.activeElement.id") == "complainant_name"
        expect(operator.locator("#kind")).to_have_value("complaint")
        expect(operator.locator('#caller [data-testid="caller-phone"]')).to_have_text("138****8000")
        expect(sim).to_have_url(re.compile(r"/dev/simulator$"))  # the caller's tab is never taken over
        expect(sim.locator("#sim-case")).to_contain_text(number, timeout=POLL_TIMEOUT_MS)

        sim.click("#sim-hangup")
        expect(sim.locator('[data-testid="sim-dial"]')).to_be_enabled()
    finally:
        context.close()

    with live_server.app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.from_number == CALLER))
        assert contact.answered_by.username == "op1"
        assert contact.ticket.number == number and contact.ticket.kind == TicketKind.COMPLAINT
        assert contact.ticket.assigned_to_id == contact.answered_by_id
        assert contact.ended_at is not None and contact.end_reason == "completed"
        assert contact.talk_seconds is not None and contact.abandoned_at is None
    assert browser_errors == [] and simulator_errors == []
