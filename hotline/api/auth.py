"""Bearer-token authentication for the API, declared per view like hotline.authz."""

from functools import wraps

from flask import g, jsonify, request

from hotline import accounts
from hotline.extensions import db
from hotline.models import Role

READ_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT)
WRITE_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)


def error_response(status, error, message, headers=None, **extra):
    """The API's one error shape: {"error", "message", ...}."""
    return jsonify(error=error, message=message, **extra), status, headers or {}


def _bearer_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _unauthorised(token):
    if token is None:
        return error_response(
            401, "Unauthorized", "send a token: Authorization: Bearer <token>",
            {"WWW-Authenticate": 'Bearer realm="hotline"'},
        )
    return error_response(
        401, "Unauthorized", "the token is invalid or revoked",
        {"WWW-Authenticate": 'Bearer realm="hotline", error="invalid_token"'},
    )


def api_roles(*roles):
    """Let the bearer token's user through when their role is one of `roles`; 401 or 403 JSON otherwise.

    Records the roles on the view as hotline.authz does, so the route walk sees them.
    """
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = _bearer_token()
            user = accounts.user_for_token(token)
            if user is None:
                return _unauthorised(token)
            db.session.commit()  # keeps the token's last use even if the view fails
            if user.role not in allowed:
                return error_response(403, "Forbidden", f"the role {user.role.value} may not do this")
            g.api_user = user
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorate
