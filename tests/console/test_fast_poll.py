"""The queue panel's 304 answered in front of Flask (hotline/console/fastpoll.py): the same answer
Flask gives, with the same headers, and only to a reader Flask would give it to; everything else
goes to Flask, whose answer the reader then gets."""

import json
import time

import pytest
from flask import request, request_started
from sqlalchemy import event

from hotline import accounts
from hotline.extensions import db
from hotline.models import Availability, Role
from tests.conftest import PASSWORD

BROWSER = {"User-Agent": "Mozilla/5.0 (operator's browser)"}


@pytest.fixture
def shared(app):
    """Snapshots kept long enough that only a write can refresh them within a test."""
    app.config["LIVE_SNAPSHOT_SECONDS"] = 60
    return app


@pytest.fixture
def brief(app):
    """Snapshots a commit of this process makes stale after DIRTY_AFTER seconds (a quarter of
    their life), as in production with LIVE_SNAPSHOT_SECONDS = 1."""
    app.config["LIVE_SNAPSHOT_SECONDS"] = 0.4
    return app


DIRTY_AFTER = 0.15


@pytest.fixture
def reader(app, make_user):
    def sign_in(role=Role.OPERATOR, **headers):
        user = make_user(role=role)
        http = app.test_client()
        response = http.post("/login", data={"username": user.username, "password": PASSWORD},
                             headers={**BROWSER, **headers})
        assert response.status_code == 302
        return http, user

    return sign_in


@pytest.fixture
def reached_flask(app):
    """The requests Flask itself handled (its request_started signal), as paths."""
    seen = []

    def note(sender, **extra):
        seen.append(request.path)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


@pytest.fixture
def statements(app):
    """Every SQL statement run, in order: the fast path runs none."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def flask_only(app):
    """Turn the fast path off, so a request shows what Flask itself answers."""

    def switch(off):
        app.config["QUEUE_FAST_POLL"] = not off

    yield switch
    app.config["QUEUE_FAST_POLL"] = True


def poll(http, etag, **headers):
    return http.get("/queue/panel", headers={**BROWSER, "If-None-Match": etag, **headers})


def comparable(response):
    return {k: v for k, v in response.headers.items() if k not in ("Date", "Content-Length")}


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN])
def test_an_unchanged_panel_is_answered_without_a_query_and_as_flask_answers_it(
        shared, reader, make_call, statements, reached_flask, flask_only, role):
    make_call(phone="+8613811112222")
    http, _ = reader(role)
    first = http.get("/queue/panel", headers=BROWSER)
    assert first.status_code == 200 and 'data-testid="waiting-call"' in first.get_data(as_text=True)
    etag = first.headers["ETag"]

    assert poll(http, etag).status_code == 304  # the first builds this worker's accounts snapshot
    del statements[:], reached_flask[:]
    fast = poll(http, etag)
    assert fast.status_code == 304 and fast.get_data() == b""
    assert statements == [] and reached_flask == []  # no query, no Flask

    flask_only(True)
    slow = poll(http, etag)
    assert slow.status_code == 304 and reached_flask == ["/queue/panel"]
    assert comparable(fast) == comparable(slow)
    if role != Role.ADMIN:
        assert json.loads(fast.headers["X-Call-News"])["waiting"] == 1


def test_a_change_in_the_queue_is_served_by_flask_with_the_new_panel(brief, reader, make_call):
    http, _ = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    assert poll(http, etag).status_code == 304
    make_call(phone="+8613933334444")  # a commit in this process: the snapshot is dirty
    time.sleep(DIRTY_AFTER)
    changed = poll(http, etag)
    assert changed.status_code == 200 and "139****4444" in changed.get_data(as_text=True)


def test_a_call_answered_pops_through_the_fast_path_too(brief, reader, make_call, create_ticket, reached_flask):
    http, operator = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    assert poll(http, etag).status_code == 304
    case_ = create_ticket(phone="+8613811112222")
    call = make_call(phone="+8613811112222", state="answered", operator=operator, ticket=case_)
    time.sleep(DIRTY_AFTER)
    etag = poll(http, etag).headers["ETag"]  # Flask builds the new snapshot
    del reached_flask[:]
    popped = poll(http, etag)
    assert popped.status_code == 304 and reached_flask == []  # answered in front of Flask
    news = json.loads(popped.headers["X-Call-News"])
    assert news["call"]["id"] == call.id and news["call"]["ticket"] == case_.number


def test_a_deactivated_account_gets_no_304_from_its_next_poll(shared, reader, make_call):
    http, user = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    assert poll(http, etag).status_code == 304
    user.active = False
    db.session.commit()
    refused = poll(http, etag)
    assert refused.status_code in (302, 401) and "X-Call-News" not in refused.headers


def test_a_password_change_ends_other_sessions_polls_at_once(shared, reader, make_call):
    http, user = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    assert poll(http, etag).status_code == 304
    accounts.set_password(user, "another-long-passphrase-9")
    db.session.commit()
    assert poll(http, etag).status_code in (302, 401)


def test_a_cookie_carried_to_another_browser_goes_to_flask(shared, reader, reached_flask, flask_only):
    http, _ = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    assert poll(http, etag).status_code == 304
    del reached_flask[:]
    elsewhere = poll(http, etag, **{"User-Agent": "curl/8.0"})
    assert reached_flask == ["/queue/panel"]  # Flask-Login's session protection decides
    flask_only(True)
    assert elsewhere.status_code == poll(http, etag, **{"User-Agent": "curl/8.0"}).status_code


def test_a_tampered_or_missing_cookie_is_not_answered(app, shared, reader):
    http, _ = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    cookie = http.get_cookie(app.config["SESSION_COOKIE_NAME"])
    stranger = app.test_client()
    stranger.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value[:-2] + "xx")
    assert poll(stranger, etag).status_code in (302, 401)
    assert poll(app.test_client(), etag).status_code in (302, 401)


def test_a_department_clerk_is_refused_as_flask_refuses_them(shared, reader):
    operator, _ = reader()
    etag = operator.get("/queue/panel", headers=BROWSER).headers["ETag"]
    clerk, _ = reader(Role.DEPARTMENT)
    assert poll(clerk, etag).status_code == 403


def test_availability_and_language_are_part_of_what_the_reader_saw(shared, reader, make_call):
    make_call(phone="+8613811112222")
    http, user = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    assert poll(http, etag).status_code == 304
    assert user.availability == Availability.AWAY  # a new account starts away
    assert http.post("/availability", data={"availability": Availability.AVAILABLE.value},
                     headers=BROWSER).status_code == 302
    ready = poll(http, etag)
    assert ready.status_code == 200 and 'data-testid="away-note"' not in ready.get_data(as_text=True)
    ready_etag = ready.headers["ETag"]
    assert poll(http, ready_etag).status_code == 304
    assert http.post("/lang/en", headers=BROWSER).status_code == 302
    english = poll(http, ready_etag)
    assert english.status_code == 200 and english.headers["ETag"] != ready_etag


def test_fresh_snapshots_only(app, reader, make_call, reached_flask):
    # LIVE_SNAPSHOT_SECONDS = 0 (the test configuration): no snapshot is ever fresh, so every
    # poll is Flask's, which still answers 304 for an unchanged panel.
    http, _ = reader()
    etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
    del reached_flask[:]
    again = poll(http, etag)
    assert again.status_code == 304 and reached_flask == ["/queue/panel"]
