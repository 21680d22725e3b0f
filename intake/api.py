"""The intake API under /api/v1: the suggested classification (POST /suggest), and cases from
other channels created, updated, accepted and rejected (/intake/tickets), marked as duplicates and
their complainant's number checked by SMS code, with bearer tokens."""

import math

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest

from hotline.access import get_ticket
from hotline.extensions import db
from hotline.inputs import parse_int
from hotline.knowledge import answers
from hotline.models import Role, SuggestionRule, SuggestionTarget
from hotline.rest import ValidationFailed, api_roles, error_response, json_object, storable
from hotline.tickets import IllegalTransition
from hotline.timeutil import now
from intake import api_services, decisions, evidence, repeats, verification
from intake import suggestion_rules as services
from intake.evidence_views import EVIDENCE_ROLES, why_refused

bp = Blueprint("intake_api", __name__)


MAX_TEXT = 10_000
API_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)


@bp.route("/suggest", methods=["POST"])
@api_roles(*API_ROLES)
def suggest():
    try:  # rest.json_object: any bytes at all (a 5,000-deep array raised RecursionError: a 500) are a 400
        payload = json_object()
    except BadRequest:
        payload = None
    if not isinstance(payload, dict):
        return _invalid(400, "body", "send a JSON object with Content-Type: application/json")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        return _invalid(422, "text", "text must be a non-empty string")
    if len(text) > MAX_TEXT:
        return _invalid(422, "text", f"text must be at most {MAX_TEXT} characters")
    # The knowledge base's best articles ride along: the same question, one request (docs/KNOWLEDGE.md).
    return jsonify({**services.suggestion_for(text), "articles": answers.suggested_json(text)})


def _invalid(status, field, message):
    return jsonify(error="invalid request", field=field, message=message), status


# ---- the intake API: cases from other channels, updated and decided ---------------------------

WRITE_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
READ_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
NOT_FOUND = "no such case, or not one you may see"


@bp.errorhandler(ValidationFailed)
def _validation_failed(exc):
    return error_response(422, "validation failed", exc.message, fields=exc.fields)


@bp.errorhandler(api_services.Conflict)
def _conflict(exc):
    return error_response(409, "Conflict", exc.message, version=exc.version)


@bp.errorhandler(StaleDataError)
def _stale(exc):
    # Another writer saved the case between our read and our write.
    db.session.rollback()
    return error_response(409, "Conflict", "the case changed while saving: read it again", version=None)




def _ticket(number):
    return get_ticket(number, g.api_user) or abort(404, NOT_FOUND)


def _shown(ticket, status=200, headers=None, saved=None):
    db.session.commit()
    tz = current_app.config["HOTLINE_TIMEZONE"]
    shown = api_services.ticket_json(ticket, g.api_user, tz)
    texted = api_services.text_answer_result(saved) if saved is not None else None
    if texted is not None:  # only when text_answer was asked
        shown["text_answer_result"] = texted
    return jsonify(shown), status, headers or {}


@bp.post("/intake/tickets")
@api_roles(*WRITE_ROLES)
def create_intake_ticket():
    saved = api_services.create_ticket(json_object(), g.api_user)
    ticket = saved.ticket
    return _shown(ticket, 201, {"Location": url_for(".intake_ticket", number=ticket.number, _external=True)}, saved)


@bp.get("/intake/tickets/<number>")
@api_roles(*READ_ROLES)
def intake_ticket(number):
    return _shown(_ticket(number))


@bp.patch("/intake/tickets/<number>")
@api_roles(*WRITE_ROLES)
def update_intake_ticket(number):
    ticket = _ticket(number)
    saved = api_services.update_ticket(ticket, json_object(), g.api_user)
    return _shown(ticket, saved=saved)


@bp.post("/intake/tickets/<number>/accept")
@api_roles(*WRITE_ROLES)
def accept_intake_ticket(number):
    ticket = _ticket(number)
    api_services.decision_body(ticket, json_object(required=False), ())
    _decide(ticket, decisions.accept_ticket, g.api_user)
    return _shown(ticket)


@bp.post("/intake/tickets/<number>/reject")
@api_roles(*WRITE_ROLES)
def reject_intake_ticket(number):
    ticket = _ticket(number)
    body = api_services.decision_body(ticket, json_object(), ("ground", "reason"))
    _decide(ticket, decisions.reject_ticket, body.get("ground"), body.get("reason"), g.api_user)
    return _shown(ticket)


def _decide(ticket, decide, *args):
    """Run a decision; a refusal becomes a 422 naming the fields, or a 409 when the case's state forbids it."""
    try:
        decide(ticket, *args)
    except (decisions.DecisionRefused, IllegalTransition) as exc:
        db.session.rollback()
        fields = api_services.decision_errors(exc) if isinstance(exc, decisions.DecisionRefused) else None
        if fields:
            raise ValidationFailed(fields, "invalid fields: " + ", ".join(sorted(fields))) from exc
        raise api_services.Conflict(f"the case cannot be decided in status {ticket.status.value}",
                                    ticket.version) from exc


# ---- the console's intake_decision twins: duplicates, the identity check by SMS code ----------

@bp.post("/intake/tickets/<number>/duplicate")
@api_roles(*WRITE_ROLES)
def mark_duplicate(number):
    ticket = _ticket(number)
    original = api_services.duplicate_body(ticket, json_object(), g.api_user)
    try:
        repeats.link_duplicate(ticket, original, g.api_user)
    except repeats.DuplicateRefused as exc:
        db.session.rollback()
        raise ValidationFailed({"of": "that case is a duplicate of this one (directly or through others): a case "
                                      "cannot be a duplicate of its own duplicate"}, "invalid fields: of") from exc
    return _shown(ticket)


def _otp_refused(exc):
    status, code, message = api_services.OTP_REFUSALS[type(exc)]
    if status == 409:
        return error_response(409, "Conflict", message, code=code)
    retry_at = getattr(exc, "retry_at", None)
    if retry_at is None:
        return error_response(429, "Too Many Requests", message, code=code, retry_after=None)
    seconds = max(1, math.ceil((retry_at - now()).total_seconds()))
    return error_response(429, "Too Many Requests", message, {"Retry-After": str(seconds)}, code=code,
                          retry_after=seconds)


@bp.post("/intake/tickets/<number>/otp/send")
@api_roles(*WRITE_ROLES)
def send_otp(number):
    ticket = _ticket(number)
    api_services.no_fields(json_object(required=False))
    try:
        verification.send_code(ticket, g.api_user)
    except verification.OtpError as exc:
        db.session.rollback()
        return _otp_refused(exc)
    db.session.commit()
    return jsonify(api_services.otp_json(ticket, g.api_user, current_app.config["HOTLINE_TIMEZONE"]))


@bp.post("/intake/tickets/<number>/otp/verify")
@api_roles(*WRITE_ROLES)
def verify_otp(number):
    ticket = _ticket(number)
    code = api_services.otp_code(json_object())
    try:
        verification.verify_code(ticket, code, g.api_user)
    except verification.WrongCode as exc:
        db.session.commit()  # the try counts, as in the console: six digits must not be guessed for free
        return error_response(422, "validation failed", "invalid fields: code", tries_left=exc.tries_left,
                              fields={"code": f"wrong code: {exc.tries_left} tries left"})
    except verification.OtpError as exc:
        db.session.commit()  # the last wrong try locked the code: its count and history line stay
        return _otp_refused(exc)
    return _shown(ticket)


@bp.post("/tickets/<number>/evidence")
@api_roles(*EVIDENCE_ROLES)
def attach_evidence(number):
    # The token check's transaction (on SQLite: the write lock) ends before the file is read and typed.
    db.session.commit()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return error_response(400, "Bad Request", "send one file as the multipart/form-data field 'file'")
    upload = evidence.check_upload(sent.filename, sent.stream, evidence.max_file_bytes())
    ticket = _ticket(number)
    try:
        item = evidence.attach_file(ticket, upload, g.api_user, evidence.storage_dir())
    except evidence.EvidenceRefused as exc:
        db.session.rollback()
        return error_response(413 if exc.code == "too_large" else 422, "file refused",
                              why_refused(exc.code, evidence.max_file_bytes()), code=exc.code)
    db.session.commit()
    return jsonify(evidence.evidence_json(item)), 201


# ---- keyword suggestion rules (the console's /intake/rules) -----------------------------------

RULE_ROLES = (Role.SUPERVISOR,)  # as intake.views.rules
RULE_FIELDS = ("keywords", "weight", "position", "active")


def rule_json(rule):
    """A keyword rule as the console's list shows it; keywords one a list item."""
    return {"id": rule.id, "target": str(rule.target), "value": rule.value,
            "keywords": (rule.keywords or "").splitlines(), "weight": rule.weight, "position": rule.position,
            "active": bool(rule.active)}


@bp.get("/suggestion-rules")
@api_roles(*RULE_ROLES)
def list_suggestion_rules():
    """Every rule, by target (kind, category, problem, referral), each target's in position order."""
    return jsonify(items=[rule_json(r) for rules in services.all_rules().values() for r in rules])


@bp.post("/suggestion-rules")
@api_roles(*RULE_ROLES)
def create_suggestion_rule():
    """{"target", "value", "keywords", ...}: a new rule, audited (suggestion_rule_changed)."""
    body = json_object()
    errors = {name: "unknown field" for name in body if name not in ("target", "value", *RULE_FIELDS)}
    target, value = body.get("target"), body.get("value")
    targets = [t.value for t in SuggestionTarget]
    if target not in targets:
        errors["target"] = "one of " + ", ".join(targets)
    if not isinstance(value, str) or not storable(value) or not value.strip() or len(value.strip()) > services.MAX_VALUE:
        errors["value"] = f"required text, at most {services.MAX_VALUE} characters"
    elif "target" not in errors:
        why = services.invalid_value(target, value.strip())
        if why:
            errors["value"] = why
    changes = _rule_changes(body, errors, {"keywords": [], "weight": 1, "position": 0, "active": True})
    if errors:
        return error_response(422, "validation failed", "invalid fields: " + ", ".join(sorted(errors)), fields=errors)
    rule = services.save_rule(None, g.api_user, {**changes, "target": target, "value": value.strip()},
                              ip=request.remote_addr)
    db.session.commit()
    return jsonify(rule_json(rule)), 201


@bp.patch("/suggestion-rules/<rule_id>")
@api_roles(*RULE_ROLES)
def update_suggestion_rule(rule_id):
    """The fields sent change (not target and value, as on the console's edit form); audited."""
    found = parse_int(rule_id, 1)
    rule = (db.session.get(SuggestionRule, found) if found is not None else None) or abort(404, "no such rule")
    body = json_object()
    errors = {name: "unknown field" for name in body if name not in RULE_FIELDS}
    changes = _rule_changes(body, errors, {})
    if errors:
        return error_response(422, "validation failed", "invalid fields: " + ", ".join(sorted(errors)), fields=errors)
    services.save_rule(rule, g.api_user, changes, ip=request.remote_addr)
    db.session.commit()
    return jsonify(rule_json(rule))


def _rule_changes(body, errors, defaults):
    """The rule's fields sent (`defaults` for those not sent), as RuleForm.changes gives them."""
    values = {**defaults, **{name: body[name] for name in RULE_FIELDS if name in body}}
    changes = {}
    if "keywords" in values:
        words = values["keywords"]
        if not isinstance(words, list) or not all(isinstance(w, str) and storable(w) and len(w.splitlines()) <= 1
                                                   for w in words):
            errors["keywords"] = "a list of keywords, each text on one line"
        elif len("\n".join(words)) > services.MAX_KEYWORDS:
            errors["keywords"] = f"at most {services.MAX_KEYWORDS} characters in all, one a line"
        else:
            changes["keywords"] = "\n".join(words)
    for name, high in (("weight", services.MAX_WEIGHT), ("position", services.MAX_POSITION)):
        if name in values:
            number = parse_int(values[name], 0, high) if isinstance(values[name], int) else None
            if number is None:
                errors[name] = f"a whole number from 0 to {high}"
            changes[name] = number
    if "active" in values:
        if not isinstance(values["active"], bool):
            errors["active"] = "true or false"
        changes["active"] = values["active"]
    return changes
