"""Callback visits: scheduled when a case is handled, tried up to three times on different days
and times, closed as satisfied, unsatisfied (appeal offered) or unreachable."""

from datetime import datetime

import pytest
from sqlalchemy import select

from followup import callbacks
from hotline import tickets
from hotline.extensions import db
from hotline.models import (
    FollowUp,
    FollowUpStatus,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import clock_at, to_local

TZ = "Asia/Shanghai"


def local_of(moment):
    return to_local(moment, TZ).replace(tzinfo=None)


@pytest.fixture
def handled(calendar_2025, create_ticket, local):
    """handled(at) -> a complaint whose result was recorded at local wall-clock `at`."""

    def make(at=(2025, 9, 30, 15, 0), **fields):
        with clock_at(local(*at)):
            ticket = create_ticket(facts="空调不制冷", **fields)
            for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS,
                           TicketStatus.RESOLVED):
                tickets.change_status(ticket, status)
            db.session.commit()
        return ticket

    return make


def visits_of(ticket):
    return db.session.scalars(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).all()


def events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ).all()


def test_a_handled_case_is_visited_three_working_days_later_across_national_day(handled):
    # 10-01..10-08 are the holiday; 10-09 and 10-10 are the 1st and 2nd working days after
    # 09-30, and Saturday 10-11 is the official make-up working day: the 3rd.
    ticket = handled(at=(2025, 9, 30, 15, 0))
    [visit] = visits_of(ticket)
    assert visit.status == FollowUpStatus.SCHEDULED and visit.reason == "handled"
    assert local_of(visit.due_at) == datetime(2025, 10, 11, 15, 0)
    assert events(ticket, "callback_scheduled")[0].to_value == "2025-10-11 15:00"


def test_a_result_after_hours_is_visited_when_the_hotline_opens(handled):
    ticket = handled(at=(2025, 9, 30, 22, 30))
    assert local_of(visits_of(ticket)[0].due_at) == datetime(2025, 10, 11, 8, 0)


def test_schedule_visit_returns_the_open_visit_instead_of_a_second(handled, local):
    ticket = handled()
    first = visits_of(ticket)[0]
    again = callbacks.schedule_visit(ticket, "low_score", due_at=local(2025, 10, 9, 9, 0))
    assert again is first and len(visits_of(ticket)) == 1 and first.reason == "handled"


def test_schedule_visit_for_a_closed_case_with_a_low_score(calendar_2025, create_ticket, local):
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.CLOSED)
    with clock_at(local(2025, 10, 13, 10, 0)):
        visit = callbacks.schedule_visit(ticket, "low_score")
    db.session.commit()
    assert visit.reason == "low_score" and local_of(visit.due_at) == datetime(2025, 10, 16, 10, 0)


def test_no_visit_for_an_anonymous_report_or_a_case_without_a_phone(handled):
    assert visits_of(handled(kind=TicketKind.REPORT, anonymous=True)) == []
    assert visits_of(handled(phone=None)) == []
    assert len(visits_of(handled(phone=None, complainant_phone="+8613900000001"))) == 1
