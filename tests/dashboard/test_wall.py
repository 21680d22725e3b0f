"""The live wall: its JSON and page show the queue, operators, today's and yesterday's calls,
SMS waiting and each department's late cases; supervisors only; operators see their own figures."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from hotline import calls as hotline_calls
from hotline.extensions import db
from hotline.models import (
    Availability,
    Channel,
    Clock,
    ClockKind,
    ClockState,
    Contact,
    Department,
    Direction,
    Role,
)
from tests.dashboard.call_data import hand_worked_facts, store

NOW = datetime(2025, 6, 11, 4, 0, 0)  # Wed 2025-06-11 12:00 in Shanghai; the hand-worked day was yesterday
EN = {"Accept-Language": "en"}


@pytest.fixture
def frozen():
    with freeze_time(NOW) as f:
        yield f


@pytest.fixture
def supervisor(make_user, login, frozen):
    user = make_user(Role.SUPERVISOR)
    login(user)
    return user


def _call(**fields):
    contact = Contact(channel=Channel.VOICE, direction=Direction.INBOUND, **fields)
    db.session.add(contact)
    return contact


def _wall(client):
    response = client.get("/dashboard/wall.json", headers=EN)
    assert response.status_code == 200
    return response.get_json()


def test_yesterday_figures_are_the_hand_worked_ones(client, supervisor, make_user):
    op = make_user(Role.OPERATOR)
    store(hand_worked_facts(operator_id=op.id))
    data = _wall(client)
    y = data["figures"]["calls_yesterday"]
    assert (y["offered"], y["answered"], y["abandoned"], y["short_abandoned"]) == (10, 7, 2, 1)
    assert data["text"]["calls_yesterday.answer_rate"] == "70.0%"
    assert data["text"]["calls_yesterday.service_level"] == "40.0%"
    assert data["text"]["calls_yesterday.asa"] == "0:14"  # 100 / 7, as every duration reads
    assert data["text"]["calls_yesterday.aht"] == "3:20"  # 200 s
    assert data["alarms"]["calls_yesterday.answer_rate"] is True
    assert data["figures"]["calls_today"]["offered"] == 0
    assert data["text"]["calls_today.answer_rate"] == "–"


def test_today_queue_and_threshold_colours(client, supervisor, make_user):
    op = make_user(Role.OPERATOR)
    _call(created_at=NOW - timedelta(seconds=40), queued_at=NOW - timedelta(seconds=20))
    # Ringing at an operator's phone (reserved, not answered): the caller is still waiting.
    _call(created_at=NOW - timedelta(seconds=15), queued_at=NOW - timedelta(seconds=10), answered_by_id=op.id)
    _call(created_at=NOW - timedelta(minutes=5), queued_at=NOW - timedelta(minutes=5),
          answered_at=NOW - timedelta(minutes=5) + timedelta(seconds=8), queue_seconds=8, answered_by_id=op.id)
    db.session.commit()
    data = _wall(client)
    assert data["figures"]["queue"] == {"waiting": 2, "longest_wait": 20, "wait_too_long": True}
    today = data["figures"]["calls_today"]
    assert (today["offered"], today["answered"], today["within_sl"]) == (3, 1, 1)
    assert data["alarms"]["queue.longest_wait"] and data["alarms"]["calls_today.answer_rate"]
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    assert 'data-field="queue.longest_wait" data-testid="queue.longest_wait">0:20<' in page
    assert 'class="figure alarm" data-field="queue.longest_wait"' in page


def test_operator_states_come_from_their_calls(client, supervisor, make_user):
    on_call, wrapping, free, away, done = (make_user(Role.OPERATOR) for _ in range(5))
    for user, availability in ((free, Availability.AVAILABLE), (away, Availability.AWAY),
                               (on_call, Availability.BUSY), (wrapping, Availability.BUSY),
                               (done, Availability.AVAILABLE)):
        user.availability = availability
    t = NOW - timedelta(minutes=10)
    _call(created_at=t, queued_at=t, answered_at=t, answered_by_id=on_call.id)
    _call(created_at=t, queued_at=t, answered_at=t, ended_at=NOW - timedelta(minutes=2), answered_by_id=wrapping.id)
    _call(created_at=t, queued_at=t, answered_at=t, ended_at=NOW - timedelta(minutes=2),
          wrapup_ended_at=NOW - timedelta(minutes=1), wrapup_reason="handled", answered_by_id=done.id)
    db.session.commit()
    ops = _wall(client)["figures"]["operators"]
    # The supervisor signed in counts too (away by default): supervisors take calls.
    assert ops == {"available": 2, "on_call": 1, "on_hold": 0, "after_call_work": 1, "away": 2, "busy": 0}


def test_an_operator_whose_caller_is_on_hold_shows_apart_and_back_on_the_call_after(client, supervisor, make_user):
    talking, holding = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    t = NOW - timedelta(minutes=6)
    _call(created_at=t, queued_at=t, answered_at=t, answered_by_id=talking.id)
    held = _call(created_at=t, queued_at=t, answered_at=t, answered_by_id=holding.id)
    db.session.commit()
    hotline_calls.hold(held, holding, NOW - timedelta(minutes=1))
    db.session.commit()
    ops = _wall(client)["figures"]["operators"]
    assert (ops["on_call"], ops["on_hold"]) == (1, 1)
    page = client.get("/dashboard/operators?state=on_hold", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert holding.display_name in page and talking.display_name not in page
    assert "保持" in page
    hotline_calls.resume(held, holding, NOW)
    db.session.commit()
    ops = _wall(client)["figures"]["operators"]
    assert (ops["on_call"], ops["on_hold"]) == (2, 0)


def test_the_wall_and_the_operators_own_call_bar_agree_on_after_call_work(client, supervisor, make_user):
    """A form saved (during the call, or after it) ends the handling-time clock, but the operator
    is in after-call work until they pick a wrap-up reason, as their own call bar shows."""
    saved_during, saved_after = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    t = NOW - timedelta(minutes=10)
    _call(created_at=t, queued_at=t, answered_at=t, ended_at=NOW - timedelta(minutes=2),
          wrapup_ended_at=NOW - timedelta(minutes=4), answered_by_id=saved_during.id)
    _call(created_at=t, queued_at=t, answered_at=t, ended_at=NOW - timedelta(minutes=2),
          wrapup_ended_at=NOW - timedelta(minutes=1), answered_by_id=saved_after.id)
    db.session.commit()
    for user in (saved_during, saved_after):
        assert hotline_calls.own_call(user, NOW)[0] == hotline_calls.AFTER_CALL
    assert _wall(client)["figures"]["operators"]["after_call_work"] == 2
    page = client.get("/dashboard/operators?state=after_call_work", headers=EN).get_data(as_text=True)
    assert saved_during.display_name in page and saved_after.display_name in page


def test_sms_waiting_for_a_first_reply(client, supervisor):
    for minutes, replied in ((30, False), (3, False), (60, True)):
        at = NOW - timedelta(minutes=minutes)
        db.session.add(Contact(channel=Channel.SMS, direction=Direction.INBOUND, created_at=at,
                               first_reply_at=at + timedelta(seconds=5) if replied else None))
    # Received yesterday: not today's backlog.
    db.session.add(Contact(channel=Channel.SMS, direction=Direction.INBOUND, created_at=NOW - timedelta(days=1)))
    db.session.commit()
    data = _wall(client)
    assert data["figures"]["sms"] == {"waiting": 2, "oldest_wait": 1800, "new_cases": 0, "new_cases_oldest": None}
    assert data["text"]["sms.oldest_wait"] == "30:00"


def test_late_cases_per_department_and_their_lists(client, supervisor, create_ticket, monkeypatch):
    late, fine = Department(code="D1", name="Market Bureau East"), Department(code="D2", name="Quality West")
    db.session.add_all([late, fine])
    db.session.commit()
    due = {"overdue": NOW - timedelta(hours=2), "today": NOW + timedelta(hours=3), "later": NOW + timedelta(days=3)}
    for dept, kinds in ((late, ["overdue", "overdue", "today"]), (fine, ["today", "later"]), (None, ["overdue"])):
        for when in kinds:
            ticket = create_ticket(department_id=dept.id if dept else None)
            db.session.add(Clock(ticket=ticket, kind=ClockKind.MEDIATION, state=ClockState.RUNNING,
                                 started_at=NOW - timedelta(days=10), due_at=due[when]))
    paused = create_ticket(department_id=late.id)
    db.session.add(Clock(ticket=paused, kind=ClockKind.MEDIATION, state=ClockState.PAUSED,
                         started_at=NOW - timedelta(days=10), due_at=due["overdue"]))
    db.session.commit()
    rows = _wall(client)["figures"]["departments"]
    assert [(r["name"], r["overdue"], r["due_today"]) for r in rows] == [
        ("Market Bureau East", 2, 1), ("", 1, 0), ("Quality West", 0, 1)]
    page = client.get(f"/dashboard/late?department={late.id}&which=overdue", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="late-case"') == 2 and 'data-testid="late-count">2<' in page
    # A list cut at its limit still says how many there are, as the wall does.
    monkeypatch.setattr("hotline.dashboard.views.LATE_LIST_LIMIT", 1)
    page = client.get(f"/dashboard/late?department={late.id}&which=overdue", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="late-case"') == 1 and 'data-testid="late-count">2<' in page
    monkeypatch.undo()
    page = client.get(f"/dashboard/late?department={fine.id}&which=due_today", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="late-case"') == 1
    page = client.get("/dashboard/late?which=overdue", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="late-case"') == 1
    assert client.get("/dashboard/late?which=soon").status_code == 404


def test_the_wall_page_links_each_number_to_what_is_behind_it(client, supervisor, make_user):
    store(hand_worked_facts(operator_id=make_user(Role.OPERATOR).id))
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    link = "/reports/calls/list?start=2025-06-10&amp;end=2025-06-10&amp;figure=answered"
    assert link in page
    listed = client.get(link.replace("&amp;", "&"), headers=EN).get_data(as_text=True)
    assert 'data-testid="call-count">7<' in listed and listed.count('data-testid="call-row"') == 7


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_only_supervisors_see_the_wall(client, make_user, login, role, frozen):
    dept = Department(code="DX", name="X") if role == Role.DEPARTMENT else None
    login(make_user(role, department=dept))
    for url in ("/dashboard/", "/dashboard/wall.json", "/dashboard/late", "/reports/calls", "/reports/calls/list"):
        assert client.get(url).status_code == 403, url


def test_an_operator_sees_their_own_figures_only(client, make_user, login, frozen):
    me, other = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    store(hand_worked_facts(operator_id=me.id))
    store([f.__class__(**{**f.__dict__, "queued_at": f.queued_at + timedelta(hours=1), "operator_id": other.id})
           for f in hand_worked_facts(other.id)])
    login(me)
    page = client.get("/dashboard/me", headers=EN).get_data(as_text=True)
    # Yesterday: 7 answered (one still talking), AHT 200 s, all answered in the 10:00 hour.
    assert '<tr data-testid="my-answered"><th>Answered</th><td>0</td><td>7</td></tr>' in page
    assert "3:20" in page
    assert '<tr data-testid="my-cph"><th>Calls per hour</th><td>–</td><td>7.0</td></tr>' in page
