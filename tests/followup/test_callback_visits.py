"""Callback visits: scheduled when a case is handled, tried up to three times on different days
and times, closed as satisfied, unsatisfied (appeal offered) or unreachable."""

from datetime import datetime

import pytest
from sqlalchemy import select

from followup import callback_visits, visit_times
from hotline import tickets
from hotline.deadlines import calendar, clocks
from hotline.extensions import db
from hotline.models import (
    Clock,
    ClockKind,
    ClockState,
    FollowUp,
    FollowUpStatus,
    Role,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.opening_hours import parse_hours
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
    again = callback_visits.schedule_visit(ticket, "low_score", due_at=local(2025, 10, 9, 9, 0))
    assert again is first and len(visits_of(ticket)) == 1 and first.reason == "handled"


def test_schedule_visit_for_a_closed_case_with_a_low_score(calendar_2025, create_ticket, local):
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.CLOSED)
    with clock_at(local(2025, 10, 13, 10, 0)):
        visit = callback_visits.schedule_visit(ticket, "low_score")
    db.session.commit()
    assert visit.reason == "low_score" and local_of(visit.due_at) == datetime(2025, 10, 16, 10, 0)


def test_no_visit_for_an_anonymous_report_or_a_case_without_a_phone(handled):
    assert visits_of(handled(kind=TicketKind.REPORT, anonymous=True)) == []
    assert visits_of(handled(phone=None)) == []
    assert len(visits_of(handled(phone=None, complainant_phone="+8613900000001"))) == 1


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR)


def callback_clock(ticket):
    return db.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.CALLBACK))


def test_not_reached_is_retried_on_other_days_and_times_then_unreachable(handled, operator, local):
    ticket = handled(at=(2025, 9, 30, 9, 30))
    clocks.start_clock(ticket, ClockKind.CALLBACK)  # as routing's record_result does
    visit = visits_of(ticket)[0]
    assert local_of(visit.due_at) == datetime(2025, 10, 11, 9, 30)
    tries = [(2025, 10, 11, 9, 40), (2025, 10, 13, 14, 5), (2025, 10, 14, 8, 10)]
    dues = []
    for at in tries:
        with clock_at(local(*at)):
            callback_visits.record_outcome(visit, callback_visits.NOT_REACHED, operator, note="无人接听")
        db.session.commit()
        dues.append(local_of(visit.due_at))
    # Saturday morning missed -> Monday afternoon; afternoon missed -> Tuesday morning.
    assert dues[:2] == [datetime(2025, 10, 13, 14, 0), datetime(2025, 10, 14, 8, 0)]
    assert visit.status == FollowUpStatus.UNREACHABLE and visit.attempts == 3
    assert [a.outcome for a in visit.attempts_made] == ["not_reached"] * 3
    assert len(events(ticket, "callback_unreachable")) == 1
    assert callback_clock(ticket).state == ClockState.MET
    assert ticket.status == TicketStatus.RESOLVED
    with pytest.raises(callback_visits.VisitClosed):
        callback_visits.record_outcome(visit, callback_visits.SATISFIED, operator)


def test_satisfied_closes_the_visit_the_clock_and_the_case(handled, operator, local):
    ticket = handled()
    clocks.start_clock(ticket, ClockKind.CALLBACK)
    visit = visits_of(ticket)[0]
    with clock_at(local(2025, 10, 11, 15, 10)):
        callback_visits.record_outcome(visit, callback_visits.SATISFIED, operator, note="已退款")
    db.session.commit()
    assert (visit.status, visit.outcome, visit.attempts) == (FollowUpStatus.DONE, "satisfied", 1)
    assert ticket.status == TicketStatus.CLOSED and callback_clock(ticket).met_at == local(2025, 10, 11, 15, 10)


def test_unsatisfied_keeps_the_case_resolved_for_the_appeal(handled, operator):
    ticket = handled()
    visit = visits_of(ticket)[0]
    callback_visits.record_outcome(visit, callback_visits.UNSATISFIED, operator, note="只退了一半")
    db.session.commit()
    assert (visit.status, visit.outcome) == (FollowUpStatus.DONE, "unsatisfied")
    assert ticket.status == TicketStatus.RESOLVED


def test_a_case_reopened_before_its_visit_cancels_the_visit(handled):
    ticket = handled()
    tickets.change_status(ticket, TicketStatus.FORWARDED, reason="appeal")
    db.session.commit()
    assert visits_of(ticket)[0].status == FollowUpStatus.CANCELLED


def test_a_closed_case_reopened_cancels_its_low_score_visit(calendar_2025, create_ticket):
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.CLOSED)
    visit = callback_visits.schedule_visit(ticket, "low_score")
    tickets.change_status(ticket, TicketStatus.ACCEPTED, reason="appeal")
    db.session.commit()
    assert visit.status == FollowUpStatus.CANCELLED


def test_the_job_closes_exhausted_visits_once(app, handled):
    ticket = handled()
    visit = visits_of(ticket)[0]
    visit.attempts = 3  # e.g. CALLBACK_MAX_TRIES was lowered
    other = handled()
    db.session.execute(
        Ticket.__table__.update().where(Ticket.id == other.id).values(status=TicketStatus.ACCEPTED.value)
    )
    db.session.commit()
    db.session.expire_all()
    assert callback_visits.callback_visits_job() == {"due": 0, "unreachable": 1, "cancelled": 1}
    db.session.commit()
    assert callback_visits.callback_visits_job() == {"due": 0, "unreachable": 0, "cancelled": 0}
    assert visits_of(ticket)[0].status == FollowUpStatus.UNREACHABLE
    assert visits_of(other)[0].status == FollowUpStatus.CANCELLED


def test_retry_slots_stay_inside_split_opening_hours():
    spans = parse_hours("08:00-12:00,14:00-18:00")
    weekdays = calendar.weekday_rule
    assert visit_times.afternoon(spans) == 14 * 60  # the middle, 13:00, is the lunch break
    friday_morning = datetime(2025, 6, 13, 9, 0)
    assert visit_times.next_try(friday_morning, spans, weekdays) == (datetime(2025, 6, 16, 14, 0), False)
    assert visit_times.next_try(datetime(2025, 6, 16, 17, 0), spans, weekdays)[0] == datetime(2025, 6, 17, 8, 0)
    assert visit_times.first_try(datetime(2025, 6, 13, 12, 30), 3, spans, weekdays)[0] == datetime(2025, 6, 18, 8, 0)


def test_the_database_keeps_one_scheduled_visit_per_case(handled):
    from sqlalchemy.exc import IntegrityError

    ticket = handled()
    (visit,) = visits_of(ticket)
    db.session.add(FollowUp(ticket=ticket, status=FollowUpStatus.SCHEDULED, reason="low_score",
                            due_at=visit.due_at, attempts=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # A closed visit does not stand in the way of the next one.
    visit.status = FollowUpStatus.DONE
    db.session.commit()
    again = callback_visits.schedule_visit(ticket, "low_score")
    db.session.commit()
    assert again.id != visit.id and len(visits_of(ticket)) == 2
