"""POST /api/v1/suggest: the suggested classification for other channels and for testing."""

from functools import wraps

from flask import Blueprint, jsonify, request

from hotline import accounts
from hotline.extensions import db
from hotline.models import Role
from intake import rules as services

bp = Blueprint("intake_api", __name__)

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
