"""Case numbers, the lifecycle, and the append-only history."""

from datetime import date

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import AppendOnlyError, Caller, Channel, TicketEvent, TicketStatus


def test_case_numbers_are_dated_sequential_and_restart_each_day(app):
    first = tickets.next_case_number(date(2026, 11, 24))
    second = tickets.next_case_number(date(2026, 11, 24))
    other_day = tickets.next_case_number(date(2026, 11, 25))
    assert (first, second, other_day) == ("20261124-00001", "20261124-00002", "20261125-00001")


def test_a_number_is_never_reused_even_after_its_ticket_is_deleted(app, create_ticket):
    ticket = create_ticket()
    used = ticket.number
    db.session.execute(db.delete(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    db.session.delete(ticket)
    db.session.commit()
    assert create_ticket().number != used


def test_opening_a_ticket_records_a_created_event(app, create_ticket):
    ticket = create_ticket(channel=Channel.SMS)
    events = ticket.events.all()
    assert [(e.type, e.to_value) for e in events] == [("created", "sms")]
    assert ticket.status == TicketStatus.NEW


def test_allowed_transition_is_recorded_with_actor_and_reason(app, create_ticket, make_user):
    operator = make_user()
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.ACCEPTED, actor=operator, reason="all facts present")
    db.session.commit()
    event = ticket.events.all()[-1]
    assert (event.type, event.from_value, event.to_value) == ("status", "new", "accepted")
    assert event.actor_id == operator.id and event.reason == "all facts present"


def test_illegal_transition_is_refused_and_changes_nothing(app, create_ticket):
    ticket = create_ticket()
    with pytest.raises(tickets.IllegalTransition, match="cannot go from new to resolved"):
        tickets.change_status(ticket, TicketStatus.RESOLVED)
    db.session.rollback()
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW
    assert ticket.events.count() == 1


def test_closing_sets_closed_at_and_reopening_clears_it(app, create_ticket):
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.CLOSED)
    assert ticket.closed_at is not None
    tickets.change_status(ticket, TicketStatus.ACCEPTED, reason="appeal")
    assert ticket.closed_at is None


def test_events_cannot_be_edited_or_deleted(app, create_ticket):
    event = create_ticket().events.first()
    event.reason = "rewritten history"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(TicketEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()


def test_field_changes_record_old_and_new_values_only_when_they_change(app, create_ticket):
    ticket = create_ticket(respondent_name="甲商店")
    changed = tickets.update_fields(ticket, {"respondent_name": "乙商店", "facts": None})
    assert changed == ["respondent_name"]
    event = ticket.events.all()[-1]
    assert (event.field, event.from_value, event.to_value) == ("respondent_name", "甲商店", "乙商店")


def test_one_caller_per_number_whatever_its_spelling(app):
    a = tickets.find_or_create_caller("138 0013 8000")
    b = tickets.find_or_create_caller("+86 138-0013-8000")
    db.session.commit()
    assert a.id == b.id and a.phone == "+8613800138000"
    assert db.session.scalar(select(db.func.count(Caller.id))) == 1


def test_optimistic_version_detects_a_concurrent_edit(app, create_ticket):
    from sqlalchemy.orm.exc import StaleDataError

    ticket = create_ticket()
    # Another operator saved meanwhile: the row moved on behind this session's back.
    db.session.execute(db.text("UPDATE tickets SET version = 99 WHERE id = :id"), {"id": ticket.id})
    ticket.facts = "my edit"
    with pytest.raises(StaleDataError):
        db.session.flush()


def test_back_dated_history_carries_the_time_each_step_happened(app):
    from datetime import datetime

    from hotline.timeutil import clock_at

    with clock_at(datetime(2025, 9, 30, 2, 0)):
        ticket = tickets.open_ticket(Channel.VOICE)
    with clock_at(datetime(2025, 10, 9, 1, 0)):
        tickets.change_status(ticket, TicketStatus.ACCEPTED)
    db.session.commit()
    assert ticket.created_at == datetime(2025, 9, 30, 2, 0)
    assert ticket.number.startswith("20250930-")  # the local date of receipt
    assert [e.at for e in ticket.events] == [datetime(2025, 9, 30, 2, 0), datetime(2025, 10, 9, 1, 0)]


def test_demo_timelines_run_forward_in_time(app):
    from hotline.demo import seed_demo
    from hotline.models import Ticket

    seed_demo(n_cases=12)
    db.session.commit()
    for ticket in db.session.scalars(select(Ticket)):
        times = [e.at for e in ticket.events]
        assert times == sorted(times) and times[0] == ticket.created_at, ticket.number


def test_a_savepoint_before_any_write_is_undone_by_a_later_rollback(app):
    # find_or_create_caller writes inside a savepoint; if the request then fails, nothing stays.
    tickets.find_or_create_caller("+8613800000001")
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Caller.id))) == 0
