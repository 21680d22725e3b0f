"""The API twin of the working-day calendar page (followup/views.py calendar, calendar_day): a
supervisor reads a month and corrects a day through the same service (clocks.correct_calendar_day),
audited, and a day off added moves the due date of a running working-day clock. Every answer
checked against the OpenAPI document."""

from datetime import date

import pytest
from sqlalchemy import select

from hotline.deadlines.clocks import start_clock
from hotline.extensions import db
from hotline.models import AuditLog, CalendarDay, ClockKind, Role, TicketEvent
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.hostile import changed, snapshot


@pytest.fixture
def boss(as_role):  # noqa: F811
    return as_role(Role.SUPERVISOR)


def put(client, path, body):
    return client.open("PUT", path, json=body)


def test_a_day_off_added_moves_a_running_clocks_due_date_and_is_audited(boss, calendar_2025, ticket_at, local):
    spanning = start_clock(ticket_at(local(2025, 9, 30, 10, 0)), ClockKind.ACCEPT)  # due 2025-10-16
    db.session.commit()
    number = spanning.ticket.number
    assert boss.get(f"/api/v1/tickets/{number}/clocks").json["items"][0]["due_at"].startswith("2025-10-16")
    saved = put(boss, "/api/v1/calendar/2025-10-10", {"working": False, "name": " 台风停工 "})
    assert saved.status_code == 200, saved.json
    assert saved.json["day"] == {"day": "2025-10-10", "working": False, "name": "台风停工", "source": "manual",
                                 "official": True}
    assert [(c["clock_id"], c["number"], c["kind"]) for c in saved.json["recounted"]] == [
        (spanning.id, number, "accept")]
    assert saved.json["recounted"][0]["due_at"].startswith("2025-10-17")
    assert boss.get(f"/api/v1/tickets/{number}/clocks").json["items"][0]["due_at"].startswith("2025-10-17")
    db.session.expire_all()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "calendar_day_set")).target_id == "2025-10-10"
    assert db.session.scalar(select(TicketEvent).where(TicketEvent.type == "clock_rescheduled")).to_value == "2025-10-17"
    month = boss.get("/api/v1/calendar?month=2025-10").json
    days = {d["day"]: d for d in month["days"]}
    assert month["month"] == "2025-10" and len(days) == 31
    assert (days["2025-10-10"]["working"], days["2025-10-01"]["working"], days["2025-10-11"]["working"]) == (
        False, False, True)  # 10-11 is a make-up working Saturday in 2025


def test_the_month_defaults_to_this_one_and_warns_without_data(boss):
    answer = boss.get("/api/v1/calendar").json
    assert answer["days"] == [] and answer["warnings"] and answer["warnings"][0]["missing"] is True


@pytest.mark.parametrize("body, fields", [
    ({"working": "0"}, {"working"}), ({}, {"working"}), ({"working": None}, {"working"}),
    ({"working": True, "name": "节" * 101}, {"name"}), ({"working": True, "name": "a\x00"}, {"name"}),
    ({"working": True, "colour": "red"}, {"colour"}),
])
def test_bad_input_is_422_and_nothing_changes(boss, calendar_2025, body, fields):
    before = snapshot()
    refused = put(boss, "/api/v1/calendar/2025-10-11", body)
    assert refused.status_code == 422 and set(refused.json["fields"]) == fields
    assert not changed(before, snapshot())


def test_not_a_date_is_404_bad_month_422_bad_body_400(boss):
    for day in ("not-a-date", "2025-02-30", "99999-01-01", "２０２５-10-01"):
        assert put(boss, f"/api/v1/calendar/{day}", {"working": True}).status_code == 404
    for month in ("2025-13", "1999-12", "2201-01", "2025-1", "x"):
        refused = boss.get(f"/api/v1/calendar?month={month}")
        assert refused.status_code == 422 and set(refused.json["fields"]) == {"month"}
    assert boss.open("PUT", "/api/v1/calendar/2025-10-11", data="[]", content_type="application/json").status_code == 400
    assert db.session.get(CalendarDay, date(2025, 10, 11)) is None


def test_only_supervisors(as_role, make_department):  # noqa: F811
    for client in (as_role(Role.OPERATOR), as_role(Role.ADMIN), as_role(Role.DEPARTMENT, make_department())):
        assert client.get("/api/v1/calendar").status_code == 403
        assert put(client, "/api/v1/calendar/2025-10-11", {"working": False}).status_code == 403
    assert db.session.get(CalendarDay, date(2025, 10, 11)) is None
