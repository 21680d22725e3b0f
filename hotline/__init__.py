"""The Hotline application factory."""

import logging

from flask import Flask, request, session
from flask_login import current_user

from config import BASE_DIR, config_for, dev_secret_key
from hotline.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config=None):
    """Build the app from a config class (or its name; default from HOTLINE_CONFIG)."""
    config_cls = config if isinstance(config, type) else config_for(config)
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config_cls)
    _require_secret_key(app)
    logging.basicConfig(level=logging.INFO)

    _init_extensions(app)
    from hotline import inputs

    inputs.init_app(app)  # before the blueprints: their <int:> rules use its converter
    _register_blueprints(app)
    _add_security_headers(app)
    from hotline.authz import check_declared
    from hotline.cli import register_cli
    from hotline.errors import register_error_handlers
    from hotline.templating import register_template_helpers

    check_declared(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    _register_features(app)
    return app


def _register_features(app):
    """Feature packages hang off the core; imported here so the core never imports them
    at module level."""
    from followup import callbacks, surveys
    from followup.calendar_data import calendar_warnings
    from followup.callback_views import bp as callbacks_bp
    from followup.cli import followup_cli
    from followup.survey_views import bp as surveys_bp
    from followup.views import bp as followup_bp
    from intake.api import bp as intake_api_bp
    from intake.decision_views import bp as intake_decision_bp
    from intake.evidence_views import bp as evidence_bp
    from intake.views import bp as intake_bp
    from routing.desk_views import bp as desk_bp
    from routing.referral_views import bp as referrals_bp
    from routing.referrals import sms_appeal_hook
    from routing.views import bp as routing_bp

    app.cli.add_command(followup_cli)
    app.register_blueprint(intake_bp, url_prefix="/intake")
    app.register_blueprint(intake_decision_bp, url_prefix="/intake")
    app.register_blueprint(evidence_bp, url_prefix="/evidence")
    app.register_blueprint(intake_api_bp, url_prefix="/api/v1")
    # Bearer-token API, like hotline.api: no cookies, so no CSRF.
    csrf.exempt(intake_api_bp)
    app.register_blueprint(routing_bp, url_prefix="/routing")
    app.register_blueprint(referrals_bp, url_prefix="/referrals")
    app.register_blueprint(desk_bp, url_prefix="/desk")
    app.register_blueprint(followup_bp, url_prefix="/followup")
    app.register_blueprint(callbacks_bp, url_prefix="/followup/callbacks")
    app.register_blueprint(surveys_bp, url_prefix="/followup/surveys")
    # A survey answer is offered first: "不满意" to an open survey is a score, not an appeal.
    app.extensions["sms_message_hooks"] = [surveys.sms_survey_hook, sms_appeal_hook]
    # The dashboard (core) shows the calendar's warnings without importing followup.
    app.extensions["calendar_warnings"] = calendar_warnings
    app.extensions["ticket_status_hooks"].extend([surveys.on_status_changed, callbacks.on_status_changed])


def _require_secret_key(app):
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV_NAME"] == "development":
        app.config["SECRET_KEY"] = dev_secret_key()
        return
    raise RuntimeError("SECRET_KEY must be set in the environment outside development")


def _init_extensions(app):
    from hotline import models  # noqa: F401  (registers the tables on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=_select_locale)
    _enable_sqlite_pragmas(app)

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(models.User, int(user_id))


def _select_locale():
    chosen = session.get("lang")
    if not chosen and current_user and current_user.is_authenticated:
        chosen = current_user.locale
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) if request else None


def _enable_sqlite_pragmas(app):
    """WAL lets the scheduler write while the web server reads; SQLite ignores foreign keys
    unless asked. And pysqlite's own transaction handling is switched off for SQLAlchemy's:
    left alone it starts no transaction before a SAVEPOINT, so a savepoint released before
    the first write commits at once and a later rollback cannot undo it."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # IMMEDIATE takes the write lock up front: two webhooks that read then write
            # wait for each other (busy_timeout) instead of failing on a lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _register_blueprints(app):
    from hotline import webhooks
    from hotline.admin.views import bp as admin_bp
    from hotline.admin.webhooks import bp as webhooks_bp
    from hotline.api.views import bp as api_bp
    from hotline.auth import bp as auth_bp
    from hotline.console.calls import bp as calls_bp
    from hotline.console.outbox import bp as outbox_bp
    from hotline.console.views import bp as console_bp
    from hotline.dashboard import call_reports  # noqa: F401  (adds /reports/calls to reports_bp)
    from hotline.dashboard.report_views import bp as reports_bp
    from hotline.dashboard.views import bp as dashboard_bp
    from hotline.devtools.views import bp as devtools_bp
    from hotline.open311.admin_views import bp as open311_admin_bp
    from hotline.open311.views import bp as open311_bp
    from hotline.public.views import bp as status_bp
    from hotline.telephony.sms import bp as sms_bp
    from hotline.telephony.voice import bp as voice_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(calls_bp, url_prefix="/calls")
    app.register_blueprint(outbox_bp, url_prefix="/outbox")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(webhooks_bp, url_prefix="/admin/webhooks")
    app.register_blueprint(open311_admin_bp, url_prefix="/admin/open311")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(status_bp, url_prefix="/status")
    # Open311 clients authenticate with api_key, not cookies: no CSRF.
    app.register_blueprint(open311_bp, url_prefix="/open311/v2")
    csrf.exempt(open311_bp)
    app.extensions["ticket_created_hooks"] = [webhooks.on_ticket_created]
    app.extensions["ticket_status_hooks"] = [webhooks.on_status_changed]
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(voice_bp, url_prefix="/twilio/voice")
    app.register_blueprint(sms_bp, url_prefix="/twilio/sms")
    if app.config["DEV_TOOLS"]:
        app.register_blueprint(devtools_bp, url_prefix="/dev")
    # The API authenticates with bearer tokens, not cookies, so CSRF does not apply.
    csrf.exempt(api_bp)


def _add_security_headers(app):
    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response
