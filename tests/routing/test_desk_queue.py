"""The desk queue: new / in progress / due soon / overdue, scoped to the user's department."""

from datetime import datetime, timedelta

import pytest

from hotline import tickets
from hotline.deadlines.calendar_data import seed_calendar
from hotline.extensions import db
from hotline.models import Clock, ClockKind, ClockState, Role, TicketStatus
from hotline.timeutil import local_to_utc, now
from routing import desk
from tests.routing.desk_helpers import add_department, put_on_desk, texts


@pytest.fixture
def on_desk(create_ticket, dept):
    def make(status=TicketStatus.FORWARDED, department=None, **fields):
        return put_on_desk(create_ticket(**fields), department or dept, status)

    return make


def add_clock(ticket, due_at, kind=ClockKind.MEDIATION, state=ClockState.RUNNING):
    clock = Clock(ticket=ticket, kind=kind, state=state, started_at=due_at - timedelta(days=60), due_at=due_at)
    db.session.add(clock)
    db.session.commit()
    return clock


def listed(client, tab, **args):
    response = client.get("/desk", query_string={"tab": tab, **args})
    assert response.status_code == 200
    return texts(response, "desk-link")


def test_each_tab_lists_the_departments_cases_that_belong_there(client, make_user, login, on_desk, dept):
    fresh = on_desk(facts="new one")
    working = on_desk(TicketStatus.IN_PROGRESS)
    soon = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(soon, now() + timedelta(hours=2))
    late = on_desk(TicketStatus.FORWARDED)
    add_clock(late, now() - timedelta(hours=1))
    far = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(far, now() + timedelta(days=20))
    paused = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(paused, now() - timedelta(days=1), state=ClockState.PAUSED)
    # The hotline's own duty running late is not the department's overdue case.
    hotline_late = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(hotline_late, now() - timedelta(days=1), kind=ClockKind.FORWARD)
    elsewhere = on_desk(department=add_department("D02"))
    add_clock(elsewhere, now() - timedelta(days=1))
    login(make_user(role=Role.DEPARTMENT, department=dept))

    assert sorted(listed(client, "new")) == sorted([fresh.number, late.number])
    assert sorted(listed(client, "in_progress")) == sorted(
        [working.number, soon.number, far.number, paused.number, hotline_late.number]
    )
    assert listed(client, "due_soon") == [soon.number]
    assert listed(client, "overdue") == [late.number]
    page = client.get("/desk")
    assert texts(page, "count-new") == ["2"] and texts(page, "count-overdue") == ["1"]
    assert elsewhere.number not in page.get_data(as_text=True)


def test_resolved_cases_leave_the_queue_even_with_a_late_clock(client, make_user, login, on_desk, dept):
    done = on_desk(TicketStatus.IN_PROGRESS)
    tickets.change_status(done, TicketStatus.RESOLVED)
    db.session.commit()
    add_clock(done, now() - timedelta(days=1))
    login(make_user(role=Role.DEPARTMENT, department=dept))
    assert listed(client, "overdue") == [] and listed(client, "in_progress") == []


def test_due_soon_means_by_the_end_of_the_next_working_day(app, on_desk, dept):
    """Tuesday 2025-09-30 before the National Day holiday: the next working day is 10-09."""
    seed_calendar(2025, 2025)
    moment = local_to_utc(datetime(2025, 9, 30, 10, 0), "Asia/Shanghai")
    holiday_end = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(holiday_end, local_to_utc(datetime(2025, 10, 9, 23, 59, 59), "Asia/Shanghai"))
    after = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(after, local_to_utc(datetime(2025, 10, 10, 23, 59, 59), "Asia/Shanghai"))
    rows = desk.queue(dept.id, "due_soon", moment=moment).items
    assert [t.number for t in rows] == [holiday_end.number]


def test_the_queue_is_paginated(client, make_user, login, on_desk, dept, monkeypatch):
    monkeypatch.setattr(desk, "PAGE_SIZE", 2)
    numbers = [on_desk().number for _ in range(3)]
    login(make_user(role=Role.DEPARTMENT, department=dept))
    assert listed(client, "new") == numbers[:2]
    assert listed(client, "new", page=2) == numbers[2:]


def test_a_supervisor_sees_every_department_or_the_one_chosen(client, make_user, login, on_desk, dept):
    ours = on_desk()
    theirs = on_desk(department=add_department("D02", "西城区市场监管所"))
    login(make_user(role=Role.SUPERVISOR))
    assert sorted(listed(client, "new")) == sorted([ours.number, theirs.number])
    assert listed(client, "new", department=dept.id) == [ours.number]


def test_a_department_account_without_a_department_sees_nothing(client, make_user, login, on_desk):
    on_desk()
    login(make_user(role=Role.DEPARTMENT))
    assert listed(client, "new") == []


def test_operators_do_not_use_the_desk(client, make_user, login):
    login(make_user(role=Role.OPERATOR))
    assert client.get("/desk").status_code == 403


def test_a_bad_tab_shows_the_new_tab(client, make_user, login, on_desk, dept):
    fresh = on_desk()
    login(make_user(role=Role.DEPARTMENT, department=dept))
    assert listed(client, "nonsense") == [fresh.number]


def test_a_bad_page_is_refused_with_a_message_as_on_every_list(client, make_user, login, on_desk, dept):
    on_desk()
    login(make_user(role=Role.DEPARTMENT, department=dept))
    response = client.get("/desk", query_string={"tab": "new", "page": "-3"})
    assert response.status_code == 400
    assert "page" in response.get_data(as_text=True)


def test_each_row_shows_its_earliest_running_department_deadline(app, on_desk):
    ticket = on_desk(TicketStatus.IN_PROGRESS)
    add_clock(ticket, now() + timedelta(days=30))
    soonest = add_clock(ticket, now() + timedelta(days=5), kind=ClockKind.NOTIFY_END)
    add_clock(ticket, now() + timedelta(days=1), kind=ClockKind.CALLBACK)  # the hotline's, not shown
    assert desk.next_deadlines([ticket]) == {ticket.id: soonest}
