"""Keyboard shortcuts are JavaScript's: with it the intake form lists them and its buttons name
theirs in a tooltip; without it neither is shown (they would not work). And the case page's
refer button keeps the panels' gap to the panel below it."""

import pytest
from playwright.sync_api import expect

from hotline.extensions import db
from hotline.models import Availability, User
from tests.e2e.conftest import NAVIGATION_TIMEOUT_MS, TIMEOUT_MS, sign_in_through_form
from tests.e2e.test_intake_form import open_call_case

pytestmark = pytest.mark.e2e


@pytest.fixture
def page_without_js(_chromium):
    context = _chromium.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN",
                                    java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_shortcut_hints_show_with_javascript_only(live_server, browser_page, page_without_js, browser_errors):
    live_server.create_user("operator", "op-keys")
    with live_server.app.app_context():  # "Answer next" and its key show to an available operator
        db.session.query(User).filter_by(username="op-keys").one().availability = Availability.AVAILABLE
        db.session.commit()
    number = open_call_case(live_server, "+8613912340001", "op-keys")
    form = f"{live_server.url}/intake/tickets/{number}"

    page = sign_in_through_form(browser_page, live_server.url, "op-keys")
    page.goto(form)
    expect(page.locator("#form-keys")).to_be_visible()
    expect(page.locator("#save-case")).to_have_attribute("title", "Ctrl+Enter 或 Alt+S")
    expect(page.locator("#refer-case")).to_have_attribute("title", "Alt+R")
    page.goto(f"{live_server.url}/")
    expect(page.locator('[data-testid="answer-next-key"]')).to_be_visible()
    expect(page.locator('[data-testid="answer-next"]')).to_have_attribute("title", "Alt+N")

    bare = sign_in_through_form(page_without_js, live_server.url, "op-keys")
    bare.goto(form)
    expect(bare.locator("#save-case")).to_be_visible()
    expect(bare.locator("#form-keys")).to_be_hidden()
    assert bare.locator("#save-case").get_attribute("title") is None
    assert bare.locator("#refer-case").get_attribute("title") is None
    bare.goto(f"{live_server.url}/")
    expect(bare.locator('[data-testid="answer-next-key"]')).to_be_hidden()
    assert bare.locator('[data-testid="answer-next"]').get_attribute("title") is None
    assert browser_errors == []


def test_the_refer_button_is_not_flush_against_the_panel_below(live_server, browser_page, sign_in):
    live_server.create_user("operator", "op-gap")
    number = open_call_case(live_server, "+8613912340002", "op-gap")
    sign_in(browser_page, "op-gap")
    browser_page.goto(f"{live_server.url}/tickets/{number}")
    button = browser_page.locator("#refer-link").bounding_box()
    below = browser_page.locator("#evidence").bounding_box()  # the panel after it
    assert below["y"] - (button["y"] + button["height"]) >= 12  # the gap between two panels (1rem)
