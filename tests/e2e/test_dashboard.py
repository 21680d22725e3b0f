"""A supervisor answers "how did we do yesterday, and which department is late?" from the live
wall, and the wall follows a new call without reloading the page."""

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from hotline import tickets
from hotline.extensions import db
from hotline.models import (
    Channel,
    Clock,
    ClockKind,
    ClockState,
    Contact,
    Department,
    Direction,
    Role,
    TicketKind,
)
from hotline.timeutil import local_to_utc, local_today, now
from tests.dashboard.call_data import HAND_WORKED, fact_from, store

pytestmark = pytest.mark.e2e


def _seed(app):
    """Yesterday's ten hand-worked calls, and a department with two overdue cases."""
    with app.app_context():
        tz = app.config["HOTLINE_TIMEZONE"]
        yesterday = local_today(tz) - timedelta(days=1)
        ten = local_to_utc(datetime.combine(yesterday, time(10)), tz)
        store([fact_from(ten + timedelta(minutes=7 * i), *row) for i, row in enumerate(HAND_WORKED)])
        late = Department(code="E1", name="东区市场监管所")
        db.session.add(late)
        db.session.flush()
        caller = tickets.find_or_create_caller("+8613800138000")
        for hours in (5, 30):
            ticket = tickets.open_ticket(Channel.VOICE, caller=caller, kind=TicketKind.COMPLAINT,
                                         department_id=late.id, summary=f"late {hours}")
            db.session.add(Clock(ticket=ticket, kind=ClockKind.MEDIATION, state=ClockState.RUNNING,
                                 started_at=now() - timedelta(days=60), due_at=now() - timedelta(hours=hours)))
        db.session.commit()
        return late.id


def test_supervisor_sees_yesterday_and_the_late_department_in_two_clicks(live_server, browser_page, browser_errors,
                                                                         sign_in):
    late_id = _seed(live_server.app)
    live_server.create_user(Role.SUPERVISOR, "boss")
    page = browser_page
    sign_in(page, "boss")
    page.goto(f"{live_server.url}/dashboard/")

    # One glance: yesterday's figures and the late department.
    expect(page.locator('[data-testid="calls_yesterday.offered"]')).to_have_text("10")
    expect(page.locator('[data-testid="calls_yesterday.answer_rate"]')).to_have_text("70.0%")
    expect(page.locator('[data-testid="calls_yesterday.answer_rate"]')).to_have_class(re.compile("alarm"))
    expect(page.locator('[data-testid="calls_yesterday.service_level"]')).to_have_text("40.0%")
    expect(page.locator('[data-testid="calls_yesterday.aht"]')).to_have_text("3:20")
    row = page.locator(f'[data-testid="department-row"][data-department="{late_id}"]')
    expect(row).to_contain_text("东区市场监管所")
    expect(row.locator('[data-testid="overdue"]')).to_have_text("2")

    # The wall follows a new call without a reload.
    page.evaluate("window.__stillHere = true")
    expect(page.locator('[data-testid="queue.waiting"]')).to_have_text("0")
    with live_server.app.app_context():
        db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, from_number="+8613811112222",
                               queued_at=now() - timedelta(seconds=20)))
        db.session.commit()
    expect(page.locator('[data-testid="queue.waiting"]')).to_have_text("1", timeout=10_000)
    expect(page.locator('[data-testid="queue.longest_wait"]')).to_have_class(re.compile("alarm"))
    expect(page.locator('[data-testid="calls_today.offered"]')).to_have_text("1")
    assert page.evaluate("window.__stillHere") is True
    page.screenshot(path="/tmp/wall.png", full_page=True)

    # Second click: the overdue cases behind the number (the first was opening the wall).
    row.locator('[data-testid="overdue"]').click()
    expect(page.locator('[data-testid="late-count"]')).to_have_text("2")
    expect(page.locator('[data-testid="late-case"]')).to_have_count(2)

    # And yesterday's answered calls behind that number.
    page.go_back()
    page.locator('[data-testid="calls_yesterday.answered"]').click()
    expect(page.locator('[data-testid="call-count"]')).to_have_text("7")
    expect(page.locator('[data-testid="call-row"]')).to_have_count(7)
    page.screenshot(path="/tmp/dashboard.png", full_page=True)

    # The reports behind the menu: styled (no CSP refusal), with the call report's figures.
    page.goto(f"{live_server.url}/reports/calls?start={_yesterday(live_server.app)}&end={_yesterday(live_server.app)}")
    expect(page.locator("figure.chart").first).to_be_visible()
    assert page.locator(".report-tabs").evaluate("e => getComputedStyle(e).display") == "flex"
    assert browser_errors == []


def _yesterday(app):
    return (local_today(app.config["HOTLINE_TIMEZONE"]) - timedelta(days=1)).isoformat()
