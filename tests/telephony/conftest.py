"""Fixtures for the Twilio webhooks (voice and SMS) and the outbox. Add, don't change."""

import secrets

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage

CALLER = "+8613800138000"
HOTLINE_NUMBER = "+8610012315"


def message_sid():
    """A fresh MessageSid shaped like Twilio's."""
    return "SM" + secrets.token_hex(16)


@pytest.fixture
def inbound_sms(twilio_post):
    """Text the hotline as Twilio would deliver it: inbound_sms(body, from_=..., sid=..., **params)."""

    def send(body, from_=CALLER, sid=None, **params):
        form = {"MessageSid": sid or message_sid(), "AccountSid": "AC" + "0" * 32,
                "From": from_, "To": HOTLINE_NUMBER, "Body": body, "NumMedia": "0", **params}
        return twilio_post("/twilio/sms", form)

    return send


@pytest.fixture
def outbox_rows(app):
    """The outbox as it stands, oldest first (optionally only rows to one number)."""

    def rows(to=None):
        db.session.expire_all()
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.to == to)
        return db.session.scalars(query).all()

    return rows


class FakeSender:
    """An in-process Twilio: records what it sent; `failures` lists what the next sends raise."""

    def __init__(self, failures=()):
        self.failures = list(failures)
        self.sent = []

    def send(self, message):
        if self.failures:
            failure = self.failures.pop(0)
            if failure is not None:
                raise failure
        self.sent.append((message.id, message.to, message.body))
        return message_sid()


@pytest.fixture
def fake_sender():
    return FakeSender()
