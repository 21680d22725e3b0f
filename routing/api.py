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
from flask_babel import force_locale
from sqlalchemy import select

from hotline import inputs, phones
from hotline import rest as _rest
from hotline.access import api_shows_identity, get_ticket, summary_for
from hotline.extensions import db
from hotline.models import (
    Category,
    CategoryGroup,
    Department,
    ReferralEntry,
    Role,
    RoutingRule,
    RuleAction,
    TicketKind,
)
from hotline.rest import api_roles, error_response, json_object
from hotline.rest import refuse as _refuse
from hotline.rest import text_field as _text
from hotline.rest import unknown_fields as _unknown
from hotline.telephony.callcontrol import CallControlError, call_control
from hotline.tickets import IllegalTransition
from hotline.timeutil import to_local
from routing import desk, divisions, referrals, services
from routing import rule_matching as matching

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


def _referral_choice(body):
    """The referral body's entry and note, or the 422 answer."""
    errors = _unknown(body, ("referral", "note"))
    key = _text(body, "referral", 32, errors, required=True)
    note = _text(body, "note", MAX_NOTE, errors)
    entry = referrals.entry_by_key(key) if key else None
    if key and entry is None:
        errors["referral"] = "no active referral entry with this key"
    return entry, note, (_refuse(errors) if errors else None)


@bp.post("/tickets/<number>/refer")
@api_roles(*WRITE_ROLES)
def refer(number):
    """{"referral": key, "note": text?}: the out-of-scope case is referred and closed, the caller texted."""
    ticket = _case(number)
    entry, note, refused = _referral_choice(json_object())
    if refused:
        return refused
    try:
        referrals.refer(ticket, entry, g.api_user, note=note)
    except IllegalTransition:
        db.session.rollback()
        return error_response(409, "Conflict", f"only a new or accepted case is referred; this one is {ticket.status.value}")
    db.session.commit()
    return jsonify(case_json(ticket))


@bp.post("/tickets/<number>/transfer")
@api_roles(*WRITE_ROLES)
def transfer(number):
    """{"referral": key, "note": text?}: the console's "transfer the call": the case is referred
    (unless it already is, to this entry) and the caller's live call moves to the entry's script
    and number. Nothing changes when Twilio refuses (502) or no caller is on the line (409)."""
    ticket = _case(number)
    entry, note, refused = _referral_choice(json_object())
    if refused:
        return refused
    try:
        referrals.refer_call(ticket, entry, g.api_user, call_control(current_app.config), note=note)
    except IllegalTransition:
        db.session.rollback()
        return error_response(409, "Conflict", f"only a new or accepted case is referred; this one is {ticket.status.value}")
    except referrals.ReferralError:
        db.session.rollback()
        return error_response(409, "Conflict", "the caller is not on the line: nothing to transfer")
    except CallControlError:
        db.session.rollback()
        return error_response(502, "Bad Gateway", "Twilio did not move the call; nothing was changed")
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
        with force_locale("en"):  # the API's messages are English, whatever the user's language
            message = str(exc)
        if exc.field:
            return _refuse({exc.field: message})
        return error_response(409, "Conflict", f"{message} (the case is {found.status.value})")
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


# --- departments and routing rules (the console's /routing/departments and /routing/rules) --------

DEPARTMENT_ROLES = (Role.SUPERVISOR, Role.ADMIN)  # as views.departments
RULE_ROLES = (Role.SUPERVISOR,)  # as views.rules
DEPARTMENT_TEXTS = {"region": services.MAX_DEPARTMENT_REGION, "contact_phone": services.MAX_DEPARTMENT_PHONE,
                    "working_hours": services.MAX_WORKING_HOURS, "description": services.MAX_DEPARTMENT_DESCRIPTION}
DEPARTMENT_BODY = ("code", "name", *DEPARTMENT_TEXTS, "categories", "sms_lead", "active")
RULE_BODY = ("name", "kind", "category", "problem_type", "division", "region", "keywords", "respondent",
             "department", "action", "active", "reason")
MOVES = {"up": -1, "down": 1}


def _row(model, raw, message):
    """The row of `model` whose id is `raw` (ASCII digits that fit the column), else a 404."""
    found = inputs.parse_int(raw, 1)
    return (db.session.get(model, found) if found is not None else None) or abort(404, message)


def _flag(body, name, errors):
    value = body.get(name)
    if name in body and not isinstance(value, bool):
        errors[name] = "true or false"
        return None
    return value


def department_json(department):
    """A department as the console's list shows it; categories by code."""
    return {
        "id": department.id, "code": department.code, "name": department.name, "region": department.region,
        "contact_phone": department.contact_phone, "working_hours": department.working_hours,
        "description": department.description, "sms_lead": bool(department.sms_lead),
        "active": bool(department.active), "categories": sorted(c.code for c in department.categories),
    }


@bp.get("/departments")
@api_roles(*DEPARTMENT_ROLES)
def list_departments():
    """Every department, active ones first, by code (the console's list)."""
    return jsonify(items=[department_json(d) for d in services.departments()])


@bp.post("/departments")
@api_roles(*DEPARTMENT_ROLES)
def create_department():
    """{"code", "name", ...}: a new department, audited (department_saved) as the console's form."""
    return _save_department(None, json_object())


@bp.patch("/departments/<department_id>")
@api_roles(*DEPARTMENT_ROLES)
def update_department(department_id):
    """The fields sent change, the others stay; audited with before and after when anything changed."""
    department = _row(Department, department_id, "no such department")
    return _save_department(department, json_object())


def _save_department(department, body):
    errors = _unknown(body, DEPARTMENT_BODY)
    changes = {}
    creating = department is None
    if creating or "code" in body:
        code = changes["code"] = _text(body, "code", services.MAX_DEPARTMENT_CODE, errors, required=True)
        if code and not re.match(services.DEPARTMENT_CODE, code):
            errors["code"] = "letters, digits, - and _ only"
        elif code and services.code_taken(code, department):
            errors["code"] = "another department uses this code"
    if creating or "name" in body:
        changes["name"] = _text(body, "name", services.MAX_DEPARTMENT_NAME, errors, required=True)
    for name, limit in DEPARTMENT_TEXTS.items():
        if name in body:
            changes[name] = _text(body, name, limit, errors)
    if changes.get("contact_phone"):
        try:
            phones.normalise(changes["contact_phone"])
        except phones.InvalidPhone:
            errors["contact_phone"] = "not a phone number"
    if changes.get("working_hours") and not re.match(services.WORKING_HOURS, changes["working_hours"]):
        errors["working_hours"] = "HH:MM-HH:MM, e.g. 08:30-17:30"
    for name in ("sms_lead", "active"):
        if name in body:
            changes[name] = _flag(body, name, errors)
    categories = _department_categories(body, errors, department)
    if errors:
        return _refuse(errors)
    saved = services.save_department(department, changes, categories, g.api_user, ip=request.remote_addr)
    db.session.commit()
    return jsonify(department_json(saved)), 201 if creating else 200


def _department_categories(body, errors, department):
    """The categories named by code in the body; the department's own when it names none."""
    if "categories" not in body:
        return list(department.categories) if department is not None else []
    codes = body["categories"]
    if not isinstance(codes, list) or not all(isinstance(c, str) and c and len(c) <= MAX_CODE for c in codes):
        errors["categories"] = "a list of category codes"
        return []
    found = {code: services.handled_category(code) if _rest.storable(code) else None for code in codes}
    unknown = sorted(code for code, category in found.items() if category is None)
    if unknown:
        errors["categories"] = "no category a department handles with the code " + ", ".join(unknown)
    return list(dict.fromkeys(c for c in found.values() if c is not None))


def rule_json(rule):
    """A routing rule as the console's list shows it, with codes: categories, division, department."""
    department = rule.department
    return {
        "id": rule.id, "position": rule.position, "name": rule.name, "active": bool(rule.active),
        "kind": rule.kind.value if rule.kind else None,
        "category": rule.category.code if rule.category else None,
        "problem_type": rule.problem_type.code if rule.problem_type else None,
        "division": rule.division, "region": rule.region,
        "keywords": (rule.keywords or "").splitlines(), "respondent": rule.respondent,
        "department": {"code": department.code, "name": department.name} if department else None,
        "action": rule.action.value if rule.action else RuleAction.AUTO.value,
        "version": rule.version, "updated_at": _when(rule.updated_at),
    }


def _rules():
    return jsonify(items=[rule_json(rule) for rule in services.all_rules()])


@bp.get("/routing-rules")
@api_roles(*RULE_ROLES)
def list_rules():
    """Every rule in the order they are tried (the console's list)."""
    return _rules()


@bp.post("/routing-rules")
@api_roles(*RULE_ROLES)
def create_rule():
    """A new rule with its reason, placed just above a trailing catch-all, as the console's form."""
    body = json_object()
    changes, reason, errors = _rule_changes(body, None)
    if errors:
        return _refuse(errors)
    try:
        rule = services.create_rule(changes, g.api_user, reason)
    except services.ReasonRequired:
        db.session.rollback()
        return _refuse({"reason": "say why the rule changes"})
    db.session.commit()
    return jsonify(rule_json(rule)), 201


@bp.patch("/routing-rules/<rule_id>")
@api_roles(*RULE_ROLES)
def update_rule(rule_id):
    """The fields sent change (a new version with the reason); nothing changed, no new version."""
    rule, body = _row(RoutingRule, rule_id, "no such routing rule"), json_object()
    changes, reason, errors = _rule_changes(body, rule)
    if errors:
        return _refuse(errors)
    try:
        services.update_rule(rule, changes, g.api_user, reason)
    except services.ReasonRequired:
        db.session.rollback()
        return _refuse({"reason": "say why the rule changes"})
    db.session.commit()
    return jsonify(rule_json(rule))


@bp.post("/routing-rules/<rule_id>/move")
@api_roles(*RULE_ROLES)
def move_rule(rule_id):
    """{"direction": "up"|"down", "reason"}: the rule swaps places with its neighbour (the list's arrows)."""
    rule, body = _row(RoutingRule, rule_id, "no such routing rule"), json_object()
    errors = _unknown(body, ("direction", "reason"))
    direction = _text(body, "direction", MAX_CODE, errors, required=True)
    reason = _text(body, "reason", services.MAX_RULE_REASON, errors, required=True)
    if direction and direction not in MOVES:
        errors["direction"] = "one of " + ", ".join(MOVES)
    if errors:
        return _refuse(errors)
    try:
        moved = services.move_rule(rule, MOVES[direction], g.api_user, reason)
    except services.ReasonRequired:
        db.session.rollback()
        return _refuse({"reason": "say why the rule changes"})
    if not moved:
        db.session.rollback()
        return error_response(409, "Conflict", f"the rule is already {'first' if direction == 'up' else 'last'}")
    db.session.commit()
    return _rules()


@bp.get("/routing-rules/<rule_id>/history")
@api_roles(*RULE_ROLES)
def rule_history(rule_id):
    """The rule's changes, newest first, as its edit page lists them: who, when, why, before and after."""
    rule = _row(RoutingRule, rule_id, "no such routing rule")
    return jsonify(items=[_change_json(change) for change in services.history(rule)])


def _change_json(change):
    user = change.user
    return {"version": change.version, "at": _when(change.at),
            "by": {"username": user.username, "display_name": user.display_name} if user else None,
            "reason": change.reason, "before": change.before, "after": change.after}


# The tester's sample case (views.TesterForm): field -> the most characters it takes.
TRY_SAMPLE = {"text": 5000, "kind": MAX_CODE, "category": MAX_CODE, "problem_type": MAX_CODE, "region": 200,
              "respondent": 200, "platform": 100}
MAX_CASE_NUMBER = 20  # as TesterForm.test_number


@bp.post("/routing-rules/try")
@api_roles(*RULE_ROLES)
def try_rules():
    """The console's "try it" box: where a past case (by number) or a sample would go with the saved
    rules and, given a rule being edited (`rule_id`) or a `draft`, with the draft in their place.
    Nothing is stored."""
    body = json_object()
    errors = _unknown(body, ("case", "rule_id", "draft", *TRY_SAMPLE))
    number = _text(body, "case", MAX_CASE_NUMBER, errors)
    sample = {name: _text(body, name, limit, errors) for name, limit in TRY_SAMPLE.items()}
    if number is not None and any(name in body for name in TRY_SAMPLE):
        errors["case"] = "a past case or a sample, not both: " + ", ".join(n for n in TRY_SAMPLE if n in body)
    if sample["kind"] and sample["kind"] not in {k.value for k in TicketKind}:
        errors["kind"] = "one of " + ", ".join(k.value for k in TicketKind)
    chosen = {}
    for name, groups in (("category", (CategoryGroup.GOODS, CategoryGroup.SERVICES)),
                         ("problem_type", (CategoryGroup.PROBLEM,))):
        code = sample[name]
        chosen[name] = services.rule_category(code, *groups) if code and _rest.storable(code) else None
        if code and chosen[name] is None:
            errors[name] = f"no active {'/'.join(g.value for g in groups)} category with this code"
    rule = None
    if body.get("rule_id") is not None:
        raw = body["rule_id"]
        found = raw if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw < 2**31 else None
        rule = db.session.get(RoutingRule, found) if found is not None else None
        if rule is None:
            errors["rule_id"] = "the id of a routing rule (the rule list's `id`)"
    changes = None
    if "draft" in body:
        draft = body["draft"]
        if not isinstance(draft, dict):
            errors["draft"] = "an object of rule fields, as PATCH /routing-rules/{rule_id} takes them, without reason"
        elif "rule_id" not in errors:
            changes, _reason, wrong = _rule_changes(draft, rule, with_reason=False)
            errors.update({f"draft.{name}": why for name, why in wrong.items()})
    case = None
    if number is not None and not errors:
        ticket = get_ticket(number, g.api_user)
        case = services.case_of(ticket) if ticket is not None else None
        if case is None:
            errors["case"] = NOT_FOUND
    if errors:
        return _refuse(errors)
    if case is None:
        case = services.sample_case(sample["text"], kind=sample["kind"], category=chosen["category"],
                                    problem_type=chosen["problem_type"], region=sample["region"],
                                    respondent=sample["respondent"], platform=sample["platform"])
    saved_rules = services.all_rules()
    answer = {"saved": _decision_json(services.decide(case, saved_rules))}
    if rule is not None or changes is not None:
        draft = services.draft_of(rule, changes or {})
        answer["draft"] = _decision_json(services.decide(case, matching.with_draft(saved_rules, draft)))
    return jsonify(answer)


def _decision_json(decision):
    """A routing decision as the tester shows it: the rule, where the case goes, the region used,
    and every rule tried with each of its conditions (categories by code)."""
    rule, region = decision.rule, decision.region
    department = db.session.get(Department, rule.department_id) if rule is not None and rule.department_id else None
    action = getattr(rule.action, "value", rule.action) if department is not None else None
    return {
        "rule": {"id": rule.id, "name": rule.name, "version": rule.version} if rule is not None else None,
        "department": {"code": department.code, "name": department.name} if department else None,
        "action": action or (RuleAction.AUTO.value if department is not None else None),
        "to_triage": decision.to_triage,
        "region": {"value": region.value, "source": region.source, "platform": region.platform, "code": region.code},
        "trace": [{"rule": {"id": step.rule.id, "name": step.rule.name}, "matched": step.matched,
                   "checks": [_check_json(check) for check in step.checks]} for step in decision.trace],
    }


def _check_json(check):
    wanted = check.wanted
    if check.condition in ("category", "problem_type"):
        found = db.session.get(Category, int(wanted)) if wanted.isdigit() else None
        wanted = found.code if found is not None else wanted
    return {"condition": check.condition, "wanted": wanted, "found": check.found, "ok": check.ok}


def _rule_changes(body, rule, with_reason=True):
    """(changes for services.create_rule / update_rule, reason, errors) from a rule's JSON body:
    the fields sent (all of a new rule's), codes turned into ids. `with_reason` False: a draft for
    the tester, which takes no reason (and refuses one as an unknown field)."""
    errors = _unknown(body, RULE_BODY if with_reason else tuple(f for f in RULE_BODY if f != "reason"))
    changes = {}
    reason = _text(body, "reason", services.MAX_RULE_REASON, errors, required=True) if with_reason else None
    if rule is None or "name" in body:
        changes["name"] = _text(body, "name", services.MAX_RULE_NAME, errors, required=True)
    for name, limit in (("region", services.MAX_RULE_REGION), ("respondent", services.MAX_RULE_RESPONDENT)):
        if name in body:
            changes[name] = _text(body, name, limit, errors)
    if "kind" in body:
        kind = _text(body, "kind", MAX_CODE, errors)
        if kind is not None and kind not in {k.value for k in TicketKind}:
            errors["kind"] = "one of " + ", ".join(k.value for k in TicketKind) + ", or null for any"
        changes["kind"] = kind
    if "action" in body:
        action = _text(body, "action", MAX_CODE, errors, required=True)
        if action and action not in {a.value for a in RuleAction}:
            errors["action"] = "one of " + ", ".join(a.value for a in RuleAction)
        changes["action"] = action
    if "active" in body:
        changes["active"] = _flag(body, "active", errors)
    for name, groups in (("category", (CategoryGroup.GOODS, CategoryGroup.SERVICES)),
                         ("problem_type", (CategoryGroup.PROBLEM,))):
        if name in body:
            code = _text(body, name, MAX_CODE, errors)
            found = services.rule_category(code, *groups) if code else None
            if code and found is None:
                errors[name] = f"no active {'/'.join(g.value for g in groups)} category with this code"
            changes[f"{name}_id"] = found.id if found else None
    if "division" in body:
        code = _text(body, "division", MAX_CODE, errors)
        try:
            changes["division"] = divisions.checked(code)
        except divisions.UnknownDivision:
            errors["division"] = "not an administrative division code on the list (e.g. 110108)"
        if changes.get("division") is None and "region" not in body:
            changes["region"] = None  # no division and no text region: the rule holds anywhere
    if "department" in body:
        code = _text(body, "department", MAX_CODE, errors)
        found = db.session.scalar(select(Department).where(Department.code == code)) if code else None
        if code and found is None:
            errors["department"] = "no department with this code"
        changes["department_id"] = found.id if found else None
    if "keywords" in body:
        changes["keywords"] = _keywords(body["keywords"], errors)
    return changes, reason, errors


def _keywords(value, errors):
    """The keywords, one a line as the form's box holds them; a list of texts without line breaks."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
            isinstance(k, str) and _rest.storable(k) and not set(k) & set("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
            for k in value):
        errors["keywords"] = "a list of keywords, each text on one line"
        return None
    text = "\n".join(k.strip() for k in value if k.strip())
    if len(text) > services.MAX_RULE_KEYWORDS:
        errors["keywords"] = f"at most {services.MAX_RULE_KEYWORDS} characters in all, one a line"
        return None
    return text or None


# --- the referral directory (the console's /referrals/directory) ------------------------------------

DIRECTORY_ROLES = (Role.SUPERVISOR,)  # as referral_views.directory
ENTRY_TEXTS = {"hotline": referrals.MAX_HOTLINE, "scope": referrals.MAX_SCOPE,
               "caller_script": referrals.MAX_CALLER_SCRIPT, "sms_text": referrals.MAX_SMS_TEXT,
               "transfer_number": MAX_CODE}


def entry_json(entry):
    """A referral directory entry as the console's directory lists it."""
    return {"id": entry.id, "key": entry.key, **{field: getattr(entry, field) for field in referrals.EDITABLE},
            "active": bool(entry.active)}


@bp.get("/referral-entries")
@api_roles(*DIRECTORY_ROLES)
def list_referral_entries():
    """Every entry, inactive ones too, in display order (the console's directory)."""
    return jsonify(items=[entry_json(e) for e in referrals.directory(active_only=False)])


@bp.post("/referral-entries")
@api_roles(*DIRECTORY_ROLES)
def create_referral_entry():
    """{"key", "agency_zh", "agency_en", ...}: a new entry, audited (referral_entry_changed)."""
    body = json_object()
    errors = _unknown(body, ("key", *referrals.EDITABLE))
    key = _text(body, "key", MAX_CODE, errors, required=True)
    if key and not referrals.KEY.match(key):
        errors["key"] = "letters, digits, - or _ (at most 32)"
    elif key and referrals.key_taken(key):
        errors["key"] = "an entry with this key exists already"
    changes = _entry_changes(body, errors, creating=True)
    if errors:
        return _refuse(errors)
    entry = referrals.save_entry(None, g.api_user, {**changes, "key": key}, ip=request.remote_addr)
    db.session.commit()
    return jsonify(entry_json(entry)), 201


@bp.patch("/referral-entries/<entry_id>")
@api_roles(*DIRECTORY_ROLES)
def update_referral_entry(entry_id):
    """The fields sent change (not the key, which cases and suggestion rules name); audited."""
    entry, body = _row(ReferralEntry, entry_id, "no such referral entry"), json_object()
    errors = _unknown(body, referrals.EDITABLE)
    changes = _entry_changes(body, errors, creating=False)
    if errors:
        return _refuse(errors)
    referrals.save_entry(entry, g.api_user, changes, ip=request.remote_addr)
    db.session.commit()
    return jsonify(entry_json(entry))


@bp.post("/referral-entries/<entry_id>/active")
@api_roles(*DIRECTORY_ROLES)
def set_referral_entry_active(entry_id):
    """{"active": true|false}: the directory's activate / deactivate; audited. An inactive entry is
    kept for the cases that used it but offered for no referral."""
    entry, body = _row(ReferralEntry, entry_id, "no such referral entry"), json_object()
    errors = _unknown(body, ("active",))
    if "active" not in body:
        errors["active"] = "true or false"
    active = _flag(body, "active", errors)
    if errors:
        return _refuse(errors)
    referrals.set_active(entry, active, g.api_user, ip=request.remote_addr)
    db.session.commit()
    return jsonify(entry_json(entry))


def _entry_changes(body, errors, creating):
    """The entry's fields sent, as EntryForm.changes gives them (stripped, blank is null)."""
    changes = {}
    for name in ("agency_zh", "agency_en"):
        if creating or name in body:
            changes[name] = _text(body, name, referrals.MAX_AGENCY, errors, required=True)
    for name, limit in ENTRY_TEXTS.items():
        if name in body:
            changes[name] = _text(body, name, limit, errors)
    if changes.get("transfer_number") and not referrals.E164.match(changes["transfer_number"]):
        errors["transfer_number"] = "an international number such as +861012345678"
    if "position" in body:
        position = inputs.parse_int(body["position"], 0, referrals.MAX_POSITION) \
            if isinstance(body["position"], int) else None
        if position is None:
            errors["position"] = f"a whole number from 0 to {referrals.MAX_POSITION}"
        changes["position"] = position
    if "active" in body:
        changes["active"] = _flag(body, "active", errors)
    return changes


# --- administrative divisions (the intake form's province / city / district choice) ---------------

DIVISION_ROLES = (Role.OPERATOR, Role.SUPERVISOR)  # as routing.views.division_children and parse_address
MAX_ADDRESS = 500  # as routing.views.ParseForm


@bp.get("/divisions")
@api_roles(*DIVISION_ROLES)
def division_list():
    """?parent=code: the divisions directly under it (none: the provinces), as the intake form's
    cascading choice lists them; the codes are what `respondent_division` takes."""
    errors = _unknown(request.args, ("parent",))
    parent = request.args.get("parent") or None
    if parent is not None and divisions.get(parent) is None:
        errors["parent"] = "no such division code (six digits, GB/T 2260)"
    if errors:
        return _refuse(errors)
    return jsonify(parent=parent, items=[{"code": d.code, "name": d.name} for d in divisions.children(parent)])


@bp.post("/divisions/parse")
@api_roles(*DIVISION_ROLES)
def division_of_address():
    """{"address": text}: where the address lies, as intake will derive `respondent_division` from
    it (the hotline's own region first for a bare district name); code null when not found."""
    body = json_object()
    errors = _unknown(body, ("address",))
    address = _text(body, "address", MAX_ADDRESS, errors, required=True)
    if errors:
        return _refuse(errors)
    # Nothing more is read from the database: end the transaction before the parser runs (its
    # first use loads for seconds, and on SQLite an open transaction holds the write lock).
    db.session.commit()
    code = divisions.from_address(address, current_app.config.get("HOME_DIVISION") or None)
    return jsonify(code=code, name=divisions.full_name(code), levels=[d.code for d in divisions.chain(code)])
