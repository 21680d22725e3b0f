"""The routing API under /api/v1: forwarding an accepted case to a department with the
instructions it reads first (the console's triage forward), referring an out-of-scope case
(the console's referral page), recording a complainant's appeal, and the department desk's
list and actions (take up, return, steps, result). Bearer tokens, like hotline.api.

Each view is the twin of a console view: the same roles, the same lookup of the case, the same
service; what the service refuses as the user's input answers 422 with the field, what the
case's status refuses answers 409."""

import re
from datetime import date

from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy import select

from hotline.access import api_shows_identity, get_ticket, summary_for
from hotline.extensions import db
from hotline.models import Department, Role
from hotline.rest import api_roles, error_response, json_object
from hotline.rest import refuse as _refuse
from hotline.rest import text_field as _text
from hotline.rest import unknown_fields as _unknown
from hotline.tickets import IllegalTransition
from hotline.timeutil import to_local
from routing import desk, referrals, services

bp = Blueprint("routing_api", __name__)

WRITE_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
DESK_ROLES = (Role.DEPARTMENT, Role.SUPERVISOR)  # as desk_views: supervisors watch, departments act
DESK_ACTORS = (Role.DEPARTMENT,)
APPEAL_ROLES = (Role.OPERATOR, Role.SUPERVISOR)  # as referral_views.appeal
MAX_CODE = 32
MAX_DESK_PAGE = 10_000
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOT_FOUND = "no such case, or not one you may see"
MAX_NOTE = 1000


def _case(number):
    return get_ticket(number, g.api_user) or abort(404, NOT_FOUND)


@bp.post("/tickets/<number>/forward")
@api_roles(*WRITE_ROLES)
def forward(number):
    """{"department": code, "instructions": text?}: the accepted case goes to the department."""
    ticket, body = _case(number), json_object()
    errors = _unknown(body, ("department", "instructions"))
    code = _text(body, "department", 32, errors, required=True)
    instructions = _text(body, "instructions", services.MAX_INSTRUCTIONS, errors)
    department = db.session.scalar(select(Department).where(Department.code == code)) if code else None
    if code and (department is None or not department.active):
        errors["department"] = "no active department with this code"
    if errors:
        return _refuse(errors)
    try:
        services.forward_chosen(ticket, department, g.api_user, instructions=instructions)
    except IllegalTransition:
        db.session.rollback()
        return error_response(409, "Conflict", f"only an accepted case is forwarded; this one is {ticket.status.value}")
    db.session.commit()
    return jsonify(case_json(ticket))


@bp.post("/tickets/<number>/refer")
@api_roles(*WRITE_ROLES)
def refer(number):
    """{"referral": key, "note": text?}: the out-of-scope case is referred and closed, the caller texted."""
    ticket, body = _case(number), json_object()
    errors = _unknown(body, ("referral", "note"))
    key = _text(body, "referral", 32, errors, required=True)
    note = _text(body, "note", MAX_NOTE, errors)
    entry = referrals.entry_by_key(key) if key else None
    if key and entry is None:
        errors["referral"] = "no active referral entry with this key"
    if errors:
        return _refuse(errors)
    try:
        referrals.refer(ticket, entry, g.api_user, note=note)
    except IllegalTransition:
        db.session.rollback()
        return error_response(409, "Conflict", f"only a new or accepted case is referred; this one is {ticket.status.value}")
    db.session.commit()
    return jsonify(case_json(ticket))


def case_json(ticket):
    """Where the case stands after routing: status, department and instructions, or referral."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    department, entry = ticket.department, ticket.referral
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "version": ticket.version,
        "department": {"code": department.code, "name": department.name} if department else None,
        "forward_instructions": ticket.forward_instructions,
        "forwarded_at": to_local(ticket.forwarded_at, tz).isoformat() if ticket.forwarded_at else None,
        "routed_by_rule": ticket.routed_by_rule.name if ticket.routed_by_rule else None,
        "referral": {"key": entry.key, "agency": entry.agency_zh, "hotline": entry.hotline} if entry else None,
    }


def _when(moment):
    return to_local(moment, current_app.config["HOTLINE_TIMEZONE"]).isoformat() if moment else None


# --- appeals (the console's referrals.appeal) ----------------------------------------------------


@bp.post("/tickets/<number>/appeal")
@api_roles(*APPEAL_ROLES)
def appeal(number):
    """{"channel": code, "reason": text, "target": code?}: the resolved or closed case reopens."""
    ticket, body = _case(number), json_object()
    errors = _unknown(body, ("channel", "reason", "target"))
    channel = _text(body, "channel", MAX_CODE, errors, required=True)
    reason = _text(body, "reason", referrals.MAX_APPEAL_REASON, errors, required=True)
    target = _text(body, "target", MAX_CODE, errors) or "department"
    if channel and channel not in referrals.STAFF_APPEAL_CHANNELS:
        errors["channel"] = "one of " + ", ".join(referrals.STAFF_APPEAL_CHANNELS)
    if "target" not in errors and target not in referrals.APPEAL_TARGETS:
        errors["target"] = "one of " + ", ".join(referrals.APPEAL_TARGETS)
    if errors:
        return _refuse(errors)
    try:
        opened = referrals.open_appeal(ticket, channel, reason, g.api_user, target=target)
    except (referrals.AppealRefused, IllegalTransition):
        db.session.rollback()
        return error_response(409, "Conflict", f"only a resolved or closed case is appealed; this one is {ticket.status.value}")
    db.session.commit()
    return jsonify({
        "appeal": {"id": opened.id, "channel": opened.channel, "target": opened.target, "reason": opened.reason,
                   "opened_at": _when(opened.created_at)},
        "case": case_json(ticket),
    }), 201


# --- the department desk (the console's desk_views) ----------------------------------------------


def _desk_case(number):
    """As desk_views._own_ticket: 404 for a case not on the token user's desk, 403 for one they may
    see but not work on."""
    found = desk.get_ticket(number, g.api_user) or abort(404, NOT_FOUND)
    if not desk.may_act(g.api_user, found):
        abort(403, "only the department holding the case works on it")
    return found


def _desk_query():
    """(tab, department id or None, page) from the query, or the errors."""
    errors, args = {}, request.args
    tab = args.get("tab", "new")
    if tab not in desk.TABS:
        errors["tab"] = "one of " + ", ".join(desk.TABS)
    raw_page = args.get("page", "1")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 6 else 0
    if not 1 <= page <= MAX_DESK_PAGE:
        errors["page"] = f"a whole number from 1 to {MAX_DESK_PAGE}"
    requested, code = None, args.get("department")
    if code and g.api_user.role != Role.DEPARTMENT:  # a department's own desk is the only one it sees
        # Never a NUL into the query: PostgreSQL refuses one in a parameter.
        valid = len(code) <= MAX_CODE and "\x00" not in code
        found = db.session.scalar(select(Department).where(Department.code == code)) if valid else None
        if found is None:
            errors["department"] = "no department with this code"
        else:
            requested = found.id
    return tab, desk.desk_department(g.api_user, requested), page, errors


@bp.get("/desk/tickets")
@api_roles(*DESK_ROLES)
def desk_list():
    """One page of a desk tab, as /desk shows it, with every tab's count."""
    tab, department_id, page, errors = _desk_query()
    if errors:
        return error_response(422, "validation failed", "invalid query parameters: " + ", ".join(sorted(errors)),
                              fields=errors)
    rows = desk.queue(department_id, tab, page)
    deadlines = desk.next_deadlines(rows.items)
    department = db.session.get(Department, department_id) if department_id else None
    return jsonify({
        "tab": tab,
        "department": {"code": department.code, "name": department.name} if department else None,
        "counts": desk.tab_counts(department_id),
        "items": [desk_case_json(t, deadlines.get(t.id)) for t in rows.items],
        "page": rows.page,
        "has_next": rows.has_next,
    })


def _desk_act(found, action, answer=None, status=200):
    """Run a desk service as desk_views._act does; commit and answer the case (or `answer` of what
    the service returned), or answer its refusal."""
    try:
        done = action()
    except desk.DeskError as exc:
        db.session.rollback()
        if exc.field:
            return _refuse({exc.field: str(exc)})
        return error_response(409, "Conflict", f"{exc} (the case is {found.status.value})")
    except IllegalTransition:
        db.session.rollback()
        return error_response(409, "Conflict", f"the case's status does not allow this; it is {found.status.value}")
    db.session.commit()
    case = desk_case_json(found, desk.next_deadlines([found]).get(found.id))
    return jsonify(answer(done, case) if answer else case), status


@bp.post("/desk/tickets/<number>/take-up")
@api_roles(*DESK_ACTORS)
def desk_take_up(number):
    """No body (or {}): the forwarded case is taken up (签收), now in progress."""
    found, body = _desk_case(number), json_object(required=False)
    errors = _unknown(body, ())
    if errors:
        return _refuse(errors)
    return _desk_act(found, lambda: desk.take_up(found, g.api_user))


@bp.post("/desk/tickets/<number>/return")
@api_roles(*DESK_ACTORS)
def desk_return(number):
    """{"reason": code, "explanation": text}: the case goes back to the hotline's triage (退单)."""
    found, body = _desk_case(number), json_object()
    errors = _unknown(body, ("reason", "explanation"))
    reason = _text(body, "reason", MAX_CODE, errors, required=True)
    explanation = _text(body, "explanation", desk.MAX_RETURN_TEXT, errors, required=True)
    if errors:
        return _refuse(errors)
    return _desk_act(found, lambda: desk.return_to_triage(found, reason, explanation, g.api_user))


@bp.post("/desk/tickets/<number>/steps")
@api_roles(*DESK_ACTORS)
def desk_step(number):
    """{"kind": code, "date": "YYYY-MM-DD", "text": text}: a handling step, dated the day it happened."""
    found, body = _desk_case(number), json_object()
    errors = _unknown(body, ("kind", "date", "text"))
    kind = _text(body, "kind", MAX_CODE, errors, required=True)
    text = _text(body, "text", desk.MAX_STEP_TEXT, errors, required=True)
    raw = _text(body, "date", 10, errors, required=True)
    on = None
    if raw:
        try:
            on = date.fromisoformat(raw) if ISO_DATE.match(raw) else None
        except ValueError:
            on = None
        if on is None:
            errors["date"] = "a date as YYYY-MM-DD"
    if errors:
        return _refuse(errors)
    return _desk_act(found, lambda: desk.record_step(found, kind, text, on, g.api_user), _step_json, 201)


def _step_json(step, case):
    return {"id": step.id, "kind": step.data["kind"], "date": step.data["date"], "text": step.to_value,
            "recorded_at": _when(step.at), "case": case}


def _amount(body, errors):
    """The amount as the form would send it (text), from a JSON string or number."""
    value = body.get("amount")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors["amount"] = "a number of yuan, or text such as \"200.50\""
        return None
    text = str(value).strip()
    if len(text) > 16 or "\x00" in text:
        errors["amount"] = "at most 16 characters"
        return None
    return text


@bp.post("/desk/tickets/<number>/result")
@api_roles(*DESK_ACTORS)
def desk_result(number):
    """{"result": code, "outcome": code?, "amount": number?, "reason": code?, "note": text?}: the case's
    result; RESOLVED, the result notice queued to the complainant."""
    found, body = _desk_case(number), json_object()
    errors = _unknown(body, ("result", "outcome", "amount", "reason", "note"))
    result = _text(body, "result", MAX_CODE, errors, required=True)
    detail = {"outcome": _text(body, "outcome", MAX_CODE, errors), "amount": _amount(body, errors),
              "reason": _text(body, "reason", MAX_CODE, errors)}
    note = _text(body, "note", desk.MAX_RESULT_NOTE, errors)
    if errors:
        return _refuse(errors)
    return _desk_act(found, lambda: desk.record_result(found, result, detail, note, g.api_user))


def desk_case_json(ticket, clock=None):
    """A case as the desk shows it to the token's user: the summary as api_shows_identity allows
    (a confidential reporter's words never), the instructions, the next department deadline."""
    department = ticket.department
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "kind": ticket.kind.value,
        "version": ticket.version,
        "department": {"code": department.code, "name": department.name} if department else None,
        "forwarded_at": _when(ticket.forwarded_at),
        "forward_instructions": ticket.forward_instructions,
        "summary": summary_for(ticket, api_shows_identity(g.api_user, ticket)),
        "respondent_name": ticket.respondent_name,
        "category": ticket.category.code if ticket.category else None,
        "next_deadline": {"kind": clock.kind.value, "due_at": _when(clock.due_at), "estimated": bool(clock.estimated)}
        if clock else None,
        "return_count": ticket.return_count or 0,
        "result": ticket.result.value if ticket.result else None,
    }
