"""Follow-up's API under /api/v1: the callback visits due (the console's callback list) and
recording a try's outcome (the visit page's outcome form); a case's legal clocks (the case
page's time limits panel) and pausing or resuming one (its pause and resume buttons). Bearer
tokens, like hotline.api; the same roles, checks and services (followup.callback_visits,
hotline.deadlines.clocks) as the console."""

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale

from followup import callback_visits
from followup.callback_visit_views import LIST_LIMIT, VISIT_ROLES
from followup.views import (
    CLOCK_EDITORS,
    KIND_LABELS,
    MAX_YEAR,
    MIN_YEAR,
    STATE_LABELS,
    case_clocks,
    clock_is_late,
    clock_refusal,
    may_change_clock,
)
from hotline import access, inputs
from hotline.deadlines import clocks as clock_services
from hotline.deadlines.calendar_data import MAX_DAY_NAME, calendar_warnings, month_days
from hotline.extensions import db
from hotline.models import Clock, ClockKind, FollowUp, Role
from hotline.rest import (
    api_roles,
    error_response,
    json_object,
    reader_language,
    refuse,
    text_field,
    unknown_fields,
)
from hotline.telephony.callcontrol import CallControlError, call_control
from hotline.timeutil import local_to_utc, local_today, now, to_local

bp = Blueprint("followup_api", __name__)

NOT_FOUND = "no such callback visit"
CASE_NOT_FOUND = "no such case, or not one you may see"  # as the core's and routing's API
CLOCK_NOT_FOUND = "no such clock, or not one you may see"


def _tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def _time(moment):
    return to_local(moment, _tz()).isoformat() if moment else None


def _until(raw):
    """`due`: an ISO 8601 date (due by the end of that day in the hotline's time zone) or datetime
    (without an offset, in the hotline's time zone) as naive UTC; now when absent; None when bad."""
    if raw is None or not raw.strip():
        return now()
    day = inputs.parse_date(raw)
    if day is not None:
        return local_to_utc(datetime.combine(day + timedelta(days=1), time()), _tz())
    moment = inputs.parse_datetime(raw)
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return local_to_utc(moment, _tz())


def visit_json(visit):
    """A visit as the visit page shows it, with its case's number and status; no phone number."""
    ticket = visit.ticket
    return {
        "id": visit.id,
        "number": ticket.number,
        "case_status": ticket.status.value,
        "status": visit.status.value,
        "reason": visit.reason,
        "due_at": _time(visit.due_at),
        "attempts": visit.attempts or 0,
        "max_attempts": current_app.config["CALLBACK_MAX_TRIES"],
        "outcome": visit.outcome,
        "note": visit.note,
        "last_attempt_at": _time(visit.last_attempt_at),
        "done_at": _time(visit.done_at),
    }


@bp.get("/callback-visits")
@api_roles(*VISIT_ROLES)
def due():
    """Scheduled visits due by `due` (default now), earliest first, up to LIST_LIMIT."""
    errors = unknown_fields(request.args, ("due",))
    until = _until(request.args.get("due"))
    if until is None:
        errors["due"] = "must be an ISO 8601 date or datetime"
    if errors:
        return refuse(errors)
    visits = callback_visits.due_visits(until, limit=LIST_LIMIT + 1)
    return jsonify(items=[visit_json(v) for v in visits[:LIST_LIMIT]], due=_time(until),
                   more=len(visits) > LIST_LIMIT)


@bp.post("/callback-visits/<visit_id>/outcome")
@api_roles(*VISIT_ROLES)
def outcome(visit_id):
    """{"outcome": satisfied|unsatisfied|not_reached, "note": text?}: the try's outcome, as the
    visit page records it; the visit as it now stands."""
    visit = _visit_or_none(visit_id)
    if visit is None:
        return error_response(404, "Not Found", NOT_FOUND)
    body = json_object()
    errors = unknown_fields(body, ("outcome", "note"))
    chosen = body.get("outcome")
    if not isinstance(chosen, str) or chosen not in callback_visits.OUTCOMES:
        errors["outcome"] = "must be one of " + ", ".join(callback_visits.OUTCOMES)
    note = text_field(body, "note", callback_visits.MAX_NOTE, errors)
    if errors:
        return refuse(errors)
    try:
        callback_visits.record_outcome(visit, chosen, g.api_user, note)
    except callback_visits.VisitClosed:
        db.session.rollback()
        return error_response(409, "Conflict", f"the visit is already closed ({visit.status.value})")
    db.session.commit()
    return jsonify(visit_json(visit))


def _visit_or_none(visit_id):
    found = inputs.parse_int(visit_id, 1)  # ASCII digits that fit the id column, else no visit
    return db.session.get(FollowUp, found) if found is not None else None


@bp.post("/callback-visits/<visit_id>/call")
@api_roles(*VISIT_ROLES)
def call(visit_id):
    """The visit page's "call the complainant": Twilio rings the complainant and, when they
    answer, the token user's own phone (their account's). 409 when the visit is closed or there
    is no number at either end, 502 when Twilio refuses; nothing is recorded then."""
    return _on_the_call(visit_id, lambda visit, user, control: callback_visits.call_complainant(
        visit, user, control).contact, (callback_visits.CannotCall, callback_visits.VisitClosed),
        "Twilio did not place the call; nothing was recorded")


@bp.post("/callback-visits/<visit_id>/survey")
@api_roles(*VISIT_ROLES)
def voice_survey(visit_id):
    """The visit page's "hand over to the voice survey": the complainant's live call (the visit's
    last) moves to the automated 1-5 survey. 409 with no live call, 502 when Twilio refuses."""
    return _on_the_call(visit_id, callback_visits.hand_to_voice_survey, callback_visits.CannotCall,
                        "Twilio did not move the call; nothing was recorded")


def _on_the_call(visit_id, act, refusals, twilio_refused):
    """One of the visit page's two call buttons: `act(visit, user, control)` gives the call; its
    `refusals` answer 409 in their own words, Twilio's refusal 502; either way nothing is kept.
    The body is empty or {}."""
    visit = _visit_or_none(visit_id)
    if visit is None:
        return error_response(404, "Not Found", NOT_FOUND)
    errors = unknown_fields(json_object(required=False), ())
    if errors:
        return refuse(errors)
    try:
        contact = act(visit, g.api_user, call_control(current_app.config))
    except refusals as exc:
        db.session.rollback()
        return error_response(409, "Conflict", str(exc))
    except CallControlError:
        db.session.rollback()
        return error_response(502, "Bad Gateway", twilio_refused)
    db.session.commit()
    return jsonify({**visit_json(visit), "call": {"sid": contact.sid, "status": contact.status}})


# --- legal clocks (the case page's time limits panel) ----------------------------------------------


def clock_json(clock):
    """A clock as the case page's panel shows it: its duty and state (codes, and labels in the
    reader's language), due moment, whether it is late, its pauses with their reasons, and
    whether the reader may pause or resume it (the panel's buttons)."""
    return {
        "id": clock.id,
        "number": clock.ticket.number,
        "kind": clock.kind.value,
        "kind_label": str(KIND_LABELS[clock.kind]),
        "state": clock.state.value,
        "state_label": str(STATE_LABELS[clock.state]),
        "started_at": _time(clock.started_at),
        "due_at": _time(clock.due_at),
        "estimated": bool(clock.estimated),
        "late": clock_is_late(clock),
        "met_at": _time(clock.met_at),
        "pauses": [{"reason": p.reason, "paused_at": _time(p.paused_at), "resumed_at": _time(p.resumed_at)}
                   for p in clock.pauses],
        "may_change": may_change_clock(g.api_user, clock),
    }


def _labelled(build):
    """build()'s JSON with its labels in the reader's language, said in Content-Language."""
    language = reader_language()
    with force_locale(language):
        body = build()
    return jsonify(body), {"Content-Language": language}


@bp.get("/tickets/<number>/clocks")
@api_roles(*access.CASE_ROLES)
def case_clock_list(number):
    """The case's clocks, oldest first, and for a case still undecided whose accept clock has not
    started, the acceptance deadline counted from receipt: what the case page's panel lists."""
    ticket = access.get_ticket(number, g.api_user)
    if ticket is None:
        return error_response(404, "Not Found", CASE_NOT_FOUND)
    pending = clock_services.acceptance_due(ticket)

    def build():
        return {
            "number": ticket.number,
            "items": [clock_json(c) for c in case_clocks(ticket)],
            "acceptance_pending": {
                "kind": ClockKind.ACCEPT.value, "kind_label": str(KIND_LABELS[ClockKind.ACCEPT]),
                "due_at": _time(pending[0]), "estimated": bool(pending[1]),
            } if pending else None,
        }

    return _labelled(build)


def _editable_clock(clock_id):
    """(clock, None) when the token's user may pause or resume it, else (None, the API's 404 or
    403 answer): followup.views.clock_refusal decides, as for the console's buttons."""
    found = inputs.parse_int(clock_id, 1)  # ASCII digits that fit the id column, else no clock
    clock = db.session.get(Clock, found) if found is not None else None
    refusal = clock_refusal(g.api_user, clock)
    if refusal == 404:
        return None, error_response(404, "Not Found", CLOCK_NOT_FOUND)
    if refusal:
        return None, error_response(403, "Forbidden", "a department pauses or resumes only its own duties' "
                                    "clocks: " + ", ".join(k.value for k in clock_services.DEPARTMENT_CLOCKS))
    return clock, None


def _change(clock, service, *args, refused):
    """The console's service call, committed; 409 (`refused`, with the clock's state) when the
    clock's state does not allow it, nothing changed."""
    try:
        service(clock, *args)
    except clock_services.ClockError:
        db.session.rollback()
        return error_response(409, "Conflict", f"{refused}; this one is {clock.state.value}")
    db.session.commit()
    return _labelled(lambda: clock_json(clock))


@bp.post("/clocks/<clock_id>/pause")
@api_roles(*CLOCK_EDITORS)
def pause_clock(clock_id):
    """{"reason": text}: the running clock stops counting (testing, appraisal), as the case page's
    pause; the clock as it now stands."""
    clock, refused = _editable_clock(clock_id)
    if refused:
        return refused
    body = json_object()
    errors = unknown_fields(body, ("reason",))
    reason = text_field(body, "reason", clock_services.MAX_PAUSE_REASON, errors, required=True)
    if errors:
        return refuse(errors)
    return _change(clock, clock_services.pause_clock, reason, g.api_user, refused="only a running clock is paused")


@bp.post("/clocks/<clock_id>/resume")
@api_roles(*CLOCK_EDITORS)
def resume_clock(clock_id):
    """No body (or {}): the paused clock counts again, its due moment later by the days paused,
    as the case page's resume; the clock as it now stands."""
    clock, refused = _editable_clock(clock_id)
    if refused:
        return refused
    errors = unknown_fields(json_object(required=False), ())
    if errors:
        return refuse(errors)
    return _change(clock, clock_services.resume_clock, g.api_user, refused="only a paused clock is resumed")


# --- the working-day calendar (the console's /followup/calendar) -----------------------------

CALENDAR_ROLES = (Role.SUPERVISOR,)  # as followup.views.calendar


def calendar_day_json(row):
    return {"day": row.day.isoformat(), "working": bool(row.working), "name": row.name, "source": row.source,
            "official": bool(row.official)}


@bp.get("/calendar")
@api_roles(*CALENDAR_ROLES)
def calendar_month():
    """?month=YYYY-MM (default: this month): the month's days as the calendar page shows them, and
    the stretches of the next days without official data (the page's warnings)."""
    today = local_today(_tz())
    raw = request.args.get("month")
    if raw is None:
        year, month = today.year, today.month
    else:
        first = inputs.parse_date(raw + "-01") if isinstance(raw, str) and len(raw) == 7 else None
        if first is None or not MIN_YEAR <= first.year <= MAX_YEAR:
            return error_response(422, "validation failed", "invalid query parameters: month",
                                  fields={"month": f"YYYY-MM, a month from {MIN_YEAR} to {MAX_YEAR}"})
        year, month = first.year, first.month
    days = month_days(year, month)
    return jsonify({
        "month": f"{year:04d}-{month:02d}",
        "days": [calendar_day_json(days[day]) for day in sorted(days)],
        "warnings": [{"first_day": w.first_day.isoformat(), "last_day": w.last_day.isoformat(),
                      "missing": bool(w.missing)} for w in calendar_warnings(today)],
    })


@bp.put("/calendar/<day>")
@api_roles(*CALENDAR_ROLES)
def calendar_set_day(day):
    """{"working": bool, "name": text?}: the day corrected (official, manual, audited) and the
    running working-day clocks spanning it recounted, as the calendar page's day form."""
    on = inputs.parse_date(day)
    if on is None:
        return error_response(404, "Not Found", "not a date as YYYY-MM-DD")
    body = json_object()
    errors = unknown_fields(body, ("working", "name"))
    if not isinstance(body.get("working"), bool):
        errors["working"] = "true or false"
    name = text_field(body, "name", MAX_DAY_NAME, errors)
    if errors:
        return refuse(errors)
    row, moved = clock_services.correct_calendar_day(on, body["working"], name, g.api_user)
    db.session.commit()
    return jsonify({"day": calendar_day_json(row), "recounted": [
        {"clock_id": clock.id, "number": clock.ticket.number, "kind": clock.kind.value, "due_at": _time(clock.due_at)}
        for clock in moved]})
