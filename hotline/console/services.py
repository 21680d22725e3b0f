"""Console reads: the live queue, the operator's connected call, ticket lists and a
case's timeline. Services take arguments and return domain objects; they flush, never commit."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased, selectinload

from hotline import access, live, tickets
from hotline import calls as hotline_calls
from hotline.access import visible
from hotline.extensions import db
from hotline.models import (
    OPEN_STATUSES,
    Availability,
    Caller,
    Channel,
    Contact,
    Role,
    Ticket,
    TicketEvent,
    User,
)
from hotline.search import paginate
from hotline.timeutil import now

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


@dataclass(frozen=True)
class WaitingCall:
    id: int
    phone: str
    name: str
    menu_choice: str | None
    queued_at: datetime
    ringing: str | None  # the operator whose phone rings for it (reserved), by name


@dataclass(frozen=True)
class NewSms:
    number: str
    name: str
    phone: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class NewCase:
    """A case filed in writing (web form, API, Open311) waiting to be taken up."""

    number: str
    channel: str
    kind: str | None
    name: str
    phone: str | None
    text: str
    missing: int  # what acceptance still needs (tickets.missing_count), 0 when nothing or not known
    created_at: datetime


@dataclass(frozen=True)
class OwnCall:
    state: str  # hotline.calls.LIVE or AFTER_CALL
    id: int
    pop: dict | None  # {"id", "ticket", "url"}: a live call on a case opens that case
    held: bool = False  # the caller is on hold


@dataclass(frozen=True)
class QueueSnapshot:
    """The live queue as plain data: what the queue panel, the call pop, the waiting badge and
    the wall read, built once per LIVE_SNAPSHOT_SECONDS per worker (hotline/live.py)."""

    at: datetime
    calls: tuple  # WaitingCall, oldest first, at most QUEUE_LIMIT
    waiting: int  # all callers waiting (the list may be cut at QUEUE_LIMIT)
    oldest_queued_at: datetime | None
    sms: tuple  # NewSms, oldest first, at most QUEUE_LIMIT
    new_sms: int
    oldest_sms_at: datetime | None
    written: tuple  # NewCase, oldest first, at most QUEUE_LIMIT
    new_written: int
    oldest_written_at: datetime | None
    own: dict  # {user id: OwnCall} of call-takers on a call or in after-call work
    signature: str  # changes when anything shown changes (not with the clock): the panel's ETag


def queue_snapshot():
    """The live queue now, as this worker's readers share it (a QueueSnapshot)."""
    return shared_queue().value


def shared_queue():
    """The live.Snapshot holding the QueueSnapshot, with what readers rendered of it."""
    return live.get("queue", build_queue_snapshot)


def panel_etag(snap, role, availability, locale):
    """The queue panel's ETag for a kind of reader: the view and the poll's fast path
    (hotline/console/fastpoll.py) must agree on it to the character."""
    return f"{snap.signature}-{role}-{availability}-{locale}"


def call_news(snap, user_id):
    """What console.js pops and badges for `user_id` (/queue/current-call, the panel's X-Call-News)."""
    own = snap.own.get(user_id)
    return {"call": own.pop if own else None, "waiting": snap.waiting,
            "state": hotline_calls.bar_token(own.state, own.id, own.held) if own else ""}


def build_queue_snapshot(at=None):
    at = at or now()
    calls = _waiting_calls()
    waiting, oldest = len(calls), calls[0].queued_at if calls else None
    if waiting >= QUEUE_LIMIT:
        waiting, oldest = _count_oldest(_waiting_filter(), Contact.id, Contact.queued_at)
    sms = _new_sms()
    new_sms, oldest_sms = len(sms), sms[0].created_at if sms else None
    if new_sms >= QUEUE_LIMIT:
        new_sms, oldest_sms = _count_oldest(tickets.new_sms_filter(), Ticket.id, Ticket.created_at)
    written = _new_written()
    new_written, oldest_written = len(written), written[0].created_at if written else None
    if new_written >= QUEUE_LIMIT:
        new_written, oldest_written = _count_oldest(tickets.new_written_filter(), Ticket.id, Ticket.created_at)
    own = _own_calls(at)
    shown = (calls, waiting, oldest, sms, new_sms, oldest_sms, written, new_written, oldest_written,
             sorted(own.items()))
    signature = hashlib.blake2b(repr(shown).encode(), digest_size=12).hexdigest()
    return QueueSnapshot(at, calls, waiting, oldest, sms, new_sms, oldest_sms, written, new_written,
                         oldest_written, own, signature)


def _waiting_filter():
    """Voice contacts queued now and not yet answered, abandoned or ended (a call reserved by an
    operator whose phone is ringing stays listed, shown as ringing)."""
    return and_(Contact.channel == Channel.VOICE, Contact.queued_at.is_not(None), Contact.answered_at.is_(None),
                Contact.abandoned_at.is_(None), Contact.ended_at.is_(None))


def _count_oldest(condition, id_column, at_column):
    return tuple(db.session.execute(select(func.count(id_column), func.min(at_column)).where(condition)).one())


def _waiting_calls():
    ringing = aliased(User)
    rows = db.session.execute(
        select(Contact.id, Caller.phone, Contact.from_number, Caller.name, Contact.menu_choice, Contact.queued_at,
               ringing.display_name, Contact.answered_by_id)
        .outerjoin(Caller, Caller.id == Contact.caller_id)
        .outerjoin(ringing, ringing.id == Contact.answered_by_id)
        .where(_waiting_filter())
        .order_by(Contact.queued_at, Contact.id)
        .limit(QUEUE_LIMIT))
    return tuple(WaitingCall(r.id, r.phone or r.from_number or "", r.name or "", r.menu_choice, r.queued_at,
                             (r.display_name or "") if r.answered_by_id else None) for r in rows)


def _new_sms():
    rows = db.session.execute(
        select(Ticket.number, Caller.name, Caller.phone, Ticket.summary, Ticket.facts, Ticket.created_at)
        .outerjoin(Caller, Caller.id == Ticket.caller_id)
        .where(tickets.new_sms_filter())
        .order_by(Ticket.created_at, Ticket.id)
        .limit(QUEUE_LIMIT))
    return tuple(NewSms(r.number, r.name or "", r.phone, access.summary_for(r, True), r.created_at)
                 for r in rows)


def _new_written():
    # Whole cases (at most QUEUE_LIMIT, once per snapshot, not per reader): what is missing
    # is the intake feature's rule, read off the case as its lists read it.
    cases = db.session.scalars(
        select(Ticket).options(selectinload(Ticket.caller), selectinload(Ticket.category))
        .where(tickets.new_written_filter())
        .order_by(Ticket.created_at, Ticket.id)
        .limit(QUEUE_LIMIT))
    return tuple(NewCase(t.number, t.channel.value, t.kind.value if t.kind else None,
                         t.complainant_name or (t.caller.name if t.caller else "") or "",
                         access.reachable_phone(t), access.summary_for(t, True),
                         tickets.missing_count(t), t.created_at)
                 for t in cases)


def _own_calls(at):
    """{user id: OwnCall} for every active call-taker whose last answered call is live or in
    after-call work, by hotline.calls.own_call's rule, in two statements for all of them (three
    when a live call has a case to open)."""
    takers = list(db.session.scalars(select(User.id).where(
        User.active.is_(True), User.role.in_([Role.OPERATOR, Role.SUPERVISOR]))))
    if not takers:
        return {}
    # A call answered before this window is neither live nor in after-call work (unless it
    # lasted over ON_CALL_HOURS, which the wall does not count as on a call either).
    since = at - timedelta(hours=hotline_calls.ON_CALL_HOURS, minutes=hotline_calls.WRAPUP_MINUTES)
    latest = hotline_calls.latest_answered(takers, since)
    rows = db.session.execute(
        select(Contact.id, Contact.answered_by_id, Contact.answered_at, Contact.ended_at, Contact.wrapup_reason,
               Contact.ticket_id, Contact.held_at)
        .join(latest, and_(Contact.answered_by_id == latest.c.answered_by_id, Contact.answered_at == latest.c.at))
        .order_by(Contact.id))
    last = {r.answered_by_id: r for r in rows}  # ordered by id: a tie goes to the later row, as own_call
    states = {uid: (hotline_calls.call_state(r.answered_at, r.ended_at, r.wrapup_reason, at), r)
              for uid, r in last.items()}
    states = {uid: (state, r) for uid, (state, r) in states.items() if state}
    pops = {r.ticket_id for state, r in states.values() if state == hotline_calls.LIVE and r.ticket_id}
    cases = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(pops)))} if pops else {}
    own = {}
    for uid, (state, r) in states.items():
        case_ = cases.get(r.ticket_id) if state == hotline_calls.LIVE else None
        pop = {"id": r.id, "ticket": case_.number, "url": hotline_calls.case_url(case_)} if case_ else None
        own[uid] = OwnCall(state, r.id, pop, r.held_at is not None)
    return own


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
