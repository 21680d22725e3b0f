"""Case hooks: features and webhooks hear of new cases and status changes in the same transaction."""

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import AuditLog, Channel, TicketStatus


def test_hooks_hear_creation_and_each_status_change(app):
    heard = []
    app.extensions["ticket_created_hooks"].append(lambda ticket, actor: heard.append(("created", ticket.number)))
    app.extensions["ticket_status_hooks"].append(
        lambda ticket, old, new, actor: heard.append((old.value, new.value))
    )
    ticket = tickets.open_ticket(Channel.VOICE)
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    tickets.change_status(ticket, TicketStatus.CLOSED)
    assert heard == [("created", ticket.number), ("new", "accepted"), ("accepted", "closed")]


def test_what_a_hook_writes_rolls_back_with_the_change(app):
    def write_audit(ticket, old, new, actor):
        db.session.add(AuditLog(action="hook_saw", target_type="ticket", target_id=str(ticket.id)))

    ticket = tickets.open_ticket(Channel.VOICE)
    db.session.commit()
    app.extensions["ticket_status_hooks"].append(write_audit)
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    db.session.rollback()
    assert db.session.query(AuditLog).filter_by(action="hook_saw").count() == 0
    assert db.session.get(type(ticket), ticket.id).status == TicketStatus.NEW


def test_an_illegal_change_reaches_no_hook(app):
    heard = []
    app.extensions["ticket_status_hooks"].append(lambda *args: heard.append(args))
    ticket = tickets.open_ticket(Channel.VOICE)
    with pytest.raises(tickets.IllegalTransition):
        tickets.change_status(ticket, TicketStatus.RESOLVED)
    assert heard == []
