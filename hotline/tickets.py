"""Ticket services: opening a case, numbering it, changing its status, recording history.

Every state change goes through here and writes a TicketEvent. Services flush; the view
or job that called them commits once.
"""

import json

from flask import current_app
from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from hotline import events, inputs, phones
from hotline.extensions import db
from hotline.models import (
    TRANSITIONS,
    Caller,
    CaseCounter,
    Channel,
    Contact,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import local_today, now

# The hot path's statements, built once: Core INSERTs on the tables, executed with a parameter
# dict (SQLAlchemy compiles one per set of keys and caches it), so no ORM-enabled INSERT has its
# values rebuilt per request. Plain RETURNING <columns>; `adopt` turns the row into the entity.
_INSERT_TICKET = insert(Ticket.__table__).returning(*Ticket.__table__.c)
_INSERT_EVENT = insert(TicketEvent.__table__)
_BY_DIALECT = {}  # dialect name -> {statement name: statement}, the upserts each dialect spells


def dialect_statements():
    """The current bind's dialect-specific statements, built on first use and kept."""
    name = db.session.get_bind().dialect.name
    built = _BY_DIALECT.get(name)
    if built is None:
        dialect = postgresql if name == "postgresql" else sqlite
        counters, callers = CaseCounter.__table__, Caller.__table__
        built = _BY_DIALECT[name] = {
            "caller": dialect.insert(callers).values(phone=bindparam("phone"))
            .on_conflict_do_nothing(index_elements=["phone"]).returning(*callers.c),
            "case_counter": dialect.insert(counters)
            .values(day=bindparam("day"), last=1)
            .on_conflict_do_update(index_elements=["day"], set_={"last": counters.c.last + 1})
            .returning(counters.c.last),
            "contact": _contact_insert(dialect),
        }
    return built


def _contact_insert(dialect):
    contacts = Contact.__table__
    return dialect.insert(contacts).on_conflict_do_nothing(index_elements=["sid"]).returning(*contacts.c)


def adopt(row, model=Ticket):
    """The persistent `model` object for a row an INSERT ... RETURNING <all its columns> gave back,
    put in the session without a SELECT: its attributes are the row's, loaded and unchanged
    (relationships load lazily as usual)."""
    obj = model(**row._mapping)
    make_transient_to_detached(obj)
    stale = db.session.identity_map.get(obj._sa_instance_state.key)
    if stale is not None:
        # An id used again after a delete (tests empty tables): the old row's object goes.
        db.session.expunge(stale)
    db.session.add(obj)
    return obj


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


# Cases filed without anyone on the line: the web form, the REST API and Open311 requests.
WRITTEN_CHANNELS = (Channel.WEB, Channel.API, Channel.OPEN311)


def new_written_filter():
    """Cases filed on the web form, through the API or Open311 that nobody has taken up yet
    (complete or kept incomplete): the queue's "New web and API cases"."""
    return and_(Ticket.channel.in_(WRITTEN_CHANNELS), Ticket.status == TicketStatus.NEW)


_MISSING_COUNTERS = "hotline.missing_counters"


def add_missing_counter(app, counter):
    """`counter(ticket)` -> how many things the case still needs before it can be taken further
    (intake: the fields acceptance demands); the queue shows missing_count beside a new case."""
    app.extensions.setdefault(_MISSING_COUNTERS, []).append(counter)


def missing_count(ticket):
    return sum(counter(ticket) for counter in current_app.extensions.get(_MISSING_COUNTERS, []))


def next_case_number(day=None):
    """Hand out the next number for a local day, e.g. 20261124-00042, atomically on both databases."""
    day = day or local_today(current_app.config["HOTLINE_TIMEZONE"])
    key = day.strftime("%Y%m%d")
    seq = db.session.execute(dialect_statements()["case_counter"], {"day": key}).scalar_one()
    return f"{key}-{seq:05d}"


def record_event(ticket, type_, actor=None, **values):
    """Append one line to the case's history."""
    event = TicketEvent(ticket=ticket, type=type_, actor_id=getattr(actor, "id", None), **values)
    event.at = now()
    db.session.add(event)
    return event


def open_ticket(channel, caller=None, actor=None, kind=TicketKind.UNKNOWN, **fields):
    """Open a new case with a fresh number and a 'created' event: one INSERT ... RETURNING for the
    case (adopted as a persistent Ticket, no unit-of-work flush, no SELECT) and one plain INSERT
    for the event, both statements built once.
    `fields` are Ticket attributes; a relationship (category=...) is stored by its id."""
    relationships = Ticket.__mapper__.relationships
    for key, value in fields.items():  # an object a field names that is not saved yet is saved
        if key in relationships and value is not None and value not in db.session:
            db.session.add(value)  # as the relationship's cascade would have done
    db.session.flush()  # so every object a field names has its id; nothing to do usually
    moment = now()
    values = {
        "number": next_case_number(), "channel": channel, "caller_id": getattr(caller, "id", None),
        "kind": kind, "status": TicketStatus.NEW, "created_at": moment, "updated_at": moment,
        **_column_values(fields),
    }
    inputs.check_lengths(Ticket, values)  # what the flush-time check would have refused
    ticket = adopt(db.session.execute(_INSERT_TICKET, values).one())
    db.session.execute(_INSERT_EVENT, {
        "ticket_id": ticket.id, "type": "created", "actor_id": getattr(actor, "id", None),
        "to_value": str(channel), "at": moment,
    })
    events.send(events.ticket_created, ticket=ticket, actor=actor)
    return ticket


def _column_values(fields):
    relationships = Ticket.__mapper__.relationships
    values = {}
    for key, value in fields.items():
        if key in relationships:
            (column,) = relationships[key].local_columns
            key, value = column.key, getattr(value, "id", None)
        values[key] = value
    return values


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


MAX_NOTE = 4000  # the longest note on a case's timeline (the console's form and the API)


def add_note(ticket, text, actor):
    """A note on the case's timeline (operators, supervisors, the department handling it)."""
    return record_event(ticket, "note", actor, to_value=text)


def find_or_create_caller(raw_phone):
    """The Caller for a number, created once even when two webhooks race for it."""
    return claim_caller(raw_phone, lock=False)[0]


def claim_caller(raw_phone, lock=True):
    """(caller, new): the Caller for a number, inserted if never seen (new=True), else read.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING for a new number; a known one is then read,
    with its row lock on PostgreSQL (`lock`): texts and calls from one number are handled one
    after another, and no foreign-key share lock taken first can deadlock the upgrade. A number
    inserted by a transaction still running makes the INSERT wait for it, then read its row."""
    phone = phones.normalise(raw_phone, current_app.config["DEFAULT_PHONE_REGION"])
    # A Core statement built once and its row adopted: the ORM-enabled INSERT ... RETURNING Caller
    # cost a quarter of a new texter's webhook (bench/README.md, 2026-12-07).
    row = db.session.execute(dialect_statements()["caller"], {"phone": phone}).one_or_none()
    if row is not None:
        return adopt(row, Caller), True
    query = select(Caller).where(Caller.phone == phone)
    return db.session.scalar(query.with_for_update() if lock else query), False


def _same(old, new):
    return _text(old) == _text(new)


def _text(value):
    if value is None:
        return None
    if isinstance(value, dict):  # a category's answers: JSON, which the history reads back
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(getattr(value, "value", value))
