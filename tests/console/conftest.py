"""Console fixtures: contacts in the queue or on a line, and a signed-in staff member."""

from datetime import timedelta

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction
from hotline.timeutil import now


@pytest.fixture
def make_call(app):
    """A voice Contact; `state` is waiting, answered (by `operator`), abandoned or ended."""

    def create(phone="+8613800138000", state="waiting", operator=None, ticket=None, waited=20, **fields):
        caller = tickets.find_or_create_caller(phone)
        queued = now() - timedelta(seconds=waited)
        call = Contact(
            channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller, from_number=caller.phone,
            to_number="+8610012315", queued_at=queued, ticket=ticket, **fields,
        )
        if state in ("answered", "ended"):
            call.answered_at, call.answered_by = queued + timedelta(seconds=5), operator
        if state == "abandoned":
            call.abandoned_at = now()
        if state == "ended":
            call.ended_at = now()
        db.session.add(call)
        db.session.commit()
        return call

    return create


@pytest.fixture
def signed_in(make_user, login):
    """Create a user with `role` (and department) and sign them in; returns the user."""

    def sign_in(role, **kwargs):
        user = make_user(role=role, **kwargs)
        login(user)
        return user

    return sign_in
