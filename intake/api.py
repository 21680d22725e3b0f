"""The intake API under /api/v1: the suggested classification (POST /suggest), and cases from
other channels created, updated, accepted and rejected (/intake/tickets), with bearer tokens."""

from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from hotline import accounts
from hotline.api.auth import api_roles, error_response
from hotline.api.body import json_object
from hotline.api.schemas import ValidationFailed
from hotline.console.services import get_ticket
from hotline.extensions import db
from hotline.models import Role
from hotline.tickets import IllegalTransition
from intake import api_services, classifier, decisions
from intake import rules as services

bp = Blueprint("intake_api", __name__)


@bp.record_once
def _warm_up(state):
    if state.app.config.get("SUGGEST_WARM_UP"):
        classifier.warm_up()

MAX_TEXT = 10_000
API_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)


def token_roles_required(*roles):
    """Allow a request whose `Authorization: Bearer` token belongs to a user of one of `roles`."""
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            user = accounts.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                response = jsonify(error="unauthorized", message="a valid bearer token is required")
                response.headers["WWW-Authenticate"] = "Bearer"
                return response, 401
            if user.role not in allowed:
                return jsonify(error="forbidden", message="this token's role may not use this endpoint"), 403
            db.session.commit()  # keeps the token's last_used_at
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorate


@bp.route("/suggest", methods=["POST"])
@token_roles_required(*API_ROLES)
def suggest():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _invalid(400, "body", "send a JSON object with Content-Type: application/json")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        return _invalid(422, "text", "text must be a non-empty string")
    if len(text) > MAX_TEXT:
        return _invalid(422, "text", f"text must be at most {MAX_TEXT} characters")
    return jsonify(services.suggestion_for(text))


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




def _case(number):
    return get_ticket(number, g.api_user) or abort(404, NOT_FOUND)


def _shown(ticket, status=200, headers=None):
    db.session.commit()
    tz = current_app.config["HOTLINE_TIMEZONE"]
    return jsonify(api_services.case_json(ticket, g.api_user, tz)), status, headers or {}


@bp.post("/intake/tickets")
@api_roles(*WRITE_ROLES)
def create_intake_ticket():
    ticket = api_services.create_case(json_object(), g.api_user)
    return _shown(ticket, 201, {"Location": url_for(".intake_ticket", number=ticket.number, _external=True)})


@bp.get("/intake/tickets/<number>")
@api_roles(*READ_ROLES)
def intake_ticket(number):
    return _shown(_case(number))


@bp.patch("/intake/tickets/<number>")
@api_roles(*WRITE_ROLES)
def update_intake_ticket(number):
    ticket = _case(number)
    api_services.update_case(ticket, json_object(), g.api_user)
    return _shown(ticket)


@bp.post("/intake/tickets/<number>/accept")
@api_roles(*WRITE_ROLES)
def accept_intake_ticket(number):
    ticket = _case(number)
    api_services.decision_body(ticket, json_object(required=False), ())
    _decide(ticket, decisions.accept_case, g.api_user)
    return _shown(ticket)


@bp.post("/intake/tickets/<number>/reject")
@api_roles(*WRITE_ROLES)
def reject_intake_ticket(number):
    ticket = _case(number)
    body = api_services.decision_body(ticket, json_object(), ("ground", "reason"))
    _decide(ticket, decisions.reject_case, body.get("ground"), body.get("reason"), g.api_user)
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
