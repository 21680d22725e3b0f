"""Error pages: HTML for people, JSON for the API, never a stack trace."""

from flask import jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from hotline.extensions import db
from hotline.inputs import TooLong


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app):
    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if isinstance(exc, TooLong):
            db.session.rollback()  # the refused row is still pending: no later query may flush it
        if _wants_json():
            extra = {"fields": exc.fields} if getattr(exc, "fields", None) else {}
            return jsonify(error=exc.name, message=str(exc.description), **extra), exc.code
        return render_template("errors/error.html", error=exc), exc.code

    @app.errorhandler(OperationalError)
    def _database_busy(exc):
        """Another transaction held the lock longer than DB_LOCK_WAIT_MS: the whole request was
        rolled back, so nothing is half done, and the client (Twilio, a browser, an API caller)
        is told to try again shortly. Anything else the database refused is a 500."""
        if not is_contention(exc):
            return _unexpected(exc)
        db.session.rollback()
        app.logger.warning("database busy on %s %s: answered 503", request.method, request.path)
        busy = ServiceUnavailable(description=_busy_message())
        response = _http_error(busy)
        response = app.make_response(response)
        response.headers["Retry-After"] = str(app.config["DB_BUSY_RETRY_AFTER"])
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()  # on PostgreSQL a failed statement aborts the transaction the page would read
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        if _wants_json():
            return jsonify(error="Internal Server Error", message="unexpected error"), 500
        return render_template("errors/error.html", error=None), 500


# SQLite says "database is locked" (or "busy"); PostgreSQL: lock_timeout (55P03), a serialization
# failure (40001) or a deadlock (40P01). Each means "try again", not "this request is wrong".
CONTENTION_STATES = frozenset({"55P03", "40001", "40P01"})


def is_contention(exc):
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in CONTENTION_STATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


def _busy_message():
    from flask_babel import gettext as _

    return _("The hotline is very busy right now and nothing was saved. Please try again in a moment.")
