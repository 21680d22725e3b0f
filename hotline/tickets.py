"""Ticket services: opening a case, numbering it, changing its status, recording history.

Every state change goes through here and writes a TicketEvent. Services flush; the view
or job that called them commits once.
"""

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from hotline import events, phones
from hotline.extensions import db
from hotline.models import (
    TRANSITIONS,
    Caller,
    CaseCounter,
    Channel,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import local_today, now


class IllegalTransition(ValueError):
    """A status change the case's lifecycle does not allow; nothing was changed."""

    def __init__(self, ticket, to):
        super().__init__(f"case {ticket.number} cannot go from {ticket.status} to {to}")
        self.from_status = ticket.status
        self.to_status = to


def new_sms_filter():
    """SMS cases nobody has taken up yet: the queue's "New SMS cases" and the wall's figure of
    the same name read this one condition, so the two always agree."""
    return and_(Ticket.channel == Channel.SMS, Ticket.status == TicketStatus.NEW)


def next_case_number(day=None):
    """Hand out the next number for a local day, e.g. 20261124-00042, atomically on both databases."""
    day = day or local_today(current_app.config["HOTLINE_TIMEZONE"])
    key = day.strftime("%Y%m%d")
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(CaseCounter)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": CaseCounter.last + 1})
        .returning(CaseCounter.last)
    )
    seq = db.session.execute(stmt).scalar_one()
    return f"{key}-{seq:05d}"


def record_event(ticket, type_, actor=None, **values):
    """Append one line to the case's history."""
    event = TicketEvent(ticket=ticket, type=type_, actor_id=getattr(actor, "id", None), **values)
    event.at = now()
    db.session.add(event)
    return event


def open_ticket(channel, caller=None, actor=None, kind=TicketKind.UNKNOWN, **fields):
    """Open a new case with a fresh number and a 'created' event."""
    ticket = Ticket(
        number=next_case_number(),
        channel=channel,
        caller=caller,
        kind=kind,
        status=TicketStatus.NEW,
        **fields,
    )
    db.session.add(ticket)
    record_event(ticket, "created", actor, to_value=str(channel))
    db.session.flush()
    events.send(events.ticket_created, ticket=ticket, actor=actor)
    return ticket


def change_status(ticket, to, actor=None, reason=None):
    """Move a case along its lifecycle, or raise IllegalTransition and change nothing."""
    to = TicketStatus(to)
    if to not in TRANSITIONS[ticket.status]:
        raise IllegalTransition(ticket, to)
    from_status = ticket.status
    record_event(ticket, "status", actor, from_value=from_status.value, to_value=to.value, reason=reason)
    ticket.status = to
    ticket.closed_at = None if ticket.is_open else now()
    db.session.flush()
    events.send(events.status_changed, ticket=ticket, from_status=from_status, to_status=to, actor=actor)
    return ticket


def update_fields(ticket, changes, actor=None, reason=None):
    """Apply field changes, each recorded as old -> new; unchanged fields write nothing."""
    changed = []
    for field, new in changes.items():
        old = getattr(ticket, field)
        if _same(old, new):
            continue
        record_event(ticket, "field", actor, field=field, from_value=_text(old), to_value=_text(new), reason=reason)
        setattr(ticket, field, new)
        changed.append(field)
    db.session.flush()
    return changed


def add_note(ticket, text, actor):
    """An operator's note on the timeline."""
    return record_event(ticket, "note", actor, to_value=text)


def find_or_create_caller(raw_phone):
    """The Caller for a number, created once even when two webhooks race for it."""
    phone = phones.normalise(raw_phone, current_app.config["DEFAULT_PHONE_REGION"])
    caller = db.session.scalar(select(Caller).where(Caller.phone == phone))
    if caller:
        return caller
    try:
        with db.session.begin_nested():
            caller = Caller(phone=phone)
            db.session.add(caller)
    except IntegrityError:
        caller = db.session.scalar(select(Caller).where(Caller.phone == phone))
    return caller


def _same(old, new):
    return _text(old) == _text(new)


def _text(value):
    if value is None:
        return None
    return str(getattr(value, "value", value))
