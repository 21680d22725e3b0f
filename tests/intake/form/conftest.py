"""Intake-form fixtures (clocks, categories, a signed-in operator, a call's case) and helpers."""

from datetime import timedelta

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, Role, TicketKind
from hotline.seeds import seed_categories
from hotline.timeutil import now
from tests.intake.form.helpers import CALLER


@pytest.fixture
def clocks():
    """The legal clocks (hotline.deadlines.clocks) the form starts and stops."""
    from hotline.deadlines import clocks

    return clocks


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
