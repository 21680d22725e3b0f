"""In Chromium: after an action that comes back to a page with a fragment (a routing rule moved:
/routing/rules#rule-<id>), the keyboard's cursor is on the element the fragment names, not at the
top of the page, and the fragment has left the address (a reload does not jump there again)."""

import pytest

from hotline.extensions import db
from hotline.models import Role
from routing import services

pytestmark = pytest.mark.e2e

ACTIVE = "() => { const el = document.activeElement; return el ? (el.id || el.tagName) : null; }"
INSIDE = "id => { const t = document.getElementById(id); return Boolean(t && t.contains(document.activeElement)); }"


def _two_rules(app):
    with app.app_context():
        first = services.create_rule({"name": "海淀商家", "division": "110108"}, None, "test")
        second = services.create_rule({"name": "快递", "keywords": "快递"}, None, "test")
        db.session.commit()
        return first.id, second.id


def test_moving_a_rule_leaves_the_cursor_on_its_row_and_no_fragment(live_server, browser_page, sign_in,
                                                                     browser_errors):
    _, second = _two_rules(live_server.app)
    live_server.create_user(Role.SUPERVISOR, "boss")
    page = sign_in(browser_page, "boss")
    page.goto(f"{live_server.url}/routing/rules")
    row = page.locator(f"#rule-{second}")
    row.locator("input[name=reason]").fill("快递投诉多，先匹配")
    with page.expect_navigation():
        row.locator("input[name=reason]").press("Enter")  # the form's first button: ↑
    assert page.locator(".flash.success").is_visible()
    assert page.locator('[data-testid="rule-row"]').first.get_attribute("id") == f"rule-{second}"
    assert page.evaluate(INSIDE, f"rule-{second}"), page.evaluate(ACTIVE)
    assert "#" not in page.url and page.url.endswith("/routing/rules")
    # The next Tab carries on in the row, not in the top bar.
    page.keyboard.press("Tab")
    assert page.evaluate(INSIDE, f"rule-{second}"), page.evaluate(ACTIVE)

    page.reload()
    assert page.evaluate(ACTIVE) == "BODY"
    assert browser_errors == []
