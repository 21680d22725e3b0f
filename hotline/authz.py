"""Who may see what. Every view declares its roles; a view that declares nothing is refused.

`roles_required` both checks and records the roles on the view function, so a test can
walk `app.view_functions` and prove each role reaches only what it must.
"""

from functools import wraps

from flask import abort, request
from flask_login import current_user

from hotline.models import Role

ALL_STAFF = tuple(Role)


def roles_required(*roles):
    """Allow signed-in users whose role is one of `roles` (all staff when empty)."""
    allowed = frozenset(roles or ALL_STAFF)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return _unauthenticated()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorate


def public(view):
    """Mark a view as reachable without signing in (sign-in page, webhooks, health)."""
    view.allowed_roles = None
    view.is_public = True
    return view


def _unauthenticated():
    from hotline.extensions import login_manager

    if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
        abort(401)
    return login_manager.unauthorized()


def check_declared(app):
    """Fail closed: refuse any endpoint that forgot to declare who may reach it."""

    @app.before_request
    def _require_declaration():
        view = app.view_functions.get(request.endpoint)
        if view is None or request.endpoint == "static":
            return None
        if not hasattr(view, "allowed_roles"):
            app.logger.error("endpoint %s declares no roles; refused", request.endpoint)
            abort(403)
        return None
