"""The callback visit API under /api/v1: the visits due (the console's callback list) and
recording a try's outcome (the visit page's outcome form). Bearer tokens, like hotline.api;
the same roles and the same service (followup.callback_visits) as the console."""

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, current_app, g, jsonify, request

from followup import callback_visits
from followup.callback_visit_views import LIST_LIMIT, VISIT_ROLES
from hotline import inputs
from hotline.extensions import db
from hotline.models import FollowUp
from hotline.rest import api_roles, error_response, json_object, refuse, text_field, unknown_fields
from hotline.timeutil import local_to_utc, now, to_local

bp = Blueprint("followup_api", __name__)

NOT_FOUND = "no such callback visit"


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
    found = inputs.parse_int(visit_id, 1)  # ASCII digits that fit the id column, else no visit
    visit = db.session.get(FollowUp, found) if found is not None else None
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
