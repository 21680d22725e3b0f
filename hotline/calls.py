"""Call services: a voice call's Contact and Ticket from the first webhook to the last callback.

Services flush; the webhook or view that called them commits once. The call-centre figures
(offered, answered, abandoned, ASA, AHT) are read later from the Contact alone, so every
callback here only ever moves a call forward: Twilio's callbacks arrive in any order.
"""

import logging
import re
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from hotline import audit, opening_hours, phones, tickets
from hotline.extensions import db
from hotline.models import (
    Availability,
    Caller,
    Channel,
    Contact,
    Direction,
    Ticket,
    TicketEvent,
    TicketKind,
)
from hotline.timeutil import now, to_local

log = logging.getLogger(__name__)

MENU_KINDS = {"1": TicketKind.COMPLAINT, "2": TicketKind.REPORT, "3": TicketKind.CONSULTATION}
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
_STATUS_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3}
CALL_STATUSES = frozenset(_STATUS_RANK) | FINAL_STATUSES
# Ticket events that put a case on the callback list, and the one that takes it off.
CALLBACK_REQUESTS = ("voicemail", "callback_requested")
CALLBACK_DONE = "callback_done"
MAX_CALLBACK_NOTE = 500  # what the operator says of how the callback went (the API's "note")
MAX_BLOCK_PHONE, MAX_BLOCK_REASON = 40, 200  # the block list's fields (console form and API)
# The audit action of a ringing call an operator did not pick up (counted in the call report).
MISSED_OFFER = "offer_missed"
_CASE_DIGITS = re.compile(r"^\d{13}$")


def find_call(sid):
    """The voice Contact for a CallSid, or None."""
    return db.session.scalar(select(Contact).where(Contact.sid == sid, Contact.channel == Channel.VOICE))


def receive_call(sid, from_raw, to):
    """The Contact of an incoming call with its new Ticket, created once per CallSid
    (a blocked caller gets a Contact and no ticket). A new call's Contact comes back as its
    inserted row (the columns as attributes, e.g. .id, .blocked, .ticket_id), a repeat's as the
    Contact found.

    The caller row comes first (inserted, or read and locked): a retry of the same CallSid
    queues behind the first and then finds its Contact. A number never seen cannot have a
    Contact yet, so that look-up is skipped for it."""
    caller, new = _caller_or_anonymous(from_raw)
    if not new:
        found = find_call(sid)
        if found:
            return found
    blocked = caller is not None and caller.blocked_at is not None
    values = dict(
        sid=sid, channel=Channel.VOICE, direction=Direction.INBOUND, caller_id=getattr(caller, "id", None),
        from_number=caller.phone if caller else from_raw[:32], to_number=to[:32], status="ringing", blocked=blocked,
    )
    if blocked:
        values.update(ended_at=now(), end_reason="blocked")
    else:
        values["ticket_id"] = tickets.open_ticket(Channel.VOICE, caller=caller).id
    # The statement built once per dialect; the row is returned as it is (voice.incoming reads
    # only .blocked), no Contact object made for it.
    contact = db.session.execute(tickets.dialect_statements()["contact"], values).one_or_none()
    if contact is None:  # an anonymous call's retry, which no caller row lock queued: undo the case
        db.session.rollback()
        return find_call(sid)
    return contact


def _caller_or_anonymous(from_raw):
    """(caller, new) as tickets.claim_caller; (None, False) for a number that is not one."""
    try:
        return tickets.claim_caller(from_raw)
    except phones.InvalidPhone:
        log.info("voice call from unusable number %r: taken as anonymous", from_raw[:40])
        return None, False


def is_open_now(at=None):
    """Whether operators answer calls now (config OPENING_HOURS, OPEN_ON_HOLIDAYS)."""
    config = current_app.config
    local = to_local(at or now(), config["HOTLINE_TIMEZONE"]).replace(tzinfo=None)
    try:
        return opening_hours.is_open(
            local, config.get("OPENING_HOURS", "08:00-20:00"),
            open_on_holidays=config.get("OPEN_ON_HOLIDAYS", False),
        )
    except opening_hours.BadHours:
        # A typo in the setting must not turn callers away: answer, and say so in the log.
        log.exception("OPENING_HOURS is unusable; treating the hotline as open")
        return True


def choose_kind(contact, digit):
    """The caller pressed a menu key: classify the case by it."""
    kind = MENU_KINDS.get(digit, TicketKind.UNKNOWN)
    contact.menu_choice = kind.value
    if contact.ticket is not None:
        tickets.update_fields(contact.ticket, {"kind": kind}, reason="voice menu")
    db.session.flush()
    return kind


def case_number_from_digits(digits):
    """13 keyed digits YYYYMMDDNNNNN as the case number 'YYYYMMDD-NNNNN', or None."""
    digits = (digits or "").strip()
    return f"{digits[:8]}-{digits[8:]}" if _CASE_DIGITS.match(digits) else None


def ticket_of_caller(contact, number):
    """The case `number` when it belongs to this call's caller, else None (never someone else's)."""
    if contact.caller_id is None or number is None:
        return None
    return db.session.scalar(
        select(Ticket).where(Ticket.number == number, Ticket.caller_id == contact.caller_id)
    )


def enqueue(contact):
    """The caller joins the operator queue (once: a retried webhook keeps the first time)."""
    if contact.queued_at is None:
        contact.queued_at = now()
        contact.menu_choice = contact.menu_choice or TicketKind.UNKNOWN.value
    db.session.flush()
    return contact


def record_queue_result(contact, result, queue_time=None):
    """Enqueue's action callback: how the caller left the queue; an answered call stays answered."""
    if contact.answered_at is not None:
        return contact
    contact.queue_result = result[:32]
    if result == "hangup":
        contact.abandoned_at = contact.abandoned_at or now()
        contact.queue_seconds = queue_time if queue_time is not None else _seconds_since(contact.queued_at, contact.abandoned_at)
        _release_claim(contact)
    db.session.flush()
    return contact


def record_status(contact, status, at=None):
    """The call status callback: never move a call backwards; a final status ends it."""
    if _rank(status) < _rank(contact.status):
        return contact
    contact.status = status
    if status in FINAL_STATUSES and contact.ended_at is None:
        _end(contact, status, at or now())
    db.session.flush()
    return contact


def _end(contact, reason, at):
    contact.ended_at, contact.end_reason = at, reason
    _close_hold(contact, at)  # a caller who hangs up while held ends the hold too
    if contact.answered_at is not None:
        contact.talk_seconds = _seconds_since(contact.answered_at, at)
    elif contact.queued_at is not None and contact.abandoned_at is None:
        # The caller hung up in the queue and this callback beat Enqueue's own.
        contact.abandoned_at = at
        contact.queue_seconds = _seconds_since(contact.queued_at, at)
        contact.queue_result = contact.queue_result or "hangup"
        _release_claim(contact)


def _rank(status):
    if status in FINAL_STATUSES:
        return len(_STATUS_RANK)
    return _STATUS_RANK.get(status or "", -1)


def _seconds_since(start, end):
    return None if start is None else max(int((end - start).total_seconds()), 0)


def record_voicemail(contact, recording_url, duration=None):
    """Keep the caller's message on the call and put the case on the callback list."""
    if contact.ticket is None or contact.recording_url == recording_url:
        return contact
    contact.recording_url = recording_url
    tickets.record_event(
        contact.ticket, "voicemail", to_value=recording_url,
        data={"contact_id": contact.id, "duration": duration},
    )
    db.session.flush()
    return contact


def request_callback(contact):
    """The caller asked to be called back: the case goes on the callback list (once per call)."""
    ticket = contact.ticket
    if ticket is None or _has_event(ticket, "callback_requested"):
        return contact
    tickets.record_event(ticket, "callback_requested", data={"contact_id": contact.id})
    db.session.flush()
    return contact


def _has_event(ticket, type_):
    return db.session.scalar(
        select(func.count(TicketEvent.id)).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ) > 0


def pending_callback_requests(ticket=None):
    """(ticket, latest request event) for cases with a voicemail or callback request not yet
    handled, oldest first (of `ticket` alone when given)."""
    asked = _last_event(TicketEvent.type.in_(CALLBACK_REQUESTS), ticket)
    done = _last_event(TicketEvent.type == CALLBACK_DONE, ticket)
    stmt = (
        select(Ticket, TicketEvent)
        .join(asked, asked.c.ticket_id == Ticket.id)
        .join(TicketEvent, TicketEvent.id == asked.c.last_id)
        .outerjoin(done, done.c.ticket_id == Ticket.id)
        .where(or_(done.c.last_id.is_(None), done.c.last_id < asked.c.last_id))
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def _last_event(condition, ticket=None):
    if ticket is not None:
        condition = and_(condition, TicketEvent.ticket_id == ticket.id)
    return (
        select(TicketEvent.ticket_id, func.max(TicketEvent.id).label("last_id"))
        .where(condition)
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )


def close_callback_request(ticket, actor, note=None):
    """An operator handled the voicemail or callback request: its history line, or None when the
    case has none waiting (a second click, or another operator was first), so nothing is written."""
    if not pending_callback_requests(ticket):
        return None
    return tickets.record_event(ticket, CALLBACK_DONE, actor, reason=note)


def waiting_query():
    """Calls waiting in the queue that no operator is being connected to, oldest first."""
    return (
        select(Contact)
        .where(
            Contact.channel == Channel.VOICE,
            Contact.queued_at.is_not(None),
            Contact.answered_at.is_(None),
            Contact.answered_by_id.is_(None),
            Contact.abandoned_at.is_(None),
            Contact.ended_at.is_(None),
        )
        .order_by(Contact.queued_at, Contact.id)
    )


def longest_waiting():
    """The call that has waited longest, or None."""
    return db.session.scalar(waiting_query().limit(1))


def waiting_call(contact_id):
    """The call `contact_id` if it is still waiting for an operator, else None."""
    return db.session.scalar(waiting_query().where(Contact.id == contact_id))


def may_answer(user):
    """Whether `user` may take a waiting call: not while marked away (离开), which is how an
    operator says they are not at their phone; a call put through then would ring out."""
    return user.availability != Availability.AWAY


def call_in_hand(user, at=None):
    """The live call `user` already has (talking, or the caller on hold), or None. One call at a
    time: a second call answered would hide a held caller from the call bar, and the hold's
    ring-back would then ring a phone that is busy."""
    state, call = own_call(user, at)
    return call if state == LIVE else None


def claim(contact, user):
    """Reserve a waiting call for `user` while their phone rings (atomically: of two operators only one wins)."""
    won = db.session.execute(
        update(Contact)
        .where(Contact.id == contact.id, Contact.answered_by_id.is_(None), Contact.answered_at.is_(None),
               Contact.abandoned_at.is_(None), Contact.ended_at.is_(None))
        .values(answered_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(contact)
    return won


def release(contact, missed=False):
    """Give a reserved call back to the queue. `missed`: the operator's phone rang and was not
    picked up, a missed offer counted against them in the call report."""
    if missed and contact.answered_at is None and contact.answered_by_id is not None:
        audit.record(contact.answered_by, MISSED_OFFER, "contact", contact.id)
    _release_claim(contact)
    db.session.flush()
    return contact


def _release_claim(contact):
    if contact.answered_at is None:
        contact.answered_by_id = None


def bridge(contact, user):
    """The operator picked up: the call is answered and its case is theirs."""
    if contact.answered_at is not None:
        return contact
    at = now()
    contact.answered_at, contact.answered_by = at, user
    contact.queue_seconds = _seconds_since(contact.queued_at, at)
    contact.queue_result = "bridged"
    user.availability = Availability.BUSY
    if contact.ticket is not None:
        tickets.update_fields(contact.ticket, {"assigned_to_id": user.id}, actor=user, reason="answered the call")
    db.session.flush()
    return contact


def operator_phone(user):
    """The operator's registered phone in E.164, or None when missing or unusable."""
    try:
        return phones.normalise(user.phone or "", current_app.config["DEFAULT_PHONE_REGION"])
    except phones.InvalidPhone:
        return None


def blocked_callers():
    """Numbers on the block list, most recent first."""
    return list(db.session.scalars(
        select(Caller).where(Caller.blocked_at.is_not(None)).order_by(Caller.blocked_at.desc(), Caller.id.desc())
    ))


def block_number(raw_phone, reason, actor, ip=None):
    """Put a number on the block list (raises phones.InvalidPhone); audited."""
    caller = tickets.find_or_create_caller(raw_phone)
    caller.blocked_at, caller.blocked_reason = now(), reason
    audit.record(actor, "caller_blocked", "caller", caller.id, ip=ip, reason=reason)
    return caller


def unblock(caller, actor, ip=None):
    """Take a number off the block list; audited."""
    audit.record(actor, "caller_unblocked", "caller", caller.id, ip=ip, reason=caller.blocked_reason)
    caller.blocked_at = caller.blocked_reason = None
    db.session.flush()
    return caller


# --- the operator's own call: live, hung up, after-call work ---------------------------------
# The reasons an operator picks when closing after-call work, in the order offered (the one
# list: the console's picker and its check both read it).
WRAPUP_REASONS = {
    "handled": _l("Handled"),
    "callback": _l("Needs a callback visit"),
    "transferred": _l("Transferred"),
    "invalid": _l("Invalid call"),
}
# A call whose final callback never came stops counting as live after this long, as on the wall.
ON_CALL_HOURS = 4
# After-call work is offered for a call that ended this recently with no reason picked: an older
# one (yesterday's, or from before reasons were recorded) does not greet the operator at sign-in.
WRAPUP_MINUTES = 30
HUNG_UP = "call_hung_up"  # the audit action of a call an operator ended from the console
HELD, RESUMED = "call_held", "call_resumed"  # ... put on hold, and taken back
HOLD_MAX_MINUTES = 10  # a hold longer than this is resumed by itself: the operator's phone rings
LIVE, AFTER_CALL = "live", "after_call"


def bar_token(state, contact_id, held=False):
    """What the call bar's data-state and /queue/current-call say of an operator's own call:
    "live:<id>", "held:<id>" (live, caller on hold) or "after_call:<id>". console.js swaps the bar
    when it changes, so a hold that ran past HOLD_MAX_MINUTES and went back by itself shows at the
    next poll, not only at the next page."""
    if not state:
        return ""
    return f"{'held' if held and state == LIVE else state}:{contact_id}"


def own_call(user, at=None):
    """(state, call) of the call `user` answered last: (LIVE, call) while it lasts,
    (AFTER_CALL, call) once it ended and until a wrap-up reason is picked, else (None, None)."""
    at = at or now()
    call = db.session.scalar(
        select(Contact).where(Contact.answered_by_id == user.id, Contact.answered_at.is_not(None))
        .order_by(Contact.answered_at.desc(), Contact.id.desc()).limit(1))
    state = call_state(call.answered_at, call.ended_at, call.wrapup_reason, at) if call is not None else None
    return (state, call) if state else (None, None)


def latest_answered(user_ids, since):
    """A subquery of (answered_by_id, at): each of `user_ids`' latest call answered since `since`,
    chosen in SQL (the window may hold thousands of calls at a million): the queue snapshot's own
    calls and the wall's operator states join it back to the call."""
    return (select(Contact.answered_by_id, func.max(Contact.answered_at).label("at"))
            .where(Contact.answered_by_id.in_(user_ids), Contact.answered_at >= since)
            .group_by(Contact.answered_by_id).subquery())


def call_state(answered_at, ended_at, wrapup_reason, at):
    """LIVE, AFTER_CALL or None for an operator's last answered call (own_call's rule; the live
    queue snapshot applies it to every operator at once)."""
    if ended_at is None:
        return LIVE if answered_at >= at - timedelta(hours=ON_CALL_HOURS) else None
    if wrapup_reason is None and ended_at >= at - timedelta(minutes=WRAPUP_MINUTES):
        return AFTER_CALL
    return None


def hung_up(contact, user, at=None):
    """`user` ended their call from the console and Twilio has been told: end it here now, as
    Twilio's final callback will (which then changes nothing), so after-call work starts at
    once. Audited: a call-taker hanging up on a caller is something a supervisor may ask about."""
    audit.record(user, HUNG_UP, "contact", contact.id)
    return record_status(contact, "completed", at)


def hold(contact, user, at=None):
    """`user` put their live call on hold (Twilio has been told): the caller hears the hold
    message until resume; audited like the hang-up. `user` None: the ring-back after a hold was
    not picked up, and the caller is held again (hotline.telephony.voice.dial_result)."""
    if contact.held_at is None:
        contact.held_at = at or now()
        audit.record(user, HELD, "contact", contact.id)
    db.session.flush()
    return contact


def resume(contact, user=None, at=None):
    """The hold ends (the operator's phone is dialled again): its seconds are added to the call's.
    `user` None: the hold ran past HOLD_MAX_MINUTES and the hold TwiML resumed it by itself."""
    if contact.held_at is not None:
        _close_hold(contact, at or now())
        audit.record(user, RESUMED, "contact", contact.id)
    db.session.flush()
    return contact


def held_too_long(contact, at=None):
    """A caller is not left on hold for ever: past HOLD_MAX_MINUTES the call goes back to the
    operator who held it, whether or not they pressed resume."""
    return contact.held_at is not None and (at or now()) - contact.held_at >= timedelta(minutes=HOLD_MAX_MINUTES)


def _close_hold(contact, at):
    if contact.held_at is not None:
        contact.hold_seconds = (contact.hold_seconds or 0) + (_seconds_since(contact.held_at, at) or 0)
        contact.held_at = None


def end_wrapup(contact, at=None):
    """After-call work of `contact` ends at `at`: an end during the call (a form saved while
    talking) is superseded by the first one after hang-up; later ones change nothing."""
    during_call = (contact.wrapup_ended_at is not None and contact.ended_at is not None
                   and contact.wrapup_ended_at < contact.ended_at)
    if contact.wrapup_ended_at is None or during_call:
        contact.wrapup_ended_at = at or now()
    return contact


def finish_wrapup(contact, user, reason, at=None):
    """`user` closed after-call work with `reason` (a WRAPUP_REASONS key): recorded on the call,
    after-call work ends as a save would end it, and they take calls again."""
    if reason not in WRAPUP_REASONS:
        raise ValueError(f"unknown wrap-up reason {reason!r}")
    contact.wrapup_reason = reason
    end_wrapup(contact, at)
    user.availability = Availability.AVAILABLE
    db.session.flush()
    return contact


# --- where an answered call opens its case -------------------------------------------------
# The core's case page, unless a feature knows better (intake: the form of a case still being
# taken). A feature registers from its init_app; the console never imports it.
_OPENERS = "hotline.call_openers"


def add_case_opener(app, opener):
    """`opener(ticket)` -> the URL an answered call on `ticket` opens, or None to pass."""
    app.extensions.setdefault(_OPENERS, []).append(opener)


def case_url(ticket):
    """Where the operator lands when a call on `ticket` connects."""
    for opener in current_app.extensions.get(_OPENERS, []):
        url = opener(ticket)
        if url:
            return url
    return url_for("console.ticket", number=ticket.number)
