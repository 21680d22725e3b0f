"""Whole calls, from the first ring to the last callback, as Twilio would play them.

After every call the Contact alone must tell the call-centre figures: queued at, answered or
abandoned at, queue time, talk time, who answered and why the call ended.
"""

from datetime import timedelta

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import AuditLog, Availability, Contact, Ticket, TicketEvent, TicketKind
from hotline.telephony import callcontrol
from tests.calls.phone import parse, path_of, says
from tests.calls.test_operator_actions import available
from tests.conftest import PASSWORD

OPERATOR_PHONE = "+8613911112222"


def contact_of(phone):
    db.session.expire_all()
    return db.session.scalar(select(Contact).where(Contact.sid == phone.sid))


def test_menu_queue_answered_in_sandbox_then_completed(phone, call_clock, make_user, login, client):
    operator = available(make_user(phone=OPERATOR_PHONE))
    caller = phone()
    caller.call()
    caller.press("1")
    assert caller.queue is not None and caller.queue.text == "hotline"
    queued_at = call_clock.time_to_freeze

    call_clock.tick(12)
    login(operator)
    answered = client.post("/calls/answer-next")
    contact = contact_of(caller)
    assert answered.status_code == 302
    assert answered.headers["Location"].endswith(f"/tickets/{contact.ticket.number}")

    call_clock.tick(95)
    assert caller.status("completed", duration=107).status_code == 204

    contact = contact_of(caller)
    assert contact.queued_at == queued_at
    assert contact.answered_at == queued_at + timedelta(seconds=12)
    assert contact.queue_seconds == 12
    assert contact.talk_seconds == 95
    assert contact.answered_by_id == operator.id
    assert contact.ended_at == queued_at + timedelta(seconds=107)
    assert contact.end_reason == "completed"
    assert contact.abandoned_at is None
    assert contact.ticket.kind == TicketKind.COMPLAINT
    assert contact.ticket.assigned_to_id == operator.id
    assert contact.menu_choice == "complaint"
    assert db.session.get(type(operator), operator.id).availability == Availability.BUSY


class FakeCalls:
    """The part of twilio.rest.Client that redirects a live call; records each update."""

    def __init__(self):
        self.updates = []

    def calls(self, sid):
        fake = self

        class Call:
            def update(self, **kwargs):
                fake.updates.append((sid, kwargs))

        return Call()


def test_answered_through_twilio_connect_and_whisper(phone, call_clock, make_user, login, client, monkeypatch, twilio_post):
    rest = FakeCalls()
    monkeypatch.setattr(callcontrol, "call_control", lambda config: callcontrol.TwilioCallControl(rest))
    operator = available(make_user(phone="139 1111 2222"))
    caller = phone()
    caller.call()
    caller.press("3")
    call_clock.tick(20)
    login(operator)

    answered = client.post(f"/calls/{contact_of(caller).id}/answer")
    assert answered.status_code == 302
    [(sid, update)] = rest.updates
    assert sid == caller.sid and update["method"] == "POST"
    assert contact_of(caller).answered_at is None  # ringing the operator, not answered yet

    connect = caller._hear(caller.send(path_of(update["url"])))
    number = connect.find("Dial/Number")
    assert number.text == OPERATOR_PHONE
    call_clock.tick(5)
    whisper = twilio_post(path_of(number.get("url")), {"CallSid": "CA" + "f" * 32, "From": "+8610012315",
                                                        "To": OPERATOR_PHONE, "CallStatus": "in-progress"})
    assert says(parse(whisper))  # the operator hears which case it is

    call_clock.tick(60)
    caller.status("completed", duration=85)
    contact = contact_of(caller)
    assert contact.queue_seconds == 25
    assert contact.talk_seconds == 60
    assert contact.answered_by_id == operator.id
    assert contact.ticket.assigned_to_id == operator.id
    assert contact.ticket.kind == TicketKind.CONSULTATION


def test_operator_not_picking_up_puts_the_caller_back_in_the_queue(phone, call_clock, make_user, login, client, monkeypatch):
    rest = FakeCalls()
    monkeypatch.setattr(callcontrol, "call_control", lambda config: callcontrol.TwilioCallControl(rest))
    operator = available(make_user(phone=OPERATOR_PHONE))
    caller = phone()
    caller.call()
    caller.press("2")
    login(operator)
    client.post("/calls/answer-next")
    connect = caller._hear(caller.send(path_of(rest.updates[0][1]["url"])))

    back = caller._hear(caller.send(path_of(connect.find("Dial").get("action")), DialCallStatus="no-answer"))

    assert back.find("Enqueue") is not None
    contact = contact_of(caller)
    assert contact.answered_by_id is None and contact.answered_at is None
    # A missed offer, counted against the operator in the call report.
    missed = db.session.scalars(select(AuditLog).where(AuditLog.action == "offer_missed")).all()
    assert [(m.user_id, m.target_id) for m in missed] == [(operator.id, str(contact.id))]
    assert client.post("/calls/answer-next").status_code == 302
    assert len(rest.updates) == 2  # the call could be answered again


def test_caller_hangs_up_in_the_queue(phone, call_clock):
    caller = phone()
    caller.call()
    caller.press("1")
    call_clock.tick(40)

    assert len(caller.leave_queue("hangup", 40)) == 0
    caller.status("completed", duration=52)

    contact = contact_of(caller)
    assert contact.abandoned_at is not None and contact.answered_at is None
    assert contact.queue_seconds == 40
    assert contact.queue_result == "hangup"
    assert contact.end_reason == "completed"
    assert contact.talk_seconds is None


def test_wait_url_leaves_after_the_timeout_and_voicemail_is_recorded(app, phone, call_clock):
    caller = phone()
    caller.call()
    caller.press("2")

    waiting = caller.wait(queue_time=30, position=3)
    assert waiting.find("Leave") is None
    assert any("2" in text for text in says(waiting))  # two callers ahead
    assert waiting.find("Leave") is None
    assert caller.wait(queue_time=app.config["QUEUE_TIMEOUT_SECONDS"] + 1).find("Leave") is not None

    offer = caller.leave_queue("leave", 121)
    assert offer.find("Gather") is not None
    caller.press("1")
    assert caller.last.find("Record").get("maxLength") == "120"
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE42"
    thanks = caller.record(url=url)
    assert thanks.find("Hangup") is not None

    contact = contact_of(caller)
    assert contact.recording_url == url
    assert contact.queue_result == "leave"
    assert contact.abandoned_at is None
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == contact.ticket_id,
                                                        TicketEvent.type == "voicemail"))
    assert event.to_value == url


def test_no_key_twice_queues_as_unknown(phone, call_clock):
    caller = phone()
    caller.call()
    again = caller.press("")
    assert again.find("Gather") is not None and again.find("Enqueue") is None
    caller.press("9")

    assert caller.last.find("Enqueue") is not None
    contact = contact_of(caller)
    assert contact.ticket.kind == TicketKind.UNKNOWN
    assert contact.menu_choice == "unknown"
    assert contact.queued_at is not None


def test_zero_repeats_the_menu(phone, call_clock):
    caller = phone()
    first = caller.call()
    again = caller.press("0")
    assert says(again) == says(first.find("Gather"))


def test_hangup_during_the_menu_is_not_offered(phone, call_clock):
    caller = phone()
    caller.call()
    caller.status("completed", duration=8)
    contact = contact_of(caller)
    assert contact.queued_at is None and contact.abandoned_at is None
    assert contact.ended_at is not None and contact.end_reason == "completed"


def test_two_operators_cannot_take_the_same_call(app, phone, call_clock, make_user, login, client):
    first, second = available(make_user(phone=OPERATOR_PHONE)), available(make_user(phone="+8613922223333"))
    caller = phone()
    caller.call()
    caller.press("1")
    login(first)
    client.post("/calls/answer-next")
    other = app.test_client()
    other.post("/login", data={"username": second.username, "password": PASSWORD})
    refused = other.post(f"/calls/{contact_of(caller).id}/answer", follow_redirects=True)

    assert refused.status_code == 200
    assert contact_of(caller).answered_by_id == first.id
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
