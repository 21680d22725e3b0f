"""The operator's call actions: answer, the callback list, the block list."""

from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from hotline.extensions import db
from hotline.models import AuditLog, Availability, Caller, Contact, Role, User
from hotline.telephony import callcontrol
from tests.conftest import PASSWORD

OPERATOR_PHONE = "+8613911112222"


def queued_call(phone, digit="1"):
    caller = phone()
    caller.call()
    caller.press(digit)
    return caller


def contact_of(caller):
    db.session.expire_all()
    return db.session.scalar(select(Contact).where(Contact.sid == caller.sid))


def flashes(response):
    return response.get_data(as_text=True)


def english(user):
    """The messages are asserted in English whatever the default UI language is."""
    user.locale = "en"
    db.session.commit()
    return user


def available(user):
    """An operator ready to take calls (new accounts start away, and away answers nothing)."""
    user.availability = Availability.AVAILABLE
    db.session.commit()
    return user


def test_queue_panel_offers_answer_buttons_to_operators(phone, call_clock, make_user, login, client):
    caller = queued_call(phone)
    login(available(make_user(phone=OPERATOR_PHONE)))
    page = client.get("/queue/panel").get_data(as_text=True)
    assert 'data-testid="answer-next"' in page
    assert f'action="/calls/{contact_of(caller).id}/answer"' in page
    assert 'href="/calls/callbacks"' in page


def test_an_operator_away_is_offered_no_answer_and_refused(phone, call_clock, make_user, login, client):
    caller = queued_call(phone)
    operator = english(make_user(phone=OPERATOR_PHONE))
    assert operator.availability == Availability.AWAY  # where every new account starts
    login(operator)
    panel = client.get("/queue/panel").get_data(as_text=True)
    assert 'data-testid="away-note"' in panel
    assert 'data-testid="answer-next" disabled' in panel
    assert 'data-testid="answer-next-key"' not in panel  # no Alt+N offered either
    assert 'data-testid="answer-call" disabled' in panel

    for path in (f"/calls/{contact_of(caller).id}/answer", "/calls/answer-next"):
        response = client.post(path)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert "You are marked as away" in flashes(client.get("/"))
        contact = contact_of(caller)
        assert contact.answered_by_id is None and contact.answered_at is None  # nothing claimed
    assert db.session.get(User, operator.id).availability == Availability.AWAY

    available(operator)
    panel = client.get("/queue/panel").get_data(as_text=True)
    assert 'data-testid="away-note"' not in panel and 'disabled' not in panel


def test_operator_without_a_phone_is_told_and_the_call_keeps_waiting(phone, call_clock, make_user, login, client):
    caller = queued_call(phone)
    login(available(english(make_user(phone=None))))
    page = client.post("/calls/answer-next", follow_redirects=True)
    assert "no phone number registered" in flashes(page)
    contact = contact_of(caller)
    assert contact.answered_by_id is None and contact.answered_at is None


class FailingCalls:
    """Twilio answering every request about the call with an error."""

    def calls(self, sid):
        class Call:
            def update(self, **kwargs):
                raise TwilioRestException(404, f"/Calls/{sid}.json", "The requested resource was not found")

            def fetch(self):
                raise TwilioRestException(404, f"/Calls/{sid}.json", "The requested resource was not found")

        return Call()


def test_a_twilio_error_leaves_the_caller_queued(phone, call_clock, make_user, login, client, monkeypatch):
    monkeypatch.setattr(callcontrol, "call_control", lambda config: callcontrol.TwilioCallControl(FailingCalls()))
    caller = queued_call(phone)
    operator = available(english(make_user(phone=OPERATOR_PHONE)))
    login(operator)
    page = client.post(f"/calls/{contact_of(caller).id}/answer", follow_redirects=True)
    assert "Twilio could not put the call through" in flashes(page)
    contact = contact_of(caller)
    assert contact.answered_by_id is None and contact.answered_at is None
    assert contact.queued_at is not None and contact.ended_at is None
    assert db.session.get(User, operator.id).availability != Availability.BUSY


def test_answer_next_takes_the_longest_waiting_call(phone, call_clock, make_user, login, client):
    first = queued_call(phone)
    call_clock.tick(5)
    second = queued_call(phone, "2")
    operator = available(make_user(phone=OPERATOR_PHONE))
    login(operator)
    client.post("/calls/answer-next")
    assert contact_of(first).answered_by_id == operator.id
    assert contact_of(second).answered_at is None


def test_nothing_to_answer(make_user, login, client, call_clock):
    login(available(english(make_user(phone=OPERATOR_PHONE))))
    assert "No call is waiting" in flashes(client.post("/calls/answer-next", follow_redirects=True))


def test_an_abandoned_call_cannot_be_answered(phone, call_clock, make_user, login, client):
    caller = queued_call(phone)
    caller.leave_queue("hangup", 3)
    login(available(english(make_user(phone=OPERATOR_PHONE))))
    page = client.post(f"/calls/{contact_of(caller).id}/answer", follow_redirects=True)
    assert "no longer waiting" in flashes(page)
    assert contact_of(caller).answered_at is None


def test_only_call_takers_answer(phone, call_clock, make_user, login, client):
    caller = queued_call(phone)
    login(make_user(role=Role.DEPARTMENT, phone=OPERATOR_PHONE))
    assert client.post(f"/calls/{contact_of(caller).id}/answer").status_code == 403
    assert client.post("/calls/answer-next").status_code == 403
    assert client.get("/calls/callbacks").status_code == 403


def test_voicemail_is_on_the_callback_list_until_done(phone, call_clock, make_user, login, client):
    caller = queued_call(phone)
    caller.leave_queue("leave", 125)
    caller.press("1")
    caller.record(url="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE9")
    number = contact_of(caller).ticket.number
    operator = make_user()
    login(operator)

    page = client.get("/calls/callbacks").get_data(as_text=True)
    assert f'data-ticket="{number}"' in page
    assert 'href="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE9"' in page

    assert client.post(f"/calls/callbacks/{number}/done").status_code == 302
    assert f'data-ticket="{number}"' not in client.get("/calls/callbacks").get_data(as_text=True)
    done = contact_of(caller).ticket.events.all()[-1]
    assert (done.type, done.actor_id) == ("callback_done", operator.id)
    assert client.post("/calls/callbacks/20990101-00001/done").status_code == 404


def test_supervisor_blocks_and_unblocks_a_number(phone, call_clock, make_user, login, client):
    supervisor = make_user(role=Role.SUPERVISOR)
    login(supervisor)
    added = client.post("/calls/blocklist", data={"phone": "137 0000 0001", "reason": "abusive calls"})
    assert added.status_code == 302
    caller = db.session.scalar(select(Caller).where(Caller.phone == "+8613700000001"))
    assert caller.blocked_at is not None and caller.blocked_reason == "abusive calls"
    assert 'data-testid="blocked-caller"' in client.get("/calls/blocklist").get_data(as_text=True)

    blocked = phone(number="+8613700000001")
    assert blocked.call().find("Hangup") is not None

    assert client.post(f"/calls/blocklist/{caller.id}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(Caller, caller.id).blocked_at is None
    assert phone(number="+8613700000001").call().find("Gather") is not None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target_id == str(caller.id))).all()
    assert actions == ["caller_blocked", "caller_unblocked"]


def test_block_list_refuses_bad_numbers_and_non_supervisors(make_user, login, client, app):
    login(english(make_user(role=Role.SUPERVISOR)))
    refused = client.post("/calls/blocklist", data={"phone": "not a number", "reason": "x"})
    assert refused.status_code == 400 and "not a phone number" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Caller)) is None

    other = app.test_client()
    operator = make_user()
    other.post("/login", data={"username": operator.username, "password": PASSWORD})
    assert other.get("/calls/blocklist").status_code == 403
    assert other.post("/calls/blocklist", data={"phone": "13700000001", "reason": "x"}).status_code == 403
