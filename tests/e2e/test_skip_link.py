"""In Chromium, every page's first Tab stop is "Skip to main content" (跳到正文), out of sight until
focused, and Enter on it puts the cursor in the page's <main>, the next Tab inside the page's
content: the console, the public status page and the public knowledge pages.

Screenshots (1440 px, Chinese) before and after the first Tab go to FOCUS_SCREENSHOTS (default:
<tmp>/shots-focus) to look at by eye."""

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hotline.models import Role

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("FOCUS_SCREENSHOTS") or Path(tempfile.gettempdir()) / "shots-focus")
WIDE = {"width": 1440, "height": 900}

ACTIVE = "() => { const el = document.activeElement; return el ? (el.id || el.tagName) : null; }"


def _first_tab_then_enter(page, shot):
    link = page.locator('[data-testid="skip-link"]')
    box = link.bounding_box()
    assert box is None or box["y"] + box["height"] <= 0, box  # out of sight before it is focused
    page.screenshot(path=str(SHOTS / f"{shot}-before.png"))
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE) != "BODY"
    expect(link).to_be_focused()
    expect(link).to_have_text("跳到正文")
    box = link.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0  # on the screen once focused
    page.screenshot(path=str(SHOTS / f"{shot}-focused.png"))
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # and the next Tab goes on inside the page's content, past the top bar
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


@pytest.mark.parametrize("path", ["/routing/triage", "/reports/"])
def test_the_consoles_first_tab_is_the_skip_link(live_server, browser_page, sign_in, browser_errors, path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    live_server.create_user(Role.SUPERVISOR, "boss")
    page = sign_in(browser_page, "boss")
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}{path}")
    _first_tab_then_enter(page, "console" + path.replace("/", "-").rstrip("-"))
    assert browser_errors == []


@pytest.mark.parametrize("path", ["/status/", "/kb"])
def test_the_public_pages_first_tab_is_the_skip_link(live_server, browser_page, browser_errors, path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}{path}")
    _first_tab_then_enter(page, "public" + path.replace("/", "-").rstrip("-"))
    assert browser_errors == []
