"""Fixtures: the app on SQLite (and on PostgreSQL when TEST_DATABASE_URL is set), a client,
a login helper, one factory per model (make_user, make_department / department, create_ticket),
the working-day calendar of 2025, and `twilio_post`, which signs requests as Twilio does."""

import os
from datetime import datetime
from urllib.parse import urlencode

import pytest
from flask import g
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from config import TestingConfig
from hotline import accounts, create_app, tickets
from hotline.deadlines.calendar_data import seed_calendar
from hotline.extensions import db
from hotline.models import Channel, Department, Role, TicketKind
from hotline.timeutil import clock_at, local_to_utc

PASSWORD = "amber-otter-lantern-42"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
REQUIRE_ALL = os.environ.get("HOTLINE_REQUIRE_ALL") == "1"
_missing_tools: dict[str, str] = {}


def require(tool, available, why):
    """Skip a test whose tool is missing, loudly; in CI (HOTLINE_REQUIRE_ALL=1) fail instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{tool} is required in CI: {why}")
    _missing_tools[tool] = why
    pytest.skip(f"{tool} not available: {why}")


def pytest_report_header(config):
    pg = f"PostgreSQL ({PG_URL.rsplit('@', 1)[-1]})" if PG_URL else "PostgreSQL NOT SET (TEST_DATABASE_URL)"
    return f"hotline backends: sqlite + {pg}" if PG_URL else f"hotline backends: sqlite only; {pg}"


def pytest_sessionfinish(session, exitstatus):
    """In CI (HOTLINE_REQUIRE_ALL=1) a skipped test fails the run: nothing passes by not running."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if REQUIRE_ALL and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    lines = []
    if not PG_URL:
        lines.append("PostgreSQL: TEST_DATABASE_URL is not set, every test ran on SQLite only")
    if REQUIRE_ALL and terminalreporter.stats.get("skipped"):
        lines.append("CI: a test was skipped, so this run fails (HOTLINE_REQUIRE_ALL=1)")
    lines += [f"{tool}: {why}" for tool, why in sorted(_missing_tools.items())]
    if lines:
        terminalreporter.section("SKIPPED FOR MISSING TOOLS (CI installs them: bash .ci/run)", sep="!")
        for line in lines:
            terminalreporter.write_line("  !! " + line, yellow=True, bold=True)


def make_config(backend, **overrides):
    url = PG_URL if backend == "postgresql" else "sqlite://"
    return type("T", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, **overrides})


_pg_schema_ready = False


def _prepare_schema(app, backend):
    global _pg_schema_ready
    if backend == "sqlite":
        db.create_all()
        return
    if not _pg_schema_ready:
        db.drop_all()
        db.create_all()
        _pg_schema_ready = True


def _truncate_all():
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


def _forget_previous_request():
    """Tests keep one app context pushed (so they can use db.session between requests), and
    Flask reuses it for every request, so `g` would carry the last request's signed-in user and
    locale into the next one. A real server starts each request with an empty `g`."""
    for name in list(g):
        g.pop(name)


def pytest_collection_modifyitems(config, items):
    """A test marked backend("postgresql") (concurrent connections, SKIP LOCKED) or
    backend("sqlite") (its write lock) is collected on that database only: CI fails on any skip."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        params = getattr(getattr(item, "callspec", None), "params", {})
        wrong = marker is not None and "backend" in params and params["backend"] != marker.args[0]
        (dropped if wrong else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app_factory(backend):
    """Build an app on this test's backend with config overrides; schema ready, cleaned after."""
    made = []

    def build(**overrides):
        app = create_app(make_config(backend, **overrides))
        app.before_request(_forget_previous_request)
        with app.app_context():
            _prepare_schema(app, backend)
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            if backend == "postgresql":
                _truncate_all()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def create(role=Role.OPERATOR, username=None, department=None, phone=None, password=PASSWORD):
        username = username or f"{Role(role).value}{next(counter)}"
        user = accounts.create_user(username, password, role, department=department, phone=phone)
        db.session.commit()
        return user

    return create


@pytest.fixture
def login(client):
    def do(user, password=PASSWORD, follow=False):
        response = client.post(
            "/login", data={"username": user.username, "password": password}, follow_redirects=follow
        )
        assert response.status_code in (200, 302), response.status_code
        return response

    return do


def new_department(code="D01", name=None, **fields):
    """The one way tests make a Department (committed): a district office unless told otherwise."""
    department = Department(code=code, name=name or f"Department {code}", **fields)
    db.session.add(department)
    db.session.commit()
    return department


@pytest.fixture
def make_department(app):
    return new_department


@pytest.fixture
def department(make_department):
    """A district market-supervision office, D01."""
    return make_department("D01", "东城市场监管所")


@pytest.fixture
def create_ticket(app):
    def create(phone="+8613800138000", channel=Channel.VOICE, kind=TicketKind.COMPLAINT, **fields):
        caller = tickets.find_or_create_caller(phone) if phone else None
        ticket = tickets.open_ticket(channel, caller=caller, kind=kind, **fields)
        db.session.commit()
        return ticket

    return create


@pytest.fixture
def calendar_2025(app):
    seed_calendar(2025, 2025)
    db.session.commit()


@pytest.fixture
def local():
    """A Beijing wall-clock time as the naive UTC the database stores."""
    return lambda *parts: local_to_utc(datetime(*parts), "Asia/Shanghai")


@pytest.fixture
def ticket_at(create_ticket):
    """A case received at a given moment (naive UTC)."""

    def make(moment, **fields):
        with clock_at(moment):
            return create_ticket(**fields)

    return make


@pytest.fixture
def twilio_post(app, client):
    """POST `params` to `path` with the X-Twilio-Signature Twilio would send."""
    validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])

    def post(path, params, signature=None, **kwargs):
        url = app.config["PUBLIC_BASE_URL"] + path
        sig = signature if signature is not None else validator.compute_signature(url, params)
        return client.post(
            path,
            data=urlencode(params, doseq=True),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": sig},
            **kwargs,
        )

    return post


@pytest.fixture
def call_clock():
    """Time frozen inside opening hours (Tue 2025-06-10 10:00 Shanghai); `.tick(seconds)` moves it."""
    from freezegun import freeze_time

    from tests.calls.conftest import OPEN_TIME_UTC

    with freeze_time(OPEN_TIME_UTC) as frozen:
        yield frozen


@pytest.fixture
def phone(twilio_post):
    """phone(number=..., sid=...) -> a Phone that calls the hotline as Twilio would (tests/calls/phone.py)."""
    from tests.calls.phone import Phone

    def make(**kwargs):
        return Phone(twilio_post, **kwargs)

    return make
