"""Call control in the console (issue 15.8): the callers waiting on every page, hanging up from
the console, and after-call work closed with a wrap-up reason."""

import re
from datetime import UTC, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from hotline import accounts, calls
from hotline.extensions import db
from hotline.models import AuditLog, Availability, Contact, Role, User
from hotline.telephony import callcontrol
from tests.calls.test_operator_actions import (
    OPERATOR_PHONE,
    FailingCalls,
    available,
    contact_of,
    english,
    flashes,
    queued_call,
)
from tests.conftest import PASSWORD


def answered_call(phone, make_user, login, client):
    """A caller answered by a new (signed-in, English) operator through the sandbox."""
    caller = queued_call(phone)
    operator = available(english(make_user(phone=OPERATOR_PHONE)))
    login(operator)
    assert client.post("/calls/answer-next").status_code == 302
    contact = contact_of(caller)
    assert contact.answered_by_id == operator.id and contact.ended_at is None
    return caller, operator, contact


def bar(page):
    """The call bar's state attribute on a rendered page, or None when it is not there."""
    found = re.search(r'id="call-bar"[^>]*data-state="([^"]*)"', page)
    return found.group(1) if found else None


def state(client):
    return client.get("/queue/current-call").get_json()["state"]


# ---- b. callers waiting, on every page --------------------------------------------------------

@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_waiting_calls_show_in_the_title_and_badge_of_every_page(role, phone, call_clock, make_user, login, client):
    login(make_user(role=role))
    page = client.get("/my").get_data(as_text=True)
    assert "<title>(" not in page and 'data-testid="waiting-badge" hidden' in page
    assert client.get("/queue/current-call").get_json()["waiting"] == 0

    queued_call(phone)
    queued_call(phone, "2")
    for path in ("/my", "/search", "/"):
        page = client.get(path).get_data(as_text=True)
        assert re.search(r"<title>\(2\) ", page), path
        assert 'data-testid="waiting-badge" hidden' not in page
        assert '<b data-testid="waiting-badge-count">2</b>' in page
    assert client.get("/queue/current-call").get_json()["waiting"] == 2


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_departments_and_admins_see_no_waiting_calls(role, phone, call_clock, make_user, login, client, department):
    queued_call(phone)
    login(make_user(role=role, department=department if role == Role.DEPARTMENT else None))
    page = client.get("/search").get_data(as_text=True)
    assert "waiting-badge" not in page and "<title>(" not in page and 'id="call-bar"' not in page
    assert client.get("/queue/current-call").get_json() == {"call": None}
    assert client.get("/queue/call-bar").status_code == 403


# ---- d. hang up from the console -------------------------------------------------------------

def test_hang_up_from_the_case_page_ends_the_call_and_starts_after_call_work(phone, call_clock, make_user, login, client):
    caller, operator, contact = answered_call(phone, make_user, login, client)
    case_page = f"/tickets/{contact.ticket.number}"
    page = client.get(case_page).get_data(as_text=True)
    assert bar(page) == f"live:{contact.id}"
    assert f'action="/calls/{contact.id}/hang-up"' in page and 'data-testid="hang-up"' in page
    assert state(client) == f"live:{contact.id}"
    callcontrol.SandboxCallControl.performed.clear()

    call_clock.tick(40)
    response = client.post(f"/calls/{contact.id}/hang-up", data={"next": case_page})
    assert response.status_code == 302 and response.headers["Location"] == case_page

    contact = contact_of(caller)
    assert contact.ended_at is not None and contact.end_reason == "completed" and contact.talk_seconds == 40
    assert list(callcontrol.SandboxCallControl.performed) == [{"call": caller.sid, "update": {"status": "completed"}}]
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == calls.HUNG_UP)).all()
    assert [(a.user_id, a.target_id) for a in audit] == [(operator.id, str(contact.id))]
    page = client.get(case_page).get_data(as_text=True)
    assert "Pick a wrap-up reason" in page and bar(page) == f"after_call:{contact.id}"
    assert state(client) == f"after_call:{contact.id}"

    # Twilio's own final callback arrives later and changes nothing.
    caller.status("completed", duration=52)
    assert contact_of(caller).talk_seconds == 40


def test_only_the_operators_own_live_call_is_hung_up(app, phone, call_clock, make_user, login, client):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    colleague = available(english(make_user(phone="+8613922223333")))
    other = app.test_client()
    other.post("/login", data={"username": colleague.username, "password": PASSWORD})
    refused = other.post(f"/calls/{contact.id}/hang-up", follow_redirects=True)
    assert "no longer connected to you" in flashes(refused)
    assert client.post(f"/calls/{contact.id + 1}/hang-up").status_code == 302  # a stale id: refused too
    assert contact_of(caller).ended_at is None
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == calls.HUNG_UP)).all()


def test_a_twilio_error_leaves_the_call_connected(phone, call_clock, make_user, login, client, monkeypatch):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    monkeypatch.setattr(callcontrol, "call_control", lambda config: callcontrol.TwilioCallControl(FailingCalls()))
    page = client.post(f"/calls/{contact.id}/hang-up", follow_redirects=True)
    assert "Twilio could not end the call" in flashes(page)
    assert contact_of(caller).ended_at is None and state(client) == f"live:{contact.id}"


class EndedCalls:
    """Twilio for a call that is over (its final status callback lost): an update is refused, a
    fetch says how and when it ended."""

    def __init__(self, end_time=None):
        self.end_time = end_time

    def calls(self, sid):
        end_time = self.end_time

        class Call:
            def update(self, **kwargs):
                raise TwilioRestException(400, f"/Calls/{sid}.json", "Call is not in-progress. Cannot redirect.",
                                          code=21220)

            def fetch(self):
                return SimpleNamespace(status="completed", end_time=end_time)

        return Call()


def test_hanging_up_a_call_twilio_has_already_ended_ends_it_here(phone, call_clock, make_user, login, client,
                                                                  monkeypatch):
    """The caller hung up and Twilio's final callback never came: the operator's 挂断 must not
    leave them stuck on a call that no longer exists, unable to answer the next caller."""
    caller, operator, contact = answered_call(phone, make_user, login, client)
    waiting = queued_call(phone, "2")
    ended = (contact.answered_at + timedelta(seconds=20)).replace(tzinfo=UTC)  # Twilio's end_time
    monkeypatch.setattr(callcontrol, "call_control",
                        lambda config: callcontrol.TwilioCallControl(EndedCalls(ended)))
    call_clock.tick(30)
    page = client.post(f"/calls/{contact.id}/hang-up", follow_redirects=True)
    assert "The call had already ended" in flashes(page)
    contact = contact_of(caller)
    # Ended when Twilio says, not when the operator noticed: the talk time stays true.
    assert contact.end_reason == "completed" and contact.talk_seconds == 20
    assert state(client) == f"after_call:{contact.id}"
    # The caller hung up, not the operator: nothing in the audit says otherwise.
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == calls.HUNG_UP)).all()
    monkeypatch.undo()  # the sandbox again: the next caller is put through
    assert client.post("/calls/answer-next").status_code == 302
    assert contact_of(waiting).answered_by_id == operator.id


def test_twilio_call_control_hangs_up_with_status_completed():
    updates = []

    class Calls:
        def calls(self, sid):
            class Call:
                def update(self, **kwargs):
                    updates.append((sid, kwargs))

            return Call()

    callcontrol.TwilioCallControl(Calls()).hang_up(Contact(sid="CA123"))
    assert updates == [("CA123", {"status": "completed"})]


# ---- c. after-call work ------------------------------------------------------------------------

def test_after_call_work_is_closed_with_a_reason_and_makes_the_operator_available(phone, call_clock, make_user, login, client):
    caller, operator, contact = answered_call(phone, make_user, login, client)
    call_clock.tick(30)
    caller.status("completed", duration=30)  # the caller hung up
    call_clock.tick(25)

    page = client.get("/my").get_data(as_text=True)
    assert bar(page) == f"after_call:{contact.id}"
    assert 'data-testid="acw-timer">0:25<' in page
    reasons = re.findall(r'<option[^>]*value="(\w*)"', page.split('name="reason"')[1].split("</select>")[0])
    assert reasons == ["", *calls.WRAPUP_REASONS]
    assert db.session.get(User, operator.id).availability == Availability.BUSY

    missing = client.post(f"/calls/{contact.id}/wrap-up", data={"reason": ""}, follow_redirects=True)
    assert "Pick a wrap-up reason." in flashes(missing)
    odd = client.post(f"/calls/{contact.id}/wrap-up", data={"reason": "asleep"})
    assert odd.status_code == 302 and contact_of(caller).wrapup_reason is None

    done = client.post(f"/calls/{contact.id}/wrap-up", data={"reason": "callback", "next": "/search"})
    assert done.status_code == 302 and done.headers["Location"] == "/search"
    contact = contact_of(caller)
    assert contact.wrapup_reason == "callback"
    assert contact.wrapup_ended_at == contact.ended_at + timedelta(seconds=25)
    assert db.session.get(User, operator.id).availability == Availability.AVAILABLE
    page = client.get("/my").get_data(as_text=True)
    assert "available for calls again" in page and bar(page) == ""
    assert state(client) == ""

    again = client.post(f"/calls/{contact.id}/wrap-up", data={"reason": "handled"}, follow_redirects=True)
    assert "already closed" in flashes(again) and contact_of(caller).wrapup_reason == "callback"


def test_a_form_saved_after_hang_up_keeps_the_end_of_after_call_work(phone, call_clock, make_user, login, client):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    caller.status("completed", duration=10)
    call_clock.tick(60)
    saved = calls.end_wrapup(contact_of(caller))  # what saving the intake form does
    db.session.commit()
    call_clock.tick(60)
    client.post(f"/calls/{contact.id}/wrap-up", data={"reason": "handled"})
    contact = contact_of(caller)
    assert contact.wrapup_reason == "handled" and contact.wrapup_ended_at == saved.wrapup_ended_at


def test_an_old_unwrapped_call_does_not_greet_the_operator(phone, call_clock, make_user, login, client):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    caller.status("completed", duration=10)
    call_clock.tick(calls.WRAPUP_MINUTES * 60 + 1)
    assert bar(client.get("/my").get_data(as_text=True)) == "" and state(client) == ""
    assert client.post(f"/calls/{contact.id}/wrap-up", data={"reason": "handled"}).status_code == 302
    assert contact_of(caller).wrapup_reason is None


def test_the_call_bar_alone_for_the_poll(phone, call_clock, make_user, login, client):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    alone = client.get("/queue/call-bar").get_data(as_text=True)
    assert bar(alone) == f"live:{contact.id}" and "<html" not in alone
    assert 'name="next" value=""' in alone  # console.js points it back at the page it is on


def test_hang_up_and_wrap_up_need_the_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        accounts.create_user("csrf-op", PASSWORD, Role.OPERATOR)
        db.session.commit()
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    signed_in = client.post("/login", data={"username": "csrf-op", "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302 and client.get("/my").status_code == 200
    assert client.post("/calls/1/hang-up").status_code == 400
    assert client.post("/calls/1/wrap-up", data={"reason": "handled"}).status_code == 400
