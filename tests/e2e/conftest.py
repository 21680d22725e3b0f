"""Browser fixtures every feature's end-to-end tests reuse.

- `live_server`: the real app on a temp-file SQLite database, CSRF on, served by Werkzeug in a
  thread on 127.0.0.1; `.url`, `.app`, `.create_user(...)`, `.seed_demo()`.
- `browser_page`: a fresh Playwright page (own cookies) in Debian's Chromium, explicit timeouts;
  `browser_errors` lists console errors and CSP violations seen on it.
- `sign_in(page, username, password)`: signs in through the login form (also `sign_in_through_form`).

Mark browser tests with `pytestmark = pytest.mark.e2e`.
"""

import os
import subprocess
import threading
from dataclasses import dataclass, field

import pytest
from flask import Flask
from werkzeug.serving import make_server

from hotline import accounts, create_app
from hotline.extensions import db
from tests.conftest import PASSWORD, make_config, require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000
# What the console's polls bring (a waiting call, the screen pop, the call bar) arrives on the next
# 3-s poll plus a request and maybe a page load: about 3.5 s on a quiet machine, past 8 s once
# under the full suite in CI. A longer wait only slows a test that fails anyway.
POLL_TIMEOUT_MS = 20_000


@dataclass
class LiveServer:
    url: str
    app: Flask
    _server: object = field(repr=False, default=None)

    def create_user(self, role, username, password=PASSWORD, **kwargs):
        """A staff account (committed); returns its username."""
        with self.app.app_context():
            accounts.create_user(username, password, role, **kwargs)
            db.session.commit()
        return username

    def seed_demo(self):
        """The `make run` demo world; returns [(username, password, role), ...]."""
        from hotline.demo import seed_demo

        with self.app.app_context():
            logins = seed_demo()
            db.session.commit()
        return logins


@pytest.fixture
def live_server(tmp_path):
    """The app served over HTTP on a free loopback port; stopped and disposed after the test."""
    app = create_app(
        make_config(
            "sqlite",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.sqlite'}",
            WTF_CSRF_ENABLED=True,
        )
    )
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Webhook signatures are checked against the public URL, which here is the server itself.
    app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, _server=server)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _has_cjk_font():
    """Whether fontconfig knows a font for Chinese (Debian's fonts-noto-cjk in CI)."""
    try:
        found = subprocess.run(  # noqa: S603 (fixed argv)
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(found.stdout.strip())


@pytest.fixture(scope="session")
def _chromium():
    require("chromium", os.path.exists(CHROMIUM), f"browser tests drive {CHROMIUM} through Playwright")
    require("fonts-noto-cjk", _has_cjk_font(), "without a CJK font no screenshot can show Chinese text")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_errors():
    """Console errors (CSP violations included) seen by `browser_page` during the test."""
    return []


@pytest.fixture
def browser_page(_chromium, browser_errors):
    """A Playwright page in a fresh browser context (no cookies shared between tests)."""
    context = _chromium.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda msg: browser_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: browser_errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()


def sign_in_through_form(page, base_url, username, password=PASSWORD):
    """Sign in as a person would and wait until the console has loaded."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#sign-in")
    if "/login" in page.url:
        raise AssertionError(f"sign-in as {username!r} failed")
    return page


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, username, password=PASSWORD) against the live server."""

    def do(page, username, password=PASSWORD):
        return sign_in_through_form(page, live_server.url, username, password)

    return do
