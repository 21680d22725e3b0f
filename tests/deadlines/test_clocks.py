"""Clocks on a case: start, stop, idempotence, pause and resume across a holiday."""

from datetime import date

import pytest

from hotline.deadlines.calendar_data import set_day
from hotline.deadlines.clocks import (
    ClockError,
    cancel_clocks,
    pause_clock,
    reschedule_for_calendar_change,
    resume_clock,
    start_clock,
    stop_clock,
)
from hotline.extensions import db
from hotline.models import ClockKind, ClockState, Role, TicketEvent
from hotline.timeutil import clock_at, local_today


def due_day(clock):
    return local_today("Asia/Shanghai", clock.due_at)


def events(ticket, type_):
    return db.session.query(TicketEvent).filter_by(ticket_id=ticket.id, type=type_).all()


def test_accept_clock_from_receipt_is_due_at_the_end_of_october_16(calendar_2025, ticket_at, local):
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    clock = start_clock(ticket, ClockKind.ACCEPT)
    db.session.commit()
    assert clock.due_at == local(2025, 10, 16, 23, 59, 59)
    assert clock.state == ClockState.RUNNING and not clock.estimated
    [event] = events(ticket, "clock_started")
    assert (event.field, event.to_value) == ("accept", "2025-10-16")


def test_starting_twice_keeps_one_clock(calendar_2025, ticket_at, local):
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    first = start_clock(ticket, ClockKind.ACCEPT)
    assert start_clock(ticket, "accept") is first
    assert len(events(ticket, "clock_started")) == 1


def test_stop_on_time_and_late(calendar_2025, ticket_at, local):
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    with clock_at(local(2025, 10, 9, 9, 0)):
        start_clock(ticket, ClockKind.FORWARD)  # due 10-14
        start_clock(ticket, ClockKind.ACCEPT)
    on_time = stop_clock(ticket, ClockKind.ACCEPT, at=local(2025, 10, 16, 23, 0))
    late = stop_clock(ticket, ClockKind.FORWARD, at=local(2025, 10, 15, 0, 30))
    assert on_time.state == late.state == ClockState.MET
    assert [e.data["on_time"] for e in events(ticket, "clock_met")] == [True, False]
    assert stop_clock(ticket, ClockKind.ACCEPT) is None


def test_durations_come_from_config(app_factory, create_ticket, local):
    app = app_factory(CLOCK_RULES={"forward": {"days": 1, "unit": "calendar"}})
    with app.app_context():
        ticket = create_ticket()
        with clock_at(local(2025, 10, 1, 9, 0)):
            clock = start_clock(ticket, ClockKind.FORWARD)
        assert due_day(clock) == date(2025, 10, 2)


def test_mediation_counts_calendar_days_from_acceptance(calendar_2025, ticket_at, local):
    ticket = ticket_at(local(2025, 9, 1, 9, 0), accepted_at=local(2025, 9, 2, 9, 0))
    assert due_day(start_clock(ticket, ClockKind.MEDIATION)) == date(2025, 11, 1)


def test_pause_across_the_holiday_moves_the_due_date(calendar_2025, ticket_at, local, make_user):
    operator = make_user(Role.OPERATOR)
    ticket = ticket_at(local(2025, 9, 26, 10, 0))
    clock = start_clock(ticket, ClockKind.ACCEPT)  # 09-28, 29, 30, 10-09, 10, 11, 13
    assert due_day(clock) == date(2025, 10, 13)
    with clock_at(local(2025, 9, 29, 15, 0)):
        pause_clock(clock, "appraisal of the product", operator)
    with pytest.raises(ClockError):
        pause_clock(clock, "again", operator)
    with clock_at(local(2025, 10, 10, 9, 0)):
        resume_clock(clock, operator)
    db.session.commit()
    # The pause covered 09-30, 10-09 and 10-10: three working days, not the eight holidays.
    assert due_day(clock) == date(2025, 10, 16)
    assert clock.state == ClockState.RUNNING
    [pause] = clock.pauses
    assert pause.reason == "appraisal of the product" and pause.resumed_at is not None
    [resumed] = events(ticket, "clock_resumed")
    assert resumed.to_value == "2025-10-16" and resumed.data["moved_days"] == 3
    assert len(events(ticket, "clock_paused")) == 1


def test_resume_needs_a_paused_clock_and_pause_a_reason(calendar_2025, create_ticket, make_user):
    user = make_user(Role.OPERATOR)
    clock = start_clock(create_ticket(), ClockKind.CALLBACK)
    with pytest.raises(ClockError):
        resume_clock(clock, user)
    with pytest.raises(ClockError):
        pause_clock(clock, "  ", user)


def test_cancel_closes_every_open_clock(calendar_2025, create_ticket, make_user):
    ticket = create_ticket()
    start_clock(ticket, ClockKind.ACCEPT)
    paused = start_clock(ticket, ClockKind.FORWARD)
    pause_clock(paused, "waiting for a test report", make_user())
    cancelled = cancel_clocks(ticket, reason="referred to 12345")
    assert {c.state for c in cancelled} == {ClockState.CANCELLED}
    assert [e.reason for e in events(ticket, "clock_cancelled")] == ["referred to 12345"] * 2
    assert start_clock(ticket, ClockKind.ACCEPT).state == ClockState.RUNNING  # a new duty may start


def test_a_supervisor_correction_changes_a_due_date(calendar_2025, ticket_at, local, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    set_day(date(2025, 10, 10), False, "local holiday", supervisor)
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    assert due_day(start_clock(ticket, ClockKind.ACCEPT)) == date(2025, 10, 17)


def test_beyond_the_data_the_clock_is_estimated(app, ticket_at, local):
    ticket = ticket_at(local(2031, 3, 3, 10, 0))
    clock = start_clock(ticket, ClockKind.ACCEPT)
    assert clock.estimated
    assert due_day(clock) == date(2031, 3, 12)


def test_a_correction_moves_running_clocks_that_span_the_day(calendar_2025, ticket_at, local, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    spanning = start_clock(ticket_at(local(2025, 9, 30, 10, 0)), ClockKind.ACCEPT)  # due 10-16
    later = start_clock(ticket_at(local(2025, 10, 14, 10, 0)), ClockKind.ACCEPT)  # starts after 10-10
    set_day(date(2025, 10, 10), False, "local holiday", supervisor)
    assert reschedule_for_calendar_change(date(2025, 10, 10), supervisor) == [spanning]
    assert due_day(spanning) == date(2025, 10, 17) and due_day(later) == date(2025, 10, 23)
    [event] = events(spanning.ticket, "clock_rescheduled")
    assert (event.from_value, event.to_value) == ("2025-10-16", "2025-10-17")


def test_the_database_refuses_a_second_open_clock_of_one_duty(calendar_2025, ticket_at, local):
    from sqlalchemy.exc import IntegrityError

    from hotline.models import Clock

    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    first = start_clock(ticket, ClockKind.ACCEPT)
    db.session.commit()
    twin = Clock(ticket=ticket, kind=ClockKind.ACCEPT, state=ClockState.PAUSED,
                 started_at=first.started_at, due_at=first.due_at)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # A met clock does not block the next one of its kind (an appeal after an appeal).
    stop_clock(ticket, ClockKind.ACCEPT)
    second = start_clock(ticket, ClockKind.ACCEPT)
    db.session.commit()
    assert second.id != first.id and second.state == ClockState.RUNNING


@pytest.mark.backend("postgresql")  # "needs concurrent connections: the SQLite test database is one shared connection"
def test_two_requests_starting_one_clock_at_once_share_it(app, backend, calendar_2025, ticket_at, local):
    import threading

    from sqlalchemy import func, select

    from hotline.models import Clock, Ticket

    ticket_id = ticket_at(local(2025, 9, 30, 10, 0)).id
    db.session.commit()
    first_flushed, release_first = threading.Event(), threading.Event()
    ids = {}

    def start(name, hold):
        with app.app_context():
            ticket = db.session.get(Ticket, ticket_id)
            clock = start_clock(ticket, ClockKind.ACCEPT)
            ids[name] = clock.id
            if hold:  # keep the row uncommitted while the other request runs into it
                first_flushed.set()
                release_first.wait(timeout=10)
            db.session.commit()
            db.session.remove()

    first = threading.Thread(target=start, args=("first", True))
    first.start()
    assert first_flushed.wait(timeout=10)
    second = threading.Thread(target=start, args=("second", False))
    second.start()
    second.join(timeout=1)  # it is waiting on the first one's uncommitted clock
    assert second.is_alive()
    release_first.set()
    first.join(timeout=10)
    second.join(timeout=10)
    open_clocks = db.session.scalar(
        select(func.count()).select_from(Clock).where(Clock.ticket_id == ticket_id, Clock.state == ClockState.RUNNING)
    )
    assert open_clocks == 1
    assert ids["first"] == ids["second"]


def test_a_pause_another_user_committed_first_is_not_made_twice(calendar_2025, create_ticket, make_user):
    """Two supervisors press 暂停 at once: each request read the clock running. The one that writes
    second must read it again and find it paused, not open a second pause."""
    from sqlalchemy.orm.attributes import set_committed_value

    first, second = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    clock = start_clock(create_ticket(), ClockKind.FORWARD)
    db.session.commit()
    pause_clock(clock, "waiting for a test report", first)
    db.session.commit()
    set_committed_value(clock, "state", ClockState.RUNNING)  # what the second request had read
    with pytest.raises(ClockError):
        pause_clock(clock, "appraisal", second)
    db.session.rollback()
    assert clock.state == ClockState.PAUSED and len(clock.pauses) == 1
