"""Hanging up from the intake form loses nothing typed (issue 15.8): the call bar's hang-up posts and
the page comes back, so the words typed in the last second, before the debounced draft went out,
must reach the draft first."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import POLL_TIMEOUT_MS
from tests.e2e.test_call_control import queue_a_call

pytestmark = pytest.mark.e2e

WORDS = "来电人反映在京东买的冰箱不制冷，商家拒绝退货"


def test_words_typed_just_before_hanging_up_are_still_there(live_server, browser_page, browser_errors, sign_in):
    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    live_server.create_user("operator", "op1", phone="+8613911112222")
    page = browser_page
    sign_in(page, "op1")
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.select_option('[data-testid="availability"]', "available")
    contact_id = queue_a_call(live_server)
    answer = page.locator('[data-testid="answer-call"]')
    expect(answer).to_be_enabled(timeout=POLL_TIMEOUT_MS)
    with page.expect_navigation():
        answer.click()
    expect(page).to_have_url(re.compile(r"/intake/tickets/\d{8}-\d{5}$"))
    expect(page.locator('[data-testid="call-bar"]')).to_have_attribute("data-state", f"live:{contact_id}")
    intake_url = page.url

    # Typed and hung up at once: well inside the draft's debounce, so only the flush can save it.
    page.locator("#facts").focus()
    page.keyboard.type(WORDS)
    with page.expect_navigation():
        page.click('[data-testid="hang-up"]')
    expect(page).to_have_url(intake_url)
    expect(page.locator('[data-testid="call-bar"]')).to_have_attribute("data-state", f"after_call:{contact_id}")
    expect(page.locator("#facts")).to_have_value(WORDS)
    assert browser_errors == []
