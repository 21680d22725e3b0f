"""The queue page in Chromium on a server that holds polls (issue 17.3): while the queue is quiet
the page keeps one poll open instead of asking every 3 s, and a call that joins the queue shows
at once, brought by the poll that was held."""

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_call_control import queue_a_call

pytestmark = pytest.mark.e2e


def test_a_quiet_queue_keeps_one_poll_open_and_a_new_call_shows_at_once(live_server, browser_page, sign_in):
    # What gunicorn.conf.py sets on a threaded worker, and production's snapshot period.
    live_server.app.config.update(QUEUE_HOLDS=4, LIVE_SNAPSHOT_SECONDS=0.5)
    live_server.create_user("operator", "op1")
    page = browser_page
    started, finished = [], []  # panel polls sent; those answered with a body (a 200)
    page.on("request", lambda r: started.append(time.monotonic()) if "/queue/panel" in r.url else None)
    page.on("requestfinished", lambda r: finished.append(r.timing) if "/queue/panel" in r.url else None)
    sign_in(page, "op1")
    page.goto(f"{live_server.url}/")
    panel = page.locator("#queue-panel")
    expect(panel).to_have_attribute("data-poll-wait", "25")
    expect(page.locator("#queue-refresh-note")).to_have_text("排队有变化即刷新")  # not "every 3 s"

    page.wait_for_timeout(10_000)  # (lets Playwright deliver the events) unheld, the page would have polled three times by now (every 3 s)
    assert len(started) == 2, "the first poll (no ETag yet) is answered at once; the second is held"

    queue_a_call(live_server, phone="+8613811112222")
    asked = time.monotonic()
    expect(panel).to_contain_text("138****2222", timeout=2_500)  # not the next 3 s tick: at once
    shown = time.monotonic() - asked
    timing = finished[-1]
    held_ms = timing["responseEnd"] - timing["requestStart"]
    assert held_ms > 3_000, f"the poll that brought the call was held {held_ms:.0f} ms"
    assert shown < 2.5
