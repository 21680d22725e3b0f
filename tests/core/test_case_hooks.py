"""Case events (hotline.events): features and outbound webhooks hear of new cases and status
changes in the same transaction, receivers in the order they were connected."""

import pytest

from hotline import events, tickets
from hotline.extensions import db
from hotline.models import AuditLog, Channel, TicketStatus


def test_receivers_hear_creation_and_each_status_change(app):
    heard = []

    def created(_app, ticket, actor):
        heard.append(("created", ticket.number))

    def changed(_app, ticket, from_status, to_status, actor):
        heard.append((from_status.value, to_status.value))

    with events.ticket_created.connected_to(created, sender=app), \
            events.status_changed.connected_to(changed, sender=app):
        ticket = tickets.open_ticket(Channel.VOICE)
        tickets.change_status(ticket, TicketStatus.ACCEPTED)
        tickets.change_status(ticket, TicketStatus.CLOSED)
    assert heard == [("created", ticket.number), ("new", "accepted"), ("accepted", "closed")]


def test_what_a_receiver_writes_rolls_back_with_the_change(app):
    def write_audit(_app, ticket, from_status, to_status, actor):
        db.session.add(AuditLog(action="hook_saw", target_type="ticket", target_id=str(ticket.id)))

    ticket = tickets.open_ticket(Channel.VOICE)
    db.session.commit()
    with events.status_changed.connected_to(write_audit, sender=app):
        tickets.change_status(ticket, TicketStatus.ACCEPTED)
        db.session.rollback()
    assert db.session.query(AuditLog).filter_by(action="hook_saw").count() == 0
    assert db.session.get(type(ticket), ticket.id).status == TicketStatus.NEW


def test_an_illegal_change_reaches_no_receiver(app):
    heard = []

    def changed(_app, **kwargs):
        heard.append(kwargs)

    with events.status_changed.connected_to(changed, sender=app):
        ticket = tickets.open_ticket(Channel.VOICE)
        with pytest.raises(tickets.IllegalTransition):
            tickets.change_status(ticket, TicketStatus.RESOLVED)
    assert heard == []


def test_another_app_does_not_hear_this_apps_cases(app_factory):
    first, second = app_factory(), app_factory()
    heard = []

    def created(sender, ticket, actor):
        heard.append(sender)

    with events.ticket_created.connected_to(created, sender=second):
        with first.app_context():
            tickets.open_ticket(Channel.VOICE)
            db.session.rollback()
        assert heard == []
        with second.app_context():
            tickets.open_ticket(Channel.VOICE)
            db.session.rollback()
    assert heard == [second]


def test_an_sms_is_offered_in_order_and_the_first_taker_wins(app):
    asked = []

    def declines(_app, contact):
        asked.append("declines")

    def takes(_app, contact):
        asked.append("takes")
        return "the case"

    def never_asked(_app, contact):
        asked.append("never asked")
        return "another case"

    offer = events.signals.signal("test-offer")
    for receiver in (declines, takes, never_asked):
        offer.connect(receiver, sender=app)
    assert events.first_taker(offer, contact=None) == "the case"
    assert asked == ["declines", "takes"]


def test_the_survey_answer_is_offered_before_the_appeal_word(app):
    from followup import surveys
    from routing import referrals

    receivers = list(events.sms_received.receivers_for(app))
    assert receivers.index(surveys.on_sms_received) < receivers.index(referrals.on_sms_received)
