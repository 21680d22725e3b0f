"""The clock sweep: warned once, overdue once, the department lead texted once, supervisors told."""

from datetime import date

import pytest
from sqlalchemy import func, select

from followup import escalation
from hotline.deadlines.clocks import start_clock, stop_clock
from hotline.extensions import db
from hotline.models import ClockKind, Department, OutboxMessage, Role, TicketEvent
from hotline.timeutil import clock_at

LEAD_PHONE = "+8613900139000"


@pytest.fixture
def department(make_department):
    """A department whose leads are texted too when a case runs late."""
    return make_department("A", "Market supervision, district A", sms_lead=True)


def count(type_):
    return db.session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.type == type_))


def lead_sms():
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "clock_overdue")).all()


def test_warned_once_then_overdue_once(calendar_2025, ticket_at, local, department, make_user):
    lead = make_user(Role.DEPARTMENT, department=department, phone=LEAD_PHONE)
    lead.department_lead = True
    supervisor, operator, other = make_user(Role.SUPERVISOR), make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    ticket = ticket_at(local(2025, 9, 30, 10, 0), department=department, assigned_to=operator)
    clock = start_clock(ticket, ClockKind.ACCEPT)  # due 2025-10-16 23:59:59 local
    db.session.commit()

    with clock_at(local(2025, 10, 14, 9, 0)):  # two working days left: nothing yet
        assert escalation.sweep() == {"warned": 0, "overdue": 0, "sms": 0}
    with clock_at(local(2025, 10, 15, 9, 0)):  # due by the end of the next working day
        assert escalation.sweep()["warned"] == 1
        assert escalation.sweep()["warned"] == 0
        db.session.commit()
    assert clock.warned_at == local(2025, 10, 15, 9, 0)
    assert escalation.due_soon_for(operator) == [clock]
    assert escalation.due_soon_for(other) == []
    assert escalation.overdue_for(supervisor) == []

    with clock_at(local(2025, 10, 17, 0, 1)):
        assert escalation.sweep() == {"warned": 0, "overdue": 1, "sms": 1}
        assert escalation.sweep() == {"warned": 0, "overdue": 0, "sms": 0}
        db.session.commit()
    assert count("clock_warned") == count("clock_overdue") == 1
    [sms] = lead_sms()
    assert sms.to == LEAD_PHONE and ticket.number in sms.body
    assert escalation.overdue_for(supervisor) == [clock]
    assert escalation.overdue_for(lead) == [clock]
    assert escalation.overdue_for(operator) == []
    assert escalation.due_soon_for(operator) == []


def test_no_sms_without_sms_lead_and_met_clocks_are_left_alone(calendar_2025, ticket_at, local, make_user):
    quiet = Department(code="Q", name="Quiet", sms_lead=False)
    db.session.add(quiet)
    lead = make_user(Role.DEPARTMENT, department=quiet, phone=LEAD_PHONE)
    lead.department_lead = True
    late = ticket_at(local(2025, 9, 30, 10, 0), department=quiet)
    done = ticket_at(local(2025, 9, 30, 10, 0), department=quiet)
    start_clock(late, ClockKind.ACCEPT)
    start_clock(done, ClockKind.ACCEPT)
    stop_clock(done, ClockKind.ACCEPT, at=local(2025, 10, 9, 9, 0))
    with clock_at(local(2025, 11, 1, 9, 0)):
        assert escalation.sweep() == {"warned": 0, "overdue": 1, "sms": 0}
    assert lead_sms() == []
    assert [c.ticket for c in escalation.overdue_for(lead)] == [late]


def test_the_sweep_handles_many_clocks_in_batches(calendar_2025, ticket_at, local, monkeypatch):
    monkeypatch.setattr(escalation, "BATCH", 7)
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    for kind in ClockKind:
        start_clock(ticket, kind, start=local(2025, 9, 1, 9, 0))
    with clock_at(local(2025, 12, 31, 9, 0)):
        assert escalation.sweep()["overdue"] == len(ClockKind)
    overdue = db.session.scalars(select(TicketEvent).where(TicketEvent.type == "clock_overdue")).all()
    assert sorted(e.field for e in overdue) == sorted(k.value for k in ClockKind)
    assert all(date.fromisoformat(e.to_value) < date(2025, 12, 31) for e in overdue)


def test_a_resumed_clock_pushed_past_now_is_no_longer_overdue(calendar_2025, ticket_at, local, make_user):
    from hotline.deadlines.clocks import pause_clock, resume_clock

    user = make_user(Role.SUPERVISOR)
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    clock = start_clock(ticket, ClockKind.ACCEPT)
    with clock_at(local(2025, 10, 10, 9, 0)):
        pause_clock(clock, "product sent for testing", user)
    with clock_at(local(2025, 10, 20, 9, 0)):
        assert escalation.sweep()["overdue"] == 0  # a paused clock does not run out
        resume_clock(clock, user)
    # The pause covered 7 working days (Saturday 10-11 worked, 10-13..17, 10-20): due 10-16 -> 10-27.
    assert clock.due_at == local(2025, 10, 27, 23, 59, 59)
    assert clock.overdue_at is None
