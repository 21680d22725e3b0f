"""Held queue polls (hotline/console/fastpoll.py, `Prefer: wait=N`): on a threaded server a poll
whose panel is unchanged stays open until the queue changes, then gets what a new poll would; one
that nothing changed for gets the 304 at the end, after the same checks; a server that cannot hold
(sync workers, QUEUE_HOLDS used up) answers at once, as before. The watcher thread reads the
database beside the test, so the app runs on a file, not the shared in-memory SQLite."""

import threading
import time

import pytest

from hotline.extensions import db
from tests.conftest import PASSWORD

BROWSER = {"User-Agent": "Mozilla/5.0 (operator's browser)"}
THREADED = {"wsgi.multithread": True}  # what gunicorn's gthread worker (and make run) says
HOLD = 6  # seconds a test poll may be held: far longer than any wake-up below takes


@pytest.fixture
def app(app_factory, backend, tmp_path):
    uri = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'held.sqlite'}"} if backend == "sqlite" else {}
    app = app_factory(LIVE_SNAPSHOT_SECONDS=0.4, QUEUE_HOLDS=2, QUEUE_HOLD_SECONDS=HOLD, **uri)
    with app.app_context():
        yield app


@pytest.fixture
def reader(app, make_user):
    def sign_in():
        user = make_user()
        http = app.test_client()
        response = http.post("/login", data={"username": user.username, "password": PASSWORD}, headers=BROWSER)
        assert response.status_code == 302
        etag = http.get("/queue/panel", headers=BROWSER).headers["ETag"]
        return http, user, etag

    return sign_in


def held(http, etag, wait, threaded=True):
    """One poll asking to be held `wait` seconds: (response, seconds it took)."""
    started = time.monotonic()
    response = http.get("/queue/panel", headers={**BROWSER, "If-None-Match": etag, "Prefer": f"wait={wait}"},
                        environ_overrides=THREADED if threaded else {})
    return response, time.monotonic() - started


def in_background(call):
    """Run `call` in a thread; the returned function waits for it (bounded) and gives its result."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", call()), daemon=True)
    thread.start()

    def result():
        thread.join(HOLD + 10)
        assert not thread.is_alive(), "the held poll never ended"
        return out["result"]

    return result


def test_an_unchanged_queue_holds_the_poll_to_its_end_then_answers_304(reader):
    http, _, etag = reader()
    response, took = held(http, etag, 1)
    assert response.status_code == 304 and response.headers["ETag"] == etag
    assert 1 <= took < HOLD


def test_a_call_arriving_ends_the_held_poll_with_the_new_panel(reader, make_call):
    http, _, etag = reader()
    result = in_background(lambda: held(http, etag, HOLD))
    time.sleep(0.5)  # the poll is held by now
    make_call(phone="+8613933334444")
    response, took = result()
    assert response.status_code == 200 and "139****4444" in response.get_data(as_text=True)
    assert took < HOLD - 1  # ended by the call, not by the deadline
    assert response.headers["ETag"] != etag


def test_a_call_answered_by_the_reader_pops_from_the_held_poll(reader, make_call, create_ticket):
    http, operator, etag = reader()
    result = in_background(lambda: held(http, etag, HOLD))
    time.sleep(0.5)
    case_ = create_ticket(phone="+8613811112222")
    call = make_call(phone="+8613811112222", state="answered", operator=operator, ticket=case_)
    response, took = result()
    assert took < HOLD - 1
    news = response.headers["X-Call-News"]
    assert str(call.id) in news and case_.number in news


def test_an_account_deactivated_while_held_is_refused_at_the_end(reader):
    http, user, etag = reader()
    result = in_background(lambda: held(http, etag, 2))
    time.sleep(0.5)
    user.active = False
    db.session.commit()
    response, _ = result()
    assert response.status_code in (302, 401) and "X-Call-News" not in response.headers


def test_a_sync_worker_or_a_full_worker_answers_at_once(app, reader):
    http, _, etag = reader()
    response, took = held(http, etag, HOLD, threaded=False)  # one thread: holding would block it
    assert response.status_code == 304 and took < HOLD / 2  # not held: a held one takes HOLD

    others = [reader() for _ in range(2)]  # QUEUE_HOLDS = 2: two polls held, the third answered
    waits = [in_background(lambda h=h, e=e: held(h, e, 2)) for h, _, e in others]
    time.sleep(0.5)
    response, took = held(http, etag, HOLD)
    assert response.status_code == 304 and took < HOLD / 2  # not held: a held one takes HOLD
    assert all(wait()[0].status_code == 304 for wait in waits)


def test_a_poll_that_does_not_ask_is_never_held(reader):
    http, _, etag = reader()
    started = time.monotonic()
    response = http.get("/queue/panel", headers={**BROWSER, "If-None-Match": etag}, environ_overrides=THREADED)
    assert response.status_code == 304 and time.monotonic() - started < HOLD / 2
