"""The Hotline application factory."""

import contextlib
import logging

from flask import Flask, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from config import BASE_DIR, config_for, dev_secret_key
from hotline import menu, slots
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
    _trust_proxies(app)
    logging.basicConfig(level=logging.INFO)
    from hotline import logs

    logs.install()  # no query secret, phone number or e-mail address in any log line

    _init_extensions(app)
    from hotline import inputs

    inputs.init_app(app)  # before the blueprints: their <int:> rules use its converter
    slots.init_app(app)
    menu.init_app(app)
    _register_blueprints(app)
    _add_security_headers(app)
    from hotline import knowledge
    from hotline.authz import check_declared
    from hotline.cli import register_cli
    from hotline.errors import register_error_handlers
    from hotline.jobs import core_jobs
    from hotline.templating import register_template_helpers

    check_declared(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    core_jobs.init_app(app)
    knowledge.init_app(app)
    _register_features(app)
    return app


def _register_features(app):
    """The feature packages, each wired by its own init_app; the only place the core names them.
    Follow-up before routing: a text is offered to the survey it answers before the appeal word
    (hotline.events.sms_received is offered in connection order)."""
    import followup
    import intake
    import routing

    intake.init_app(app)
    followup.init_app(app)
    routing.init_app(app)


def _trust_proxies(app):
    """Behind TRUSTED_PROXIES reverse proxies, the client's address and scheme are the ones the
    nearest of them appended to X-Forwarded-For / -Proto. With none (the default) the headers
    are ignored: anyone can send them, and the rate limits and audit trail key on the address."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _require_secret_key(app):
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV_NAME"] == "development":
        app.config["SECRET_KEY"] = dev_secret_key()
        return
    raise RuntimeError("SECRET_KEY must be set in the environment outside development")


def _init_extensions(app):
    from hotline import (
        live,  # its commit hooks mark the shared live snapshots stale
        models,  # noqa: F401  (registers the tables on the metadata)
        ratelimits,  # noqa: F401  (registers the sqlite:// rate-limit storage)
    )

    db.init_app(app)
    live.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # flask-login's own message is plain English; lazy, so it is translated in the request's locale.
    login_manager.login_message = _l("Please log in to access this page.")
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=_select_locale)
    _enable_sqlite_pragmas(app)

    @login_manager.user_loader
    def load_user(user_id):
        # A session signed in before the account's last password change or reset is over.
        from hotline.accounts import session_is_current

        user = db.session.get(models.User, int(user_id))
        return user if user is not None and session_is_current(session, user) else None


def _select_locale():
    if not has_request_context():  # the CLI: BABEL_DEFAULT_LOCALE
        return None
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
    the first write commits at once and a later rollback cannot undo it.

    On PostgreSQL a write waits at most DB_LOCK_WAIT_MS for a row another transaction holds."""
    from sqlalchemy import event

    wait_ms = int(app.config["DB_LOCK_WAIT_MS"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            @event.listens_for(db.engine, "connect")
            def _lock_timeout(dbapi_conn, _record):
                with dbapi_conn.cursor() as cur:
                    cur.execute(f"SET lock_timeout = {wait_ms}")
                dbapi_conn.commit()
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={wait_ms}")
            if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # A request that only reads (GET, HEAD) begins DEFERRED: under WAL it reads its
            # snapshot and never waits for, nor blocks, a writer. Everything else (POSTs, the
            # scheduler, the CLI) takes the write lock up front with IMMEDIATE: two webhooks that
            # read then write wait for each other (busy_timeout) instead of failing on a lock
            # upgrade. A GET that does write upgrades, and if that cannot happen it is a 503.
            conn.exec_driver_sql("BEGIN" if _reads_only() else "BEGIN IMMEDIATE")


READS_ONLY = "hotline_reads_only"  # on `g`: work outside a request that only reads (begins DEFERRED)


@contextlib.contextmanager
def reading_only():
    """Transactions begun inside begin DEFERRED, as a GET's do (in an app context): for work
    outside a request that reads a lot and writes nothing, like a scheduler job's counting."""
    from flask import g

    was = g.get(READS_ONLY, False)
    setattr(g, READS_ONLY, True)
    try:
        yield
    finally:
        setattr(g, READS_ONLY, was)


def _reads_only():
    from flask import g, has_app_context, has_request_context, request

    if has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    return has_app_context() and g.get(READS_ONLY, False)


def _register_blueprints(app):
    from hotline import outbound_webhooks, rest
    from hotline.admin import api as admin_api
    from hotline.admin import api_doc as admin_api_doc
    from hotline.admin.outbound_webhooks import bp as outbound_webhooks_bp
    from hotline.admin.views import bp as admin_bp
    from hotline.api.views import bp as api_bp
    from hotline.auth import bp as auth_bp
    from hotline.console import fastpoll
    from hotline.console.calls import bp as calls_bp
    from hotline.console.outbox import bp as outbox_bp
    from hotline.console.views import bp as console_bp
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
    app.register_blueprint(outbound_webhooks_bp, url_prefix="/admin/webhooks")
    app.register_blueprint(open311_admin_bp, url_prefix="/admin/open311")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(status_bp, url_prefix="/status")
    # Open311 clients authenticate with api_key, not cookies: no CSRF.
    app.register_blueprint(open311_bp, url_prefix="/open311/v2")
    csrf.exempt(open311_bp)
    outbound_webhooks.init_app(app)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    # The admin console's twins (accounts, tokens), with their own part of the OpenAPI document.
    app.register_blueprint(admin_api.bp, url_prefix="/api/v1")
    csrf.exempt(admin_api.bp)
    rest.add_openapi(app, admin_api_doc.PATHS, admin_api_doc.SCHEMAS)
    app.register_blueprint(voice_bp, url_prefix="/twilio/voice")
    app.register_blueprint(sms_bp, url_prefix="/twilio/sms")
    if app.config["DEV_TOOLS"]:
        app.register_blueprint(devtools_bp, url_prefix="/dev")
    # The panel's unchanged answer, in front of Flask (its rules match the view's; see the module).
    (panel,) = app.url_map.iter_rules("console.queue_panel")
    fastpoll.install(app, panel.rule, SECURITY_HEADERS)
    # The API authenticates with bearer tokens, not cookies, so CSRF does not apply.
    csrf.exempt(api_bp)


# Responses no browser, proxy or CDN may keep: anything a signed-in user or an API token got
# (case pages, lists, exports, JSON), and the public status page's answers. Static files may be.
UNCACHED_BLUEPRINTS = {"status"}
CACHEABLE_TYPES = {"text/css", "text/javascript", "application/javascript"}  # stylesheets served by views


def _must_not_store(response):
    if request.endpoint == "static" or (request.endpoint or "").endswith(".static"):
        return False
    if response.mimetype in CACHEABLE_TYPES:
        return False
    return ("_user_id" in session or "Authorization" in request.headers
            or request.blueprint in UNCACHED_BLUEPRINTS)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
}


def _add_security_headers(app):
    @app.after_request
    def _headers(response):
        if _must_not_store(response) and "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
