"""Console reads: the live queue, the operator's connected call, ticket lists and a
case's timeline. Services take arguments and return domain objects; they flush, never commit."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from hotline import access, tickets
from hotline.access import visible
from hotline.extensions import db
from hotline.models import (
    OPEN_STATUSES,
    Availability,
    Channel,
    Contact,
    Ticket,
    TicketEvent,
)
from hotline.search import paginate

QUEUE_LIMIT = 100


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "event", "contact", or "save": several field changes of one save
    item: object
    changes: list | None = None  # a save's field events, in the order they were written


# Field events of one actor closer than this belong to one save (one request writes them all
# within milliseconds); a supervisor reads "changed summary, demand, assignee" as one step.
SAVE_WINDOW_SECONDS = 2


def waiting_calls():
    """Voice contacts queued now and not yet answered, abandoned or ended, oldest first."""
    stmt = (
        select(Contact)
        .where(
            Contact.channel == Channel.VOICE,
            Contact.queued_at.is_not(None),
            Contact.answered_at.is_(None),
            Contact.abandoned_at.is_(None),
            Contact.ended_at.is_(None),
        )
        # A call reserved by an operator whose phone is ringing stays listed, shown as ringing.
        .options(selectinload(Contact.caller), selectinload(Contact.answered_by))
        .order_by(Contact.queued_at, Contact.id)
        .limit(QUEUE_LIMIT)
    )
    return list(db.session.scalars(stmt))


def new_sms_tickets():
    """SMS cases nobody has taken up yet, oldest first."""
    stmt = (
        select(Ticket)
        .where(tickets.new_sms_filter())
        .options(selectinload(Ticket.caller))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(QUEUE_LIMIT)
    )
    return list(db.session.scalars(stmt))


def current_call(user):
    """The call bridged to `user` right now that belongs to a case, or None."""
    stmt = (
        select(Contact)
        .where(
            Contact.answered_by_id == user.id,
            Contact.answered_at.is_not(None),
            Contact.ended_at.is_(None),
            Contact.ticket_id.is_not(None),
        )
        .options(selectinload(Contact.ticket))
        .order_by(Contact.answered_at.desc(), Contact.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def search_tickets(flt, user, page=1):
    """A page of tickets matching a TicketFilter, confined to what `user` may see."""
    return paginate(access.matching(flt, user), page)


def my_tickets(user, page=1):
    """Tickets assigned to `user`: open ones first, then newest first."""
    open_first = case((Ticket.status.in_(OPEN_STATUSES), 0), else_=1)
    stmt = select(Ticket).where(Ticket.assigned_to_id == user.id)
    stmt = visible(stmt, user).order_by(open_first, Ticket.created_at.desc(), Ticket.id.desc())
    return paginate(stmt, page)


def department_open_tickets(user, page=1):
    """The open cases of a department user's department, oldest first (their worklist)."""
    stmt = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
    stmt = visible(stmt, user).order_by(Ticket.created_at, Ticket.id)
    return paginate(stmt, page)


def timeline(ticket):
    """The case's history and its calls and messages, merged in time order."""
    events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).options(selectinload(TicketEvent.actor))
    )
    contacts = db.session.scalars(
        select(Contact).where(Contact.ticket_id == ticket.id).options(selectinload(Contact.answered_by))
    )
    entries = [TimelineEntry(e.at, "event", e) for e in events]
    entries += [TimelineEntry(c.created_at, "contact", c) for c in contacts]
    return group_saves(sorted(entries, key=_timeline_order))


def _timeline_order(entry):
    """Time to the second, the case's "created" first within it, then the exact time, events
    before contacts, id. A text or call is recorded a moment before the case it opens, and
    seconds are what the page shows: the case must open first in its own second."""
    created = entry.kind == "event" and entry.item.type == "created"
    return (entry.at.replace(microsecond=0), not created, entry.at, entry.kind != "event", entry.item.id)


def group_saves(entries):
    """Fold each run of field changes written by one actor, for one reason, at one moment into
    one "save" entry; a lone field change stays as it is."""
    grouped = []
    for entry in entries:
        last = grouped[-1] if grouped else None
        if _is_field(entry) and last is not None and _same_save(last, entry):
            if last.kind == "event":
                last = grouped[-1] = TimelineEntry(last.at, "save", last.item, [last.item])
            last.changes.append(entry.item)
            continue
        grouped.append(entry)
    return grouped


def _is_field(entry):
    return entry.kind == "event" and entry.item.type == "field"


def _same_save(last, entry):
    if last.kind not in ("event", "save") or last.item.type != "field":
        return False
    first, item = last.item, entry.item
    return (first.actor_id == item.actor_id and first.reason == item.reason
            and abs((item.at - first.at).total_seconds()) <= SAVE_WINDOW_SECONDS)


def set_availability(user, value):
    """Record whether an operator can take calls now."""
    user.availability = Availability(value)
    db.session.flush()
    return user
