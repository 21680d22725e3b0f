"""Call control in the console (issue 15.8): an operator away cannot answer, a waiting call shows
in the top bar and the title of any page, the operator hangs up from the case's page and closes
after-call work with a wrap-up reason."""

import os
import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline import calls, tickets
from hotline.extensions import db
from hotline.models import Availability, Channel, Contact, Direction, User
from hotline.timeutil import now
from tests.e2e.conftest import POLL_TIMEOUT_MS

pytestmark = pytest.mark.e2e


def queue_a_call(live_server, phone="+8613811112222"):
    with live_server.app.app_context():
        caller = tickets.find_or_create_caller(phone)
        contact = Contact(sid="CA" + secrets.token_hex(16), channel=Channel.VOICE, direction=Direction.INBOUND,
                          caller=caller, from_number=caller.phone, queued_at=now(),
                          ticket=tickets.open_ticket(Channel.VOICE, caller=caller))
        db.session.add(contact)
        db.session.commit()
        return contact.id


def test_away_badge_answer_hang_up_and_wrap_up(live_server, browser_page, browser_errors, sign_in):
    # The live server runs on the real clock: open round the clock so calls are taken.
    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", "op1", phone="+8613911112222")
    page = browser_page
    sign_in(page, "op1")
    page.goto(f"{live_server.url}/my")
    expect(page.locator('[data-testid="waiting-badge"]')).to_be_hidden()

    # b. a call joins the queue: the badge and the title say so on this page, without a reload.
    contact_id = queue_a_call(live_server)
    expect(page.locator('[data-testid="waiting-badge-count"]')).to_have_text("1", timeout=POLL_TIMEOUT_MS)
    expect(page.locator('[data-testid="waiting-badge"]')).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(1\) "))

    # a. away (where a new account starts): the answer buttons are disabled, with the reason.
    page.click('[data-testid="waiting-badge"]')
    expect(page.locator('[data-testid="answer-call"]')).to_be_disabled()
    expect(page.locator('[data-testid="away-note"]')).to_be_visible()
    with page.expect_navigation():
        page.select_option('[data-testid="availability"]', "available")
    expect(page.locator('[data-testid="answer-call"]')).to_be_enabled()
    with page.expect_navigation():
        page.locator('[data-testid="answer-call"]').click()

    # d. the call is live on the case's page: hang up from there.
    expect(page).to_have_url(re.compile(r"/(intake/)?tickets/\d{8}-\d{5}$"))
    case_url = page.url
    bar = page.locator('[data-testid="call-bar"]')
    expect(bar).to_have_attribute("data-state", f"live:{contact_id}")
    expect(page.locator('[data-testid="waiting-badge"]')).to_be_hidden(timeout=POLL_TIMEOUT_MS)
    expect(page).not_to_have_title(re.compile(r"^\(\d+\) "))
    with page.expect_navigation():
        page.click('[data-testid="hang-up"]')
    expect(page).to_have_url(case_url)

    # c. after-call work: a running timer, a reason, and available again.
    expect(bar).to_have_attribute("data-state", f"after_call:{contact_id}")
    timer = page.locator('[data-testid="acw-timer"]')
    expect(timer).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=5_000)  # counts on in the browser
    expect(page.locator('[data-testid="availability"]')).to_have_value("busy")
    page.select_option('[data-testid="wrapup-reason"]', "invalid")
    with page.expect_navigation():
        page.click('[data-testid="wrapup-done"]')
    expect(page).to_have_url(case_url)
    expect(bar).to_be_hidden()
    expect(page.locator('[data-testid="availability"]')).to_have_value("available")

    with live_server.app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.ended_at is not None and contact.wrapup_reason == "invalid"
        assert contact.wrapup_ended_at is not None
        op = db.session.scalar(select(User).where(User.username == "op1"))
        assert op.availability == Availability.AVAILABLE
    assert browser_errors == []


def test_the_call_bar_follows_a_call_that_ends_by_itself(live_server, browser_page, browser_errors, sign_in):
    """The caller hangs up: the page the operator is on turns to after-call work by the poll."""
    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", "op1", phone="+8613911112222")
    page = browser_page
    sign_in(page, "op1")
    contact_id = queue_a_call(live_server)
    with live_server.app.app_context():
        contact = db.session.get(Contact, contact_id)
        op = db.session.scalar(select(User).where(User.username == "op1"))
        contact.answered_at, contact.answered_by = now(), op
        db.session.commit()
    # The connected call pops its case on the page the operator is on.
    expect(page).to_have_url(re.compile(r"/(intake/)?tickets/\d{8}-\d{5}$"), timeout=POLL_TIMEOUT_MS)
    path = "/" + page.url.split("/", 3)[3]
    bar = page.locator('[data-testid="call-bar"]')
    expect(bar).to_have_attribute("data-state", f"live:{contact_id}")
    with live_server.app.app_context():
        db.session.get(Contact, contact_id).ended_at = now()
        db.session.commit()
    expect(page.locator('[data-testid="call-bar"]')).to_have_attribute(
        "data-state", f"after_call:{contact_id}", timeout=POLL_TIMEOUT_MS)
    expect(page.locator('[data-testid="acw-timer"]')).to_be_visible()
    # Its form returns to this page, not to the bar's own URL.
    expect(page.locator('#call-bar input[name="next"]')).to_have_value(path)
    assert browser_errors == []


def test_the_simulated_caller_hears_the_operator_hang_up(live_server, browser_page, browser_errors, sign_in, _chromium):
    from tests.e2e.conftest import TIMEOUT_MS, sign_in_through_form

    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", "op1", phone="+8613911112222")
    live_server.create_user("admin", "admin1")
    operator = browser_page
    sign_in(operator, "op1")
    with operator.expect_navigation():
        operator.select_option('[data-testid="availability"]', "available")
    context = _chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    sim = context.new_page()
    simulator_errors = []
    sim.on("pageerror", lambda exc: simulator_errors.append(str(exc)))
    try:
        sign_in_through_form(sim, live_server.url, "admin1")
        sim.goto(f"{live_server.url}/dev/simulator")
        sim.fill("#sim-from", "+8613800138000")
        sim.click('[data-testid="sim-dial"]')
        sim.click('[data-testid="sim-key-1"]')
        waiting = operator.locator('[data-testid="waiting-call"]')
        expect(waiting).to_be_visible(timeout=POLL_TIMEOUT_MS)
        with operator.expect_navigation():
            waiting.locator('[data-testid="answer-call"]').click()
        expect(sim.locator("#sim-hangup")).to_be_enabled()
        with operator.expect_navigation():
            operator.click('[data-testid="hang-up"]')
        expect(operator.locator('[data-testid="call-bar"]')).to_have_attribute("data-state", re.compile("^after_call:"))
        expect(sim.locator('[data-testid="sim-dial"]')).to_be_enabled(timeout=POLL_TIMEOUT_MS)  # the line went dead
        expect(sim.locator("#sim-hangup")).to_be_disabled()
    finally:
        context.close()
    assert browser_errors == [] and simulator_errors == []


def test_stepping_through_the_availability_list_by_keyboard_posts_only_the_choice(
        live_server, browser_page, browser_errors, sign_in):
    """Found walking the console by keyboard: ↑ from 离开 posted 忙碌 at once and reloaded the page,
    so 空闲 took a second trip. Arrow keys now only move; Enter (or leaving the list) posts."""
    live_server.create_user("operator", "op-arrows")
    page = browser_page
    sign_in(page, "op-arrows")
    page.goto(f"{live_server.url}/my")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "availability" in r.url else None)
    chooser = page.locator("#availability")
    expect(chooser).to_have_value("away")
    chooser.focus()
    page.keyboard.press("Home")
    page.wait_for_timeout(500)
    assert posts == [] and page.url.endswith("/my")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert len(posts) == 1
    expect(page.locator("#availability")).to_have_value("available")
    with live_server.app.app_context():
        assert db.session.scalar(select(User).where(User.username == "op-arrows")).availability \
            == Availability.AVAILABLE


def test_alt_n_answers_the_waiting_call_from_any_console_page(live_server, browser_page, browser_errors, sign_in):
    """Walked by keyboard: after wrap-up the operator stays on the case, where Alt+N did nothing;
    the top bar's badge said a call waited. Alt+N now answers from any page, unless away."""
    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", "op-anywhere", phone="+8613911112222")
    page = browser_page
    sign_in(page, "op-anywhere")
    page.goto(f"{live_server.url}/my")
    contact_id = queue_a_call(live_server)
    expect(page.locator('[data-testid="waiting-badge-count"]')).to_have_text("1", timeout=POLL_TIMEOUT_MS)
    page.keyboard.press("Alt+N")  # away: nothing happens
    page.wait_for_timeout(500)
    assert page.url.endswith("/my")
    with page.expect_navigation():
        page.select_option('[data-testid="availability"]', "available")
    expect(page.locator('[data-testid="waiting-badge-count"]')).to_have_text("1", timeout=POLL_TIMEOUT_MS)
    with page.expect_navigation():
        page.keyboard.press("Alt+N")
    expect(page).to_have_url(re.compile(r"/(intake/)?tickets/\d{8}-\d{5}$"))
    expect(page.locator('[data-testid="call-bar"]')).to_have_attribute("data-state", f"live:{contact_id}")
    assert browser_errors == []


def _answered_on_the_form(live_server, page, sign_in, username):
    """A new operator, available, answers a queued call with Alt+N: the id of the call, whose
    intake form is now the page."""
    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", username, phone="+8613911112222")
    sign_in(page, username)
    page.goto(f"{live_server.url}/my")
    with page.expect_navigation():
        page.select_option('[data-testid="availability"]', "available")
    contact_id = queue_a_call(live_server)
    expect(page.locator('[data-testid="waiting-badge-count"]')).to_have_text("1", timeout=POLL_TIMEOUT_MS)
    with page.expect_navigation():
        page.keyboard.press("Alt+N")
    expect(page).to_have_url(re.compile(r"/intake/tickets/\d{8}-\d{5}$"))  # answering pops the form
    return contact_id


def test_alt_h_hangs_up_from_the_intake_form_and_what_was_typed_stays(live_server, browser_page, browser_errors,
                                                                       sign_in):
    """Issue 15.1 asks for a key that ends the call, listed on the page: Alt+H, on the call bar's
    button and in the form's list of keys. The caller said goodbye while the operator typed."""
    page = browser_page
    contact_id = _answered_on_the_form(live_server, page, sign_in, "op-hangup")
    expect(page.locator("#form-keys")).to_contain_text("Alt+H 挂断电话")
    expect(page.locator('[data-testid="hang-up"]')).to_have_attribute("title", "Alt+H")
    expect(page.locator('[data-testid="hang-up"] kbd')).to_have_text("Alt+H")
    page.locator("#facts").fill("冰箱不制冷，商家不给退")
    page.locator("#facts").focus()

    page.keyboard.press("Alt+H")

    bar = page.locator('[data-testid="call-bar"]')
    expect(bar).to_have_attribute("data-state", f"after_call:{contact_id}", timeout=POLL_TIMEOUT_MS)
    expect(page.locator("#facts")).to_have_value("冰箱不制冷，商家不给退")
    with live_server.app.app_context():
        assert db.session.get(Contact, contact_id).ended_at is not None
    page.keyboard.press("Alt+H")  # no live call any more: nothing happens, nothing breaks
    expect(bar).to_have_attribute("data-state", f"after_call:{contact_id}")
    assert browser_errors == []


def test_hold_and_resume_from_the_call_bar(live_server, browser_page, browser_errors, sign_in):
    """Issue 15.8's hold: the operator puts the caller on hold from the call bar, sees it held
    with its own timer, and takes the call back, all without leaving the page."""
    page = browser_page
    contact_id = _answered_on_the_form(live_server, page, sign_in, "op-hold")
    form_url = page.url
    with page.expect_navigation():
        page.click('[data-testid="hold"]')
    expect(page).to_have_url(form_url)
    expect(page.locator('[data-testid="call-bar-label"]')).to_have_text("保持中")
    expect(page.locator('[data-testid="hold-timer"]')).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=5_000)
    with live_server.app.app_context():
        assert db.session.get(Contact, contact_id).held_at is not None
    shots = os.environ.get("JOURNEY_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/call-on-hold.png")
    with page.expect_navigation():
        page.click('[data-testid="resume"]')
    expect(page.locator('[data-testid="call-bar-label"]')).to_have_text("通话中")
    expect(page.locator('[data-testid="hold"]')).to_be_visible()
    with live_server.app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.held_at is None and contact.hold_seconds >= 1 and contact.ended_at is None

    # Held again and left past the limit: the hold TwiML puts the call back by itself (no page is
    # loaded); the bar follows at its next poll.
    with page.expect_navigation():
        page.click('[data-testid="hold"]')
    expect(page.locator('[data-testid="call-bar-label"]')).to_have_text("保持中")
    with live_server.app.app_context():
        calls.resume(db.session.get(Contact, contact_id))
        db.session.commit()
    expect(page.locator('[data-testid="call-bar-label"]')).to_have_text("通话中", timeout=POLL_TIMEOUT_MS)
    expect(page.locator('[data-testid="hold"]')).to_be_visible()
    assert page.url == form_url
    assert browser_errors == []
