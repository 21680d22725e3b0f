"""The routing API under /api/v1: forwarding an accepted case to a department with the
instructions it reads first (the console's triage forward), and referring an out-of-scope case
(the console's referral page). Bearer tokens, like hotline.api."""

from flask import Blueprint, abort, current_app, g, jsonify
from sqlalchemy import select

from hotline.access import get_ticket
from hotline.extensions import db
from hotline.models import Department, Role
from hotline.rest import api_roles, error_response, json_object
from hotline.rest import refuse as _refuse
from hotline.rest import text_field as _text
from hotline.rest import unknown_fields as _unknown
from hotline.tickets import IllegalTransition
from hotline.timeutil import to_local
from routing import referrals, services

bp = Blueprint("routing_api", __name__)

WRITE_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
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
