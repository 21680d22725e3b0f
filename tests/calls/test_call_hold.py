"""Hold from the console (issue 15.8): the caller hears the hold message while the operator looks
something up, resume rings the operator's phone again, and no caller is left holding for ever."""

import xml.etree.ElementTree as ET

from sqlalchemy import select

from hotline import calls
from hotline.extensions import db
from hotline.models import AuditLog
from hotline.telephony import callcontrol
from tests.calls.test_call_bar import answered_call, bar, state
from tests.calls.test_operator_actions import FailingCalls, contact_of, flashes


def _twiml(response):
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return ET.fromstring(response.data)  # noqa: S314 (our own TwiML)


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_hold_then_resume_from_the_case_page(app, phone, call_clock, make_user, login, client):
    caller, operator, contact = answered_call(phone, make_user, login, client)
    case_page = f"/tickets/{contact.ticket.number}"
    page = client.get(case_page).get_data(as_text=True)
    assert f'action="/calls/{contact.id}/hold"' in page and 'data-testid="hold"' in page
    callcontrol.SandboxCallControl.performed.clear()

    call_clock.tick(30)
    response = client.post(f"/calls/{contact.id}/hold", data={"next": case_page})
    assert response.status_code == 302 and response.headers["Location"] == case_page
    held = contact_of(caller)
    assert held.held_at is not None and held.ended_at is None
    assert list(callcontrol.SandboxCallControl.performed) == [{"call": caller.sid, "update": {
        "url": f"{app.config['PUBLIC_BASE_URL']}/twilio/voice/hold/{contact.id}", "method": "POST"}}]
    page = client.get(case_page).get_data(as_text=True)
    assert "On hold" in page and 'data-testid="resume"' in page and 'data-testid="hold"' not in page
    # Still the operator's live call (no other call is put through), held: the poll says so too.
    assert bar(page) == f"held:{contact.id}" == state(client)
    assert "already on hold" in flashes(client.post(f"/calls/{contact.id}/hold", follow_redirects=True))

    call_clock.tick(45)
    response = client.post(f"/calls/{contact.id}/resume", data={"next": case_page})
    assert response.status_code == 302
    resumed = contact_of(caller)
    assert resumed.held_at is None and resumed.hold_seconds == 45
    assert state(client) == f"live:{contact.id}"
    assert callcontrol.SandboxCallControl.performed[-1] == {"call": caller.sid, "update": {
        "url": f"{app.config['PUBLIC_BASE_URL']}/twilio/voice/connect/{contact.id}/{operator.id}", "method": "POST"}}
    assert [(a.user_id, a.target_id) for a in _audit(calls.HELD)] == [(operator.id, str(contact.id))]
    assert [(a.user_id, a.target_id) for a in _audit(calls.RESUMED)] == [(operator.id, str(contact.id))]
    assert "not on hold" in flashes(client.post(f"/calls/{contact.id}/resume", follow_redirects=True))

    # A second hold adds up; hanging up while held ends the hold too.
    client.post(f"/calls/{contact.id}/hold")
    call_clock.tick(10)
    client.post(f"/calls/{contact.id}/hang-up")
    ended = contact_of(caller)
    assert ended.ended_at is not None and ended.held_at is None and ended.hold_seconds == 55


def test_the_held_caller_hears_the_message_in_a_loop(app, phone, call_clock, make_user, login, client, twilio_post):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    client.post(f"/calls/{contact.id}/hold")

    root = _twiml(twilio_post(f"/twilio/voice/hold/{contact.id}", {"CallSid": caller.sid}))

    assert [node.tag for node in root] == ["Say", "Pause", "Redirect"]
    assert root[0].get("language") == "zh-CN" and "请不要挂机" in root[0].text
    assert root[2].text == f"{app.config['PUBLIC_BASE_URL']}/twilio/voice/hold/{contact.id}"
    assert contact_of(caller).held_at is not None


def test_a_hold_past_the_limit_goes_back_to_the_operator_by_itself(app, phone, call_clock, make_user, login, client,
                                                                   twilio_post):
    caller, operator, contact = answered_call(phone, make_user, login, client)
    client.post(f"/calls/{contact.id}/hold")
    call_clock.tick(calls.HOLD_MAX_MINUTES * 60)

    root = _twiml(twilio_post(f"/twilio/voice/hold/{contact.id}", {"CallSid": caller.sid}))

    assert [node.tag for node in root] == ["Say", "Redirect"]
    assert root[1].text == f"{app.config['PUBLIC_BASE_URL']}/twilio/voice/connect/{contact.id}/{operator.id}"
    resumed = contact_of(caller)
    assert resumed.held_at is None and resumed.hold_seconds == calls.HOLD_MAX_MINUTES * 60
    assert [a.user_id for a in _audit(calls.RESUMED)] == [None]  # nobody pressed resume
    # The operator's console learns it from its poll: the bar it then fetches offers hold again.
    assert state(client) == f"live:{contact.id}"
    alone = client.get("/queue/call-bar").get_data(as_text=True)
    assert bar(alone) == f"live:{contact.id}" and 'data-testid="hold"' in alone


def test_hold_is_the_operators_own_live_call_only_and_twilio_errors_change_nothing(
        app, phone, call_clock, make_user, login, client, monkeypatch):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    assert "no longer connected" in flashes(client.post(f"/calls/{contact.id + 1}/hold", follow_redirects=True))
    monkeypatch.setattr(callcontrol, "call_control", lambda config: callcontrol.TwilioCallControl(FailingCalls()))
    page = client.post(f"/calls/{contact.id}/hold", follow_redirects=True)
    assert "Twilio could not put the call on hold" in flashes(page)
    assert contact_of(caller).held_at is None and _audit(calls.HELD) == []


def test_the_hold_twiml_is_signed_and_knows_only_live_calls(phone, call_clock, make_user, login, client, twilio_post):
    caller, _operator, contact = answered_call(phone, make_user, login, client)
    assert client.post(f"/twilio/voice/hold/{contact.id}").status_code == 403
    client.post(f"/calls/{contact.id}/hang-up")
    root = _twiml(twilio_post(f"/twilio/voice/hold/{contact.id}", {"CallSid": caller.sid}))
    assert [node.tag for node in root] == ["Say", "Hangup"]
    assert [node.tag for node in _twiml(twilio_post("/twilio/voice/hold/999999", {}))] == ["Say", "Hangup"]


def test_a_missed_ring_back_holds_the_caller_again_instead_of_saying_goodbye(
        app, phone, call_clock, make_user, login, client, twilio_post):
    """Resume rings the operator's phone; if it is not picked up the caller used to hear goodbye
    in the middle of their case. They are held again, and the operator's bar says so."""
    caller, operator, contact = answered_call(phone, make_user, login, client)
    client.post(f"/calls/{contact.id}/hold")
    call_clock.tick(20)
    client.post(f"/calls/{contact.id}/resume")
    assert contact_of(caller).held_at is None

    call_clock.tick(20)
    root = _twiml(twilio_post(f"/twilio/voice/dial-result/{contact.id}",
                              {"CallSid": caller.sid, "DialCallStatus": "no-answer"}))
    assert [node.tag for node in root] == ["Say", "Redirect"]
    assert "请不要挂机" in root[0].text and "再见" not in root[0].text
    assert root[1].text == f"{app.config['PUBLIC_BASE_URL']}/twilio/voice/hold/{contact.id}"
    held = contact_of(caller)
    assert held.held_at is not None and held.ended_at is None and held.answered_by_id == operator.id
    assert [a.user_id for a in _audit(calls.HELD)] == [operator.id, None]  # the second hold was nobody's
    assert state(client) == f"held:{contact.id}"
    page = client.get("/queue/call-bar").get_data(as_text=True)
    assert 'data-testid="resume"' in page

    # The operator takes it back; when that call ends normally the caller hears goodbye.
    client.post(f"/calls/{contact.id}/resume")
    root = _twiml(twilio_post(f"/twilio/voice/dial-result/{contact.id}",
                              {"CallSid": caller.sid, "DialCallStatus": "completed"}))
    assert [node.tag for node in root] == ["Say", "Hangup"] and "再见" in root[0].text
    assert contact_of(caller).held_at is None


def test_an_operator_with_a_caller_on_hold_cannot_answer_another_call(phone, call_clock, make_user, login, client):
    """One call at a time: a second call answered would hide the held caller from the call bar,
    and the hold's ring-back would ring a busy phone. Refused, back to the held call's case."""
    caller, operator, contact = answered_call(phone, make_user, login, client)
    client.post(f"/calls/{contact.id}/hold")
    second = phone(number="+8613700137000")
    second.call()
    second.press("1")
    waiting_id = contact_of(second).id

    for path in ("/calls/answer-next", f"/calls/{waiting_id}/answer"):
        response = client.post(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(contact.ticket.number)
        assert "end that call before answering another" in flashes(client.get("/"))
        waiting = contact_of(second)
        assert waiting.answered_by_id is None and waiting.answered_at is None  # still in the queue
    assert state(client) == f"held:{contact.id}"

    client.post(f"/calls/{contact.id}/hang-up")  # the held call ends: the next one may be answered
    assert client.post("/calls/answer-next").status_code == 302
    assert contact_of(second).answered_by_id == operator.id
