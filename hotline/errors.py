"""Error pages: HTML for people, JSON for the API, never a stack trace."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

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

    @app.errorhandler(Exception)
    def _unexpected(exc):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()  # on PostgreSQL a failed statement aborts the transaction the page would read
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        if _wants_json():
            return jsonify(error="Internal Server Error", message="unexpected error"), 500
        return render_template("errors/error.html", error=None), 500
