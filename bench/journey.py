"""One operator, one call, keyboard only: from the connected call to the case forwarded (issue 15.9).

Serves the app on loopback (SQLite file, CSRF on, the demo's routing for Beijing), connects a
call to an operator, and drives Debian's Chromium through Playwright the way a trained operator
would: the pop opens the intake form, values are typed, Tab moves between fields, Alt+A takes
the suggestion, Ctrl+Enter saves, Enter accepts, Enter forwards (when the demo's rules have not
forwarded the case already). Every key pressed is counted; the mouse is never used.

Baseline, measured in the same run and the same browser: typing the same characters into a
bare textarea. What the journey costs beyond it is the product's overhead.

    .venv/bin/python -m bench.journey          (prints the figures, writes bench/results/journey.json)
"""

import json
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

# A standard complaint (DOMAIN.md's commonest: goods bought online that broke).
VALUES = [
    ("complainant_name", "王小明"),
    ("complainant_address", "北京市朝阳区建国路88号"),
    ("facts", "11月20日在京东某电器旗舰店买的冰箱，用了三天就不制冷，联系商家要求退货，商家不同意。"),
    ("demand", "退货退款"),
    ("respondent_name", "某电器旗舰店"),
    ("platform", "京东"),
    ("seller", "某电器旗舰店"),
    ("order_number", "JD20261120001"),
]
TARGET_SECONDS = 30
MAX_TABS = 40  # bounded: a field further than this is a failure, not a loop


def _app(tmp):
    from config import TestingConfig
    from hotline import create_app
    from hotline.extensions import db

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp / 'journey.sqlite'}"
        WTF_CSRF_ENABLED = True
        HOME_DIVISION = "110000"
        SUGGEST_WARM_UP = False

    app = create_app(Config)
    with app.app_context():
        db.create_all()
    return app


def _world(app):
    from hotline import accounts, tickets
    from hotline.demo import seed_demo
    from hotline.extensions import db
    from hotline.models import Channel, Contact, Direction, Role
    from hotline.timeutil import now

    with app.app_context():
        seed_demo(n_cases=0)
        operator = accounts.create_user("bench-op", "amber-otter-lantern-42", Role.OPERATOR, phone="+8613900000001")
        caller = tickets.find_or_create_caller("+8613812345678")
        ticket = tickets.open_ticket(Channel.VOICE, caller=caller)
        db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller, ticket=ticket,
                               from_number=caller.phone, queued_at=now(), answered_at=now(), answered_by=operator))
        db.session.commit()
        return ticket.number


def _status(app, number):
    from hotline.extensions import db
    from hotline.models import Ticket

    with app.app_context():
        db.session.expire_all()
        ticket = db.session.query(Ticket).filter_by(number=number).one()
        return ticket.status.value, ticket.department.name if ticket.department else None


class Keys:
    """The keyboard, counting every key."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def type(self, text):
        self.page.keyboard.type(text)
        self.count += len(text)

    def press(self, key):
        self.page.keyboard.press(key)
        self.count += 1

    def tab_to(self, element_id):
        for _ in range(MAX_TABS):
            if self.page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
            self.press("Tab")
        raise RuntimeError(f"#{element_id} not reached in {MAX_TABS} tabs")


def run():
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmpdir:
        app = _app(Path(tmpdir))
        number = _world(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
                page.set_default_timeout(20_000)
                # Baseline: the same characters typed into a bare textarea.
                page.set_content("<textarea autofocus></textarea>")
                page.focus("textarea")
                typed = "".join(value for _field, value in VALUES)
                start = time.perf_counter()
                page.keyboard.type(typed)
                baseline_s = time.perf_counter() - start
                # Sign in (not counted: done once a shift).
                page.goto(f"{url}/login")
                page.fill("#username", "bench-op")
                page.fill("#password", "amber-otter-lantern-42")
                with page.expect_navigation():
                    page.click("#sign-in")
                figures = _journey(page, app, number)
                browser.close()
        finally:
            server.shutdown()
    figures.update(baseline_keys=len(typed), baseline_s=round(baseline_s, 2), target_s=TARGET_SECONDS)
    return figures


def _journey(page, app, number):
    keys = Keys(page)
    start = time.perf_counter()
    page.wait_for_url(f"**/intake/tickets/{number}")  # the pop: the call connected
    page.wait_for_selector("#kind")
    page.wait_for_function("document.activeElement && document.activeElement.id !== ''")
    if page.evaluate("document.activeElement.id") == "kind":
        keys.press("ArrowDown")  # the first kind: complaint
    for field, value in VALUES:
        if page.locator(f"#{field}").input_value():
            continue  # known already (the caller's name on a repeat call)
        if field == "platform" and not page.locator("#online").is_checked():
            keys.tab_to("online")
            keys.press("Space")
        keys.tab_to(field)
        keys.type(value)
    page.wait_for_selector('#live-suggestion [data-testid="suggestion"]')
    keys.press("Alt+a")  # the suggested category and problem type
    with page.expect_navigation():
        keys.press("Control+Enter")
    saved_at = time.perf_counter() - start
    missing = page.locator(".flash.warning").all_inner_texts()
    if "/intake/" in page.url:
        raise RuntimeError(f"the save did not complete: {missing}")
    with page.expect_navigation():
        keys.press("Enter")  # the accept button has the cursor
    status, department = _status(app, number)
    if status == "accepted" and page.locator("#forward-suggested-instructions").count():
        with page.expect_navigation():
            keys.press("Enter")  # the suggested department, no instructions
        status, department = _status(app, number)
    return {"status": status, "department": department, "keys": keys.count, "clicks": 0,
            "seconds": round(time.perf_counter() - start, 2), "seconds_to_saved": round(saved_at, 2)}


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the figures, not the request log
    figures = run()
    overhead = figures["keys"] - figures["baseline_keys"]
    print(f"journey: {figures['status']} to {figures['department'] or '(no department)'}")
    print(f"  keys    {figures['keys']:>6}   baseline (the values alone) {figures['baseline_keys']:>5}   overhead {overhead}")
    print(f"  clicks  {figures['clicks']:>6}   target 0")
    print(f"  seconds {figures['seconds']:>6}   baseline (typing alone) {figures['baseline_s']:>6}   "
          f"target < {figures['target_s']} s; saved after {figures['seconds_to_saved']} s")
    missed = [what for what, bad in (
        ("not forwarded", figures["status"] != "forwarded"),
        ("over time", figures["seconds"] >= figures["target_s"]),
        ("mouse used", figures["clicks"] > 0),
    ) if bad]
    print("  MISSED: " + ", ".join(missed) if missed else "  all targets met")
    out = Path(__file__).parent / "results" / "journey.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
