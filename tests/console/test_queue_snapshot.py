"""The live queue is one shared snapshot (hotline/live.py): many pollers, one set of queries;
a user's own write shows on their very next poll; each sees only what their role may see."""

import json
import re

import pytest
from sqlalchemy import event

from hotline.extensions import db
from hotline.models import Availability, Role
from tests.conftest import PASSWORD


@pytest.fixture
def shared(app):
    """Snapshots kept long enough that only a write can refresh them within a test."""
    app.config["LIVE_SNAPSHOT_SECONDS"] = 60
    return app


@pytest.fixture
def reader(app, make_user):
    """A new browser signed in as a new user of `role`; returns (client, user)."""

    def sign_in(role=Role.OPERATOR):
        user = make_user(role=role)
        http = app.test_client()
        assert http.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
        return http, user

    return sign_in


@pytest.fixture
def queue_statements(app):
    """The SQL statements that read calls or cases, counted as they run."""
    seen = []

    def count(conn, cursor, statement, *args):
        if re.search(r"\bFROM (contacts|tickets)\b", statement):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_many_operators_polling_share_one_set_of_queries(shared, reader, make_call, queue_statements):
    make_call(phone="+8613811112222")
    readers = [reader() for _ in range(5)]
    first, _ = readers[0]
    assert "138****2222" in first.get("/queue/panel").get_data(as_text=True)
    one_build = len(queue_statements)
    assert one_build > 0

    for http, _user in readers:
        assert "138****2222" in http.get("/queue/panel").get_data(as_text=True)
        assert http.get("/queue/current-call").get_json()["waiting"] == 1
    assert len(queue_statements) == one_build  # nobody else queried the calls or the cases


def test_own_write_shows_on_the_very_next_poll(shared, reader, make_call):
    me, operator = reader()
    other, _ = reader()
    call = make_call(phone="+8613811112222", state="ended", operator=operator)
    assert me.get("/queue/current-call").get_json()["state"] == f"after_call:{call.id}"
    assert other.get("/queue/current-call").get_json()["waiting"] == 0  # the snapshot is built

    assert me.post(f"/calls/{call.id}/wrap-up", data={"reason": "handled"}).status_code == 302
    assert me.get("/queue/current-call").get_json()["state"] == ""


def test_a_call_pops_only_for_the_operator_who_answered_it(reader, make_call, create_ticket):
    mine, operator = reader()
    theirs, _ = reader()
    case_ = create_ticket(phone="+8613811112222")
    call = make_call(phone="+8613811112222", state="answered", operator=operator, ticket=case_)

    popped = mine.get("/queue/current-call").get_json()
    assert popped["call"]["id"] == call.id and popped["call"]["ticket"] == case_.number
    assert popped["state"] == f"live:{call.id}"
    assert theirs.get("/queue/current-call").get_json() == {"call": None, "waiting": 0, "state": ""}


def test_an_unchanged_panel_answers_304_and_a_change_answers_200(reader, make_call):
    http, _ = reader()
    make_call(phone="+8613811112222")
    first = http.get("/queue/panel")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith("W/")

    again = http.get("/queue/panel", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    make_call(phone="+8613933334444")
    changed = http.get("/queue/panel", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "139****4444" in changed.get_data(as_text=True)


def test_each_role_sees_its_own_panel_and_never_a_full_number(shared, reader, make_call):
    make_call(phone="+8613811112222")
    supervisor, _ = reader(Role.SUPERVISOR)
    operator, _ = reader(Role.OPERATOR)
    admin, _ = reader(Role.ADMIN)
    pages = {name: http.get("/queue/panel").get_data(as_text=True)
             for name, http in (("supervisor", supervisor), ("operator", operator), ("admin", admin))}

    assert 'id="blocklist-link"' in pages["supervisor"]
    assert 'id="blocklist-link"' not in pages["operator"]  # not the supervisor's shared rendering
    assert 'data-testid="answer-call"' in pages["operator"]
    assert 'data-testid="answer-call"' not in pages["admin"]  # admins do not take calls
    for name, page in pages.items():
        assert ("138****2222" in page) == (name != "admin")  # an admin may not know who calls
        assert "13811112222" not in page
        assert "\x00" not in page  # every reader got their own CSRF token put in


def test_an_away_operator_is_not_served_an_available_operators_panel(shared, reader, make_call):
    make_call(phone="+8613811112222")
    available, one = reader()
    away, other = reader()
    one.availability, other.availability = Availability.AVAILABLE, Availability.AWAY
    db.session.commit()
    assert 'data-testid="away-note"' not in available.get("/queue/panel").get_data(as_text=True)
    assert 'data-testid="away-note"' in away.get("/queue/panel").get_data(as_text=True)


def test_the_wall_and_the_queue_count_the_same_callers(shared, reader, make_call):
    for n in range(3):
        make_call(phone=f"+861381111000{n}")
    supervisor, _ = reader(Role.SUPERVISOR)
    wall = supervisor.get("/dashboard/wall.json").get_json()
    assert wall["figures"]["queue"]["waiting"] == 3
    assert supervisor.get("/queue/current-call").get_json()["waiting"] == 3


def test_the_panel_poll_brings_the_call_pop_so_the_queue_page_polls_once(reader, make_call, create_ticket):
    mine, operator = reader()
    theirs, _ = reader()
    admin, _ = reader(Role.ADMIN)
    case_ = create_ticket(phone="+8613811112222")
    call = make_call(phone="+8613811112222", state="answered", operator=operator, ticket=case_)
    make_call(phone="+8613933334444")

    first = mine.get("/queue/panel")
    news = json.loads(first.headers["X-Call-News"])
    assert news == mine.get("/queue/current-call").get_json()
    assert news["call"]["id"] == call.id and news["waiting"] == 1
    again = mine.get("/queue/panel", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and json.loads(again.headers["X-Call-News"]) == news
    assert json.loads(theirs.get("/queue/panel").headers["X-Call-News"])["call"] is None
    assert "X-Call-News" not in admin.get("/queue/panel").headers  # admins take no calls
