"""Reads never wait for the write lock, and a write that cannot get it is a clean 503 (issue 17.2
and 17.5), on a real database file (SQLite) and on PostgreSQL:

- while another connection holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the cases
  table locked against writes), a case page and the API's case read answer 200 at once;
- a text that arrives meanwhile is answered 503 with Retry-After, and nothing of it is stored;
- the same text sent again (as Twilio retries) once the lock is gone is stored exactly once.
"""

import sqlite3
from urllib.parse import urlencode

import psycopg
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline import accounts, tickets
from hotline.extensions import db
from hotline.models import Channel, Contact, Role, Ticket
from tests.conftest import PASSWORD, PG_URL

WAIT_MS = 300  # how long a write waits for the lock in these tests (production: 10 s)
TEXT = {"MessageSid": "SM" + "b" * 32, "From": "+8613700137001", "To": "+8610012315", "Body": "我要投诉，商家不退押金"}
CALL = {"CallSid": "CA" + "c" * 32, "From": "+8613700137003", "To": "+8610012315", "CallStatus": "ringing"}


@pytest.fixture
def busy_app(app_factory, backend, tmp_path):
    # A file, not the in-memory database the other tests share: two connections must see it.
    uri = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'busy.sqlite'}"} if backend == "sqlite" else {}
    app = app_factory(DB_LOCK_WAIT_MS=WAIT_MS, **uri)
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        user = accounts.create_user("op-busy", PASSWORD, Role.OPERATOR)
        ticket = tickets.open_ticket(Channel.VOICE, caller=tickets.find_or_create_caller("+8613800138000"))
        token, _ = accounts.create_token(user, "busy")
        db.session.commit()
        number = ticket.number
        db.session.remove()  # the test holds no transaction of its own
        yield app, number, token


class Lock:
    """Another connection holding the write lock until released."""

    def __init__(self, app, backend, wait_ms=5000):
        self.backend = backend
        if backend == "sqlite":
            path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=wait_ms / 1000)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"))
            self.conn.execute(f"SET lock_timeout = {wait_ms}")
            # Writes to cases wait; reads of them do not (EXCLUSIVE lets SELECT through).
            self.conn.execute("LOCK TABLE tickets IN EXCLUSIVE MODE")

    def release(self):
        self.conn.rollback() if self.backend == "postgresql" else self.conn.execute("ROLLBACK")
        self.conn.close()


def _signed(app, client, path="/twilio/sms", params=TEXT):
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature})


def _signed_text(app, client):
    return _signed(app, client)


def _stored(sid=TEXT["MessageSid"], channel=Channel.SMS):
    contacts = db.session.scalar(select(func.count()).select_from(Contact).where(Contact.sid == sid))
    cases = db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == channel))
    db.session.remove()
    return contacts, cases


def test_reads_answer_while_another_connection_holds_the_write_lock(busy_app, backend):
    app, number, token = busy_app
    client = app.test_client()
    with app.app_context():
        assert client.post("/login", data={"username": "op-busy", "password": PASSWORD}).status_code == 302
        db.session.remove()  # a server ends each request's transaction; the test's context must too
        lock = Lock(app, backend)
        try:
            page = client.get(f"/tickets/{number}")
            api = client.get(f"/api/v1/tickets/{number}", headers={"Authorization": f"Bearer {token}"})
        finally:
            lock.release()
    # Had they waited for the lock they would have given up after WAIT_MS and answered 503.
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    assert api.status_code == 200 and api.get_json()["number"] == number


def test_a_text_that_cannot_get_the_lock_is_a_503_and_is_stored_once_when_sent_again(busy_app, backend):
    app, _number, _token = busy_app
    client = app.test_client()
    with app.app_context():
        lock = Lock(app, backend)
        try:
            refused = _signed_text(app, client)
        finally:
            lock.release()
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(app.config["DB_BUSY_RETRY_AFTER"])
        assert _stored() == (0, 0)  # nothing half done
        again = _signed_text(app, client)
        assert again.status_code == 200
        assert _stored() == (1, 1)
        assert _signed_text(app, client).status_code == 200  # a third delivery changes nothing
        assert _stored() == (1, 1)


def test_the_api_says_busy_in_json(busy_app, backend):
    app, _number, token = busy_app
    client = app.test_client()
    with app.app_context():
        lock = Lock(app, backend)
        try:
            response = client.post("/api/v1/tickets", json={"channel": "web", "kind": "complaint", "phone": "13700137002",
                                         "facts": "商家拒绝退款"},
                                   headers={"Authorization": f"Bearer {token}"})
        finally:
            lock.release()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"] == "Service Unavailable"
    assert response.headers["Retry-After"]


def test_a_call_that_cannot_get_the_lock_is_a_503_and_is_one_call_when_twilio_retries(busy_app, backend):
    app, _number, _token = busy_app
    app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    client = app.test_client()
    with app.app_context():
        before = _stored(CALL["CallSid"], Channel.VOICE)[1]
        lock = Lock(app, backend)
        try:
            refused = _signed(app, client, "/twilio/voice", CALL)
        finally:
            lock.release()
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert _stored(CALL["CallSid"], Channel.VOICE) == (0, before)
        assert _signed(app, client, "/twilio/voice", CALL).status_code == 200
        assert _signed(app, client, "/twilio/voice", CALL).status_code == 200
        assert _stored(CALL["CallSid"], Channel.VOICE) == (1, before + 1)


def test_the_daily_figures_job_counts_without_holding_the_write_lock(busy_app, backend):
    """The roll-up's counting reads for seconds at scale: meanwhile another connection can still
    write (a webhook is not kept waiting), and the figures are written after."""
    from hotline.dashboard import rollups
    from hotline.dashboard.jobs import refresh_daily_figures
    from hotline.jobs.scheduler import run_job
    from hotline.models import DailyFigure

    app, _number, _token = busy_app
    got_lock = []

    def probe(_day):
        lock = Lock(app, backend, wait_ms=100)  # fails fast if the job held the write lock
        got_lock.append(True)
        lock.release()
        return [("probe.seen", "", 1, 0)]

    rollups.ROLLUPS.append(("probe", probe))
    try:
        assert run_job(app, "daily-figures", refresh_daily_figures) is not None
    finally:
        rollups.ROLLUPS.remove(("probe", probe))
    assert got_lock and all(got_lock)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DailyFigure)
                                 .where(DailyFigure.figure == "probe.seen")) == len(got_lock)
