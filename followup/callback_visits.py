"""Callback visits (回访): scheduled when a case is handled, worked from a list by operators.

A visit is due CALLBACK_DAYS working days after the result, inside OPENING_HOURS. Each try
ends with an outcome: satisfied (visit DONE, case CLOSED), unsatisfied (visit DONE, case stays
RESOLVED so the complainant's appeal can reopen it), or not reached (the next try on the next
working day in the other half of the day; after CALLBACK_MAX_TRIES the visit is UNREACHABLE).
Services flush; the view or job commits.
"""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from followup import visit_times
from hotline import calls
from hotline.access import notice_phone
from hotline.deadlines import clocks
from hotline.deadlines.calendar_data import CalendarLookup
from hotline.extensions import db
from hotline.models import (
    Channel,
    ClockKind,
    Contact,
    Direction,
    FollowUp,
    FollowUpAttempt,
    FollowUpStatus,
    Ticket,
    TicketStatus,
)
from hotline.opening_hours import parse_hours
from hotline.telephony.callcontrol import public_url
from hotline.tickets import change_status, record_event
from hotline.timeutil import local_to_utc, now, to_local

SATISFIED, UNSATISFIED, NOT_REACHED = "satisfied", "unsatisfied", "not_reached"
OUTCOMES = (SATISFIED, UNSATISFIED, NOT_REACHED)
MAX_NOTE = 2000  # the longest note on a try's outcome (the visit page and the API)
HANDLED = "handled"
# A visit belongs to a case with its result; one reopened (appeal) needs a new result first.
HANDLED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class VisitClosed(ValueError):
    """The visit is no longer scheduled; nothing was changed."""


def _tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def _spans():
    return parse_hours(current_app.config["OPENING_HOURS"])


def open_visit(ticket):
    """The case's scheduled visit, or None."""
    return db.session.scalar(
        select(FollowUp).where(FollowUp.ticket_id == ticket.id, FollowUp.status == FollowUpStatus.SCHEDULED)
        .order_by(FollowUp.id.desc()).limit(1)
    )


def latest_visit(ticket):
    """The case's most recent visit, whatever its status, or None."""
    return db.session.scalar(
        select(FollowUp).where(FollowUp.ticket_id == ticket.id).order_by(FollowUp.id.desc()).limit(1)
    )


def first_due(at=None):
    """When a visit for a case handled at `at` is due (naive UTC)."""
    local = to_local(at or now(), _tz()).replace(tzinfo=None)
    due, _ = visit_times.first_try(local, current_app.config["CALLBACK_DAYS"], _spans(), CalendarLookup())
    return local_to_utc(due, _tz())


def retry_due(tried_at):
    """When the next try after one at `tried_at` is due (naive UTC)."""
    local = to_local(tried_at, _tz()).replace(tzinfo=None)
    due, _ = visit_times.next_try(local, _spans(), CalendarLookup())
    return local_to_utc(due, _tz())


def schedule_visit(ticket, reason, actor=None, due_at=None):
    """Schedule a callback visit; the case's open visit is returned instead of a second one."""
    visit = open_visit(ticket)
    if visit is not None:
        return visit
    visit = FollowUp(ticket=ticket, status=FollowUpStatus.SCHEDULED, reason=reason,
                     due_at=due_at or first_due(), attempts=0)
    try:
        # uq_followups_scheduled: a request that scheduled the visit a moment earlier wins.
        with db.session.begin_nested():
            db.session.add(visit)
    except IntegrityError:
        return open_visit(ticket)
    record_event(ticket, "callback_scheduled", actor, to_value=_local_text(visit.due_at), reason=reason,
                 data={"followup_id": visit.id})
    db.session.flush()
    return visit


def _local_text(moment):
    return to_local(moment, _tz()).strftime("%Y-%m-%d %H:%M")


def on_status_changed(_app, ticket, from_status, to_status, actor):
    """events.status_changed receiver: schedule the callback visit when a case is handled; a case
    reopened (appeal) before its visit no longer needs that visit."""
    if to_status == TicketStatus.RESOLVED and notice_phone(ticket):
        schedule_visit(ticket, HANDLED, actor)
    elif from_status in HANDLED_STATUSES and to_status not in HANDLED_STATUSES:
        visit = open_visit(ticket)
        if visit is not None:
            _finish(visit, FollowUpStatus.CANCELLED, actor, reason=f"case {to_status.value}")


def record_call(visit, contact, user):
    """A call placed for the visit: an attempt whose outcome the operator records next."""
    _require_scheduled(visit)
    attempt = FollowUpAttempt(followup=visit, user_id=user.id, at=now(), contact=contact)
    db.session.add(attempt)
    record_event(visit.ticket, "callback_call", user, to_value=contact.sid,
                 data={"followup_id": visit.id, "contact_id": contact.id})
    db.session.flush()
    return attempt


class CannotCall(ValueError):
    """No usable number for the complainant or the operator; no call was placed."""


def call_complainant(visit, user, control):
    """Place the visit's call: Twilio rings the complainant and, when they answer, dials the
    operator's phone. The call is an OUTBOUND Contact on the case and an attempt of the visit.
    Raises CannotCall, or CallControlError when Twilio refuses (the caller rolls back)."""
    _require_scheduled(visit)
    phone, operator = notice_phone(visit.ticket), calls.operator_phone(user)
    if phone is None:
        raise CannotCall("the case has no number to call back")
    if operator is None:
        raise CannotCall("the operator has no phone number")
    contact = Contact(channel=Channel.VOICE, direction=Direction.OUTBOUND, ticket=visit.ticket,
                      caller=visit.ticket.caller, to_number=phone, status="queued",
                      from_number=current_app.config.get("TWILIO_NUMBER") or None)
    db.session.add(contact)
    db.session.flush()
    contact.sid = control.place_call(phone, public_url("callback_visits.connect", contact_id=contact.id),
                                     status_callback=public_url("voice.status"))
    return record_call(visit, contact, user)


def attempt_of_call(contact_id):
    """The visit attempt a placed call belongs to, or None."""
    return db.session.scalar(select(FollowUpAttempt).where(FollowUpAttempt.contact_id == contact_id))


def record_outcome(visit, outcome, user, note=None):
    """Record the try's outcome (on the call just placed, if any) and move the visit on."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown callback outcome {outcome!r}")
    _require_scheduled(visit)
    note = (note or "").strip() or None
    attempt = _pending_attempt(visit) or FollowUpAttempt(followup=visit, user_id=user.id, at=now())
    db.session.add(attempt)
    attempt.outcome, attempt.note, attempt.user_id = outcome, note, user.id
    visit.attempts = (visit.attempts or 0) + 1
    visit.last_attempt_at, visit.outcome, visit.note, visit.assigned_to_id = now(), outcome, note, user.id
    record_event(visit.ticket, "callback_attempt", user, to_value=outcome, reason=note,
                 data={"followup_id": visit.id, "attempt": visit.attempts})
    if outcome == NOT_REACHED:
        _not_reached(visit, user)
    else:
        _reached(visit, outcome, user)
    db.session.flush()
    return visit


def _pending_attempt(visit):
    return next((a for a in reversed(visit.attempts_made) if a.outcome is None), None)


def _require_scheduled(visit):
    if visit.status != FollowUpStatus.SCHEDULED:
        raise VisitClosed(f"callback visit {visit.id} is {visit.status.value}")


def _reached(visit, outcome, user):
    _finish(visit, FollowUpStatus.DONE, user)
    if outcome == SATISFIED and visit.ticket.status == TicketStatus.RESOLVED:
        change_status(visit.ticket, TicketStatus.CLOSED, user, reason="callback visit: satisfied")


def _not_reached(visit, user):
    if visit.attempts >= current_app.config["CALLBACK_MAX_TRIES"]:
        _finish(visit, FollowUpStatus.UNREACHABLE, user)
    else:
        visit.due_at = retry_due(visit.last_attempt_at)
        record_event(visit.ticket, "callback_rescheduled", user, to_value=_local_text(visit.due_at),
                     data={"followup_id": visit.id, "attempt": visit.attempts})


def _finish(visit, status, actor, reason=None):
    visit.status, visit.done_at = status, now()
    record_event(visit.ticket, f"callback_{status.value}", actor, to_value=visit.outcome, reason=reason,
                 data={"followup_id": visit.id, "attempts": visit.attempts})
    if status != FollowUpStatus.CANCELLED:
        clocks.stop_clock(visit.ticket, ClockKind.CALLBACK, actor=actor)


def due_visits(until, limit=None):
    """Scheduled visits due by `until`, earliest first (the first `limit` of them)."""
    return db.session.scalars(
        select(FollowUp).where(FollowUp.status == FollowUpStatus.SCHEDULED, FollowUp.due_at <= until)
        .order_by(FollowUp.due_at, FollowUp.id).limit(limit)
    ).all()


def close_exhausted():
    """Visits that used their tries but are still scheduled (the tries limit was lowered, or a
    try was recorded by an older release) become UNREACHABLE. Returns how many."""
    limit = current_app.config["CALLBACK_MAX_TRIES"]
    visits = db.session.scalars(
        select(FollowUp).where(FollowUp.status == FollowUpStatus.SCHEDULED, FollowUp.attempts >= limit)
    ).all()
    for visit in visits:
        _finish(visit, FollowUpStatus.UNREACHABLE, None, reason="tries used")
    db.session.flush()
    return len(visits)


def settle_stale():
    """Scheduled visits whose case left RESOLVED without the status_changed receiver seeing it (data fixed by hand,
    a case closed before this feature): cancelled when reopened, kept when closed."""
    stale = db.session.scalars(
        select(FollowUp).join(FollowUp.ticket).where(
            FollowUp.status == FollowUpStatus.SCHEDULED,
            Ticket.status.not_in(HANDLED_STATUSES),
        )
    ).all()
    for visit in stale:
        _finish(visit, FollowUpStatus.CANCELLED, None, reason=f"case {visit.ticket.status.value}")
    db.session.flush()
    return len(stale)


def callback_visits_job():
    """Keep the callback list true: visits that used their tries become UNREACHABLE (their
    CALLBACK clock stopped), visits of reopened cases are cancelled. Retries need no job: a
    not-reached try moves due_at, so the visit is back on the list (due now) when that moment
    comes. Works only from rows in a state to act on, so a rerun or restart does nothing twice."""
    closed, cancelled = close_exhausted(), settle_stale()
    due = len(due_visits(now()))
    return {"due": due, "unreachable": closed, "cancelled": cancelled}


def last_call(visit):
    """The most recent call placed for the visit, or None."""
    return next((a.contact for a in reversed(visit.attempts_made) if a.contact is not None), None)


def hand_to_voice_survey(visit, user, control):
    """After a reached visit, move the complainant's live call to the automated 1-5 survey
    (the operator's leg drops). Raises CannotCall when no call was placed."""
    contact = last_call(visit)
    if contact is None or not contact.sid or contact.ended_at is not None:
        raise CannotCall("no live call to hand over")
    control.redirect(contact.sid, public_url("callback_visits.survey", contact_id=contact.id))
    record_event(visit.ticket, "callback_voice_survey", user, data={"followup_id": visit.id, "contact_id": contact.id})
    db.session.flush()
    return contact
