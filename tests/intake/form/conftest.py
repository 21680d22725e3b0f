"""Intake-form fixtures (clocks, categories, a signed-in operator, a call's case) and helpers."""

import sys
import types
from datetime import timedelta

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Clock, ClockState, Contact, Direction, Role, TicketKind
from hotline.seeds import seed_categories
from hotline.timeutil import now
from tests.intake.form.helpers import CALLER


def _real_clocks():
    try:
        import hotline.deadlines.clocks  # noqa: F401
    except ImportError:
        return False
    return True


def _stand_in_clocks():
    """hotline.deadlines.clocks as WAVE2.md's contract describes it, until the follow-up engineer's lands."""
    module = types.ModuleType("followup.clocks")

    def start_clock(ticket, kind, start=None, actor=None):
        start = start or now()
        clock = Clock(ticket_id=ticket.id, kind=kind, state=ClockState.RUNNING, started_at=start,
                      due_at=start + timedelta(days=9))
        db.session.add(clock)
        tickets.record_event(ticket, "clock_started", actor, to_value=str(kind))
        db.session.flush()
        return clock

    def cancel_clocks(ticket, actor=None, reason=None):
        for clock in db.session.query(Clock).filter_by(ticket_id=ticket.id, state=ClockState.RUNNING):
            clock.state = ClockState.CANCELLED
        db.session.flush()

    module.start_clock, module.cancel_clocks = start_clock, cancel_clocks
    return module


@pytest.fixture
def clocks(monkeypatch):
    """The follow-up clocks: the real module if present, else the contract's stand-in."""
    if _real_clocks():
        import hotline.deadlines.clocks as real

        return real
    import followup

    module = _stand_in_clocks()
    monkeypatch.setitem(sys.modules, "followup.clocks", module)
    monkeypatch.setattr(followup, "clocks", module, raising=False)
    return module


@pytest.fixture
def intake_world(app, clocks):
    """Categories seeded (the form's selects need them) and the clocks ready."""
    seed_categories()
    db.session.commit()
    return app


def english(user):
    """Assertions read the English msgids: the UI is Chinese by default."""
    user.locale = "en"
    db.session.commit()
    return user


@pytest.fixture
def operator(intake_world, make_user, login):
    user = english(make_user(role=Role.OPERATOR))
    login(user)
    return user


@pytest.fixture
def call_ticket(intake_world):
    """A case opened by a call, not yet classified, with the operator's call on it."""

    def create(operator=None, phone=CALLER, ended=True, channel=Channel.VOICE, sms=None):
        caller = tickets.find_or_create_caller(phone)
        ticket = tickets.open_ticket(channel, caller=caller, kind=TicketKind.UNKNOWN)
        if channel == Channel.VOICE:
            start = now() - timedelta(minutes=5)
            db.session.add(Contact(
                channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller, ticket=ticket,
                from_number=phone, queued_at=start, answered_at=start + timedelta(seconds=10),
                answered_by=operator, ended_at=now() - timedelta(minutes=1) if ended else None,
            ))
        if sms:
            db.session.add(Contact(channel=Channel.SMS, direction=Direction.INBOUND, caller=caller, ticket=ticket,
                                   from_number=phone, body=sms))
        db.session.commit()
        return ticket

    return create
