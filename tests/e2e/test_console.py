"""An operator finds a case, reads its timeline and switches the console to English."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import POLL_TIMEOUT_MS

pytestmark = pytest.mark.e2e


def test_operator_searches_opens_a_case_and_switches_to_english(live_server, browser_page, browser_errors, sign_in):
    live_server.seed_demo()
    page = browser_page
    sign_in(page, "operator1", "oper1-demo-pass")
    expect(page.locator("#nav-queue")).to_have_text("来电排队")
    expect(page.locator("#queue-panel")).to_be_visible()

    page.click("#nav-search")
    page.fill("#search-q", "不制冷")
    page.click("#search-submit")
    links = page.locator('[data-testid="ticket-link"]')
    expect(links.first).to_be_visible()
    number = links.first.inner_text()
    links.first.click()

    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator("#ticket-number")).to_have_text(number)
    expect(page.locator("#ticket-facts")).to_contain_text("不制冷")
    expect(page.locator("#caller-phone")).to_have_text(re.compile(r"^\d{3}\*+\d{4}$"))
    assert page.locator('[data-testid="timeline-entry"]').count() >= 2
    expect(page.locator("#timeline h2")).to_have_text("办理记录")

    page.click("#lang-en")
    expect(page.locator("#timeline h2")).to_have_text("Timeline")
    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator("#nav-my")).to_have_text("My tickets")
    expect(page.locator("#ticket-details")).to_contain_text("Respondent")
    page.screenshot(path="/tmp/console.png", full_page=True)
    assert browser_errors == []


def test_queue_refreshes_without_reload(live_server, browser_page, browser_errors, sign_in):
    from hotline import tickets
    from hotline.extensions import db
    from hotline.models import Channel, Contact, Direction
    from hotline.timeutil import now

    live_server.create_user("operator", "op1")
    page = browser_page
    sign_in(page, "op1")
    expect(page.locator('[data-testid="waiting-count"]')).to_have_text("0")
    page.evaluate("window.__stillHere = true")

    with live_server.app.app_context():
        caller = tickets.find_or_create_caller("+8613811112222")
        db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller,
                               from_number=caller.phone, queued_at=now()))
        db.session.commit()

    expect(page.locator('[data-testid="waiting-call"]')).to_contain_text("138****2222", timeout=POLL_TIMEOUT_MS)
    assert page.evaluate("window.__stillHere") is True  # swapped in place, not reloaded

    with page.expect_navigation():
        page.select_option('[data-testid="availability"]', "available")  # submits itself
    expect(page.locator('[data-testid="availability"]')).to_have_value("available")
    assert browser_errors == []


def test_the_case_opens_when_a_call_connects_to_the_operator(live_server, browser_page, browser_errors, sign_in):
    from sqlalchemy import select

    from hotline import tickets
    from hotline.extensions import db
    from hotline.models import Channel, Contact, Direction, User
    from hotline.timeutil import now

    live_server.create_user("operator", "op1")
    page = browser_page
    sign_in(page, "op1")
    expect(page.locator("#queue-panel")).to_be_visible()

    with live_server.app.app_context():
        operator = db.session.scalar(select(User).where(User.username == "op1"))
        caller = tickets.find_or_create_caller("+8613811112222")
        ticket = tickets.open_ticket(Channel.VOICE, caller=caller)
        db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller, ticket=ticket,
                               from_number=caller.phone, queued_at=now(), answered_at=now(), answered_by=operator))
        db.session.commit()
        number = ticket.number

    # A new case: the call opens its intake form (issue 15.1).
    page.wait_for_url(re.compile(f"/intake/tickets/{number}$"), timeout=POLL_TIMEOUT_MS)
    expect(page.locator('#caller [data-testid="caller-phone"]')).to_have_text("138****2222")
    # Once per call: going back to the queue during the call does not drag the operator back.
    page.click("#nav-queue")
    page.wait_for_timeout(3_500)
    assert page.url.endswith("/")
    assert browser_errors == []


def test_a_wait_over_a_day_keeps_the_servers_format_as_it_counts(live_server, browser_page, browser_errors, sign_in):
    """The queue's waits tick in the browser; past a day they read "9 天 16 小时" as the server wrote
    them, not "232:01:59" a second later."""
    live_server.seed_demo()
    page = browser_page
    sign_in(page, "operator1", "oper1-demo-pass")
    waits = page.locator('[data-testid="sms-ticket"] td[data-timer-base]')
    expect(waits.first).to_be_visible()
    old = [i for i in range(waits.count()) if int(waits.nth(i).get_attribute("data-timer-base")) >= 86400]
    assert old, "the demo has an SMS case waiting over a day"
    page.wait_for_timeout(1500)  # the timers have ticked, the panel's first refresh (3 s) not yet come
    shown = [waits.nth(i).inner_text() for i in old]  # read once: expect() would wait for the refresh
    assert all(re.fullmatch(r"\d+ 天 \d+ 小时", text) for text in shown), shown
    assert browser_errors == []
