"""采用建议 (apply the suggestion) in the browser, with and without JavaScript (issue 15, leftovers).
With it, the button (or Alt+A) fills kind, category and problem type in place: no reload. Without
it, the same button posts the form, which comes back with them chosen and everything typed kept;
nothing is saved until Save.

Screenshots (Chinese and English, 1440 and 1280 px, with and without JavaScript) go to
APPLY_SUGGESTION_SCREENSHOTS (default: <tmp>/shots-apply-suggestion) to look at by eye."""

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Ticket, User
from tests.e2e.test_intake_form import open_call_case

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("APPLY_SUGGESTION_SCREENSHOTS") or Path(tempfile.gettempdir()) / "shots-apply-suggestion")
FACTS = "京东买的冰箱不制冷，商家不给退货"


@pytest.fixture
def world(live_server):
    from intake import classifier

    classifier.get()  # trained before the first suggestion, as a deployment warms it up
    live_server.create_user("operator", "applyop")
    return live_server


def speaking(world, locale):
    with world.app.app_context():  # the operator's own language, as set on their profile
        db.session.scalar(select(User).where(User.username == "applyop")).locale = locale
        db.session.commit()


def shot(page, name, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def saved(world, number):
    with world.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return ticket.kind.value, ticket.category_id, ticket.complainant_name


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_with_javascript_the_button_fills_the_form_in_place(world, browser_page, browser_errors, sign_in, locale):
    page = browser_page
    number = open_call_case(world, "+8613912347001", "applyop")
    speaking(world, locale)
    sign_in(page, "applyop")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{world.url}/intake/tickets/{number}")
    page.locator("#kind").press("ArrowDown")  # any kind: its sections, the facts among them, appear
    page.locator("#complainant_name").fill("李四")
    page.locator("#facts").press_sequentially(FACTS, delay=15)
    apply = page.locator("#live-suggestion .suggestion-apply")
    expect(apply).to_be_visible(timeout=20_000)
    page.evaluate("window.notReloaded = true")
    apply.click()
    expect(page.locator("#kind")).to_have_value("complaint")
    expect(page.locator("#category")).not_to_have_value("")
    expect(page.locator("#problem_type")).not_to_have_value("")
    assert page.evaluate("window.notReloaded === true")  # filled in place, the page never left
    expect(page.locator("#complainant_name")).to_have_value("李四")
    expect(page.locator("#facts")).to_have_value(FACTS)
    for width in (1440, 1280):
        shot(page, f"js-applied-{locale}", width)
    assert saved(world, number)[0] == "unknown"  # nothing saved by applying
    assert browser_errors == []


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_without_javascript_the_button_posts_the_form_back_with_the_suggestion(world, _chromium, sign_in, locale):
    context = _chromium.new_context(java_script_enabled=False, viewport={"width": 1440, "height": 900},
                                    locale="zh-CN")
    try:
        page = context.new_page()
        number = open_call_case(world, "+8613912347002", "applyop")
        speaking(world, locale)
        sign_in(page, "applyop")
        page.goto(f"{world.url}/intake/tickets/{number}")
        page.locator("#complainant_name").fill("李四")
        page.locator("#respondent_name").fill("某某电器商城")
        page.locator("#facts").fill(FACTS)
        page.locator("#demand").fill("退货退款")
        with page.expect_navigation():  # nothing follows the typing: one post shows the suggestion
            page.locator("#find-articles").click()
        apply = page.locator("#live-suggestion .suggestion-apply")
        expect(apply).to_be_visible()
        for width in (1440, 1280):
            shot(page, f"nojs-suggested-{locale}", width)
        with page.expect_navigation():
            apply.click()
        expect(page.locator("#kind")).to_have_value("complaint")
        expect(page.locator("#category")).not_to_have_value("")
        expect(page.locator("#problem_type")).not_to_have_value("")
        for field, value in (("#complainant_name", "李四"), ("#respondent_name", "某某电器商城"),
                             ("#facts", FACTS), ("#demand", "退货退款")):
            expect(page.locator(field)).to_have_value(value)
        for width in (1440, 1280):
            shot(page, f"nojs-applied-{locale}", width)
        assert saved(world, number) == ("unknown", None, None)  # applying saved nothing
        with page.expect_navigation():
            page.locator("#save-case").click()
        kind, category_id, name = saved(world, number)
        assert kind == "complaint" and category_id is not None and name == "李四"
    finally:
        context.close()
