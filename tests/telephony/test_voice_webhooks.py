"""The voice webhooks one by one: who gets through, retries, callbacks out of order, bad input."""

from datetime import datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.extensions import db
from hotline.models import Caller, Contact, Ticket, TicketEvent, TicketStatus
from tests.calls.phone import CALLER, HOTLINE, call_sid, parse, path_of, says
from tests.calls.test_operator_actions import available


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def contact_of(phone):
    db.session.expire_all()
    return db.session.scalar(select(Contact).where(Contact.sid == phone.sid))


def test_a_call_opens_a_voice_ticket_and_plays_the_mandarin_menu(phone, call_clock):
    caller = phone(number="138 0013 8000")
    root = caller.call()

    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert path_of(gather.get("action")) == "/twilio/voice/menu"
    assert [say.get("language") for say in root.iter("Say")] == ["zh-CN", "zh-CN"]
    assert {say.get("voice") for say in root.iter("Say")} == {"Polly.Zhiyu"}
    contact = contact_of(caller)
    assert contact.channel == "voice" and contact.direction == "inbound"
    assert contact.caller.phone == CALLER  # normalised to E.164
    assert contact.ticket.channel == "voice" and contact.ticket.kind == "unknown"
    assert contact.ticket.caller_id == contact.caller_id


def test_blocked_caller_hears_a_notice_and_no_case_is_opened(phone, call_clock, create_ticket):
    db.session.add(Caller(phone="+8613700000001", blocked_at=datetime(2025, 1, 1), blocked_reason="abuse"))
    db.session.commit()
    caller = phone(number="+8613700000001")

    root = caller.call()

    assert root.find("Hangup") is not None and root.find("Gather") is None
    contact = contact_of(caller)
    assert contact.blocked is True
    assert contact.ticket_id is None
    assert count(Ticket) == 0


def test_after_hours_offers_voicemail_or_callback(phone, client, make_user, login):
    with freeze_time("2025-06-10 13:30:00"):  # 21:30 in Shanghai
        caller = phone()
        root = caller.call()
        assert path_of(root.find("Gather").get("action")) == "/twilio/voice/offer"
        assert root.find("Enqueue") is None
        caller.press("2")
        assert caller.last.find("Hangup") is not None

    contact = contact_of(caller)
    assert contact.queued_at is None
    login(make_user())
    row = f'data-ticket="{contact.ticket.number}"'
    assert row in client.get("/calls/callbacks").get_data(as_text=True)

    client.post(f"/calls/callbacks/{contact.ticket.number}/done")
    assert row not in client.get("/calls/callbacks").get_data(as_text=True)
    assert [e.type for e in contact.ticket.events] == ["created", "callback_requested", "callback_done"]


def test_closed_on_national_day_unless_configured_open(app, phone):
    with freeze_time("2025-10-01 02:00:00"):  # 10:00 local, a public holiday
        assert phone().call().find("Gather").get("action").endswith("/offer")
        app.config["OPEN_ON_HOLIDAYS"] = True
        assert phone().call().find("Gather").get("action").endswith("/menu")


def test_a_broken_opening_hours_setting_lets_callers_through(app, phone, call_clock):
    app.config["OPENING_HOURS"] = "8-20h"
    assert phone().call().find("Gather").get("action").endswith("/menu")


def test_case_progress_for_the_callers_own_case(phone, call_clock, create_ticket):
    own = create_ticket(phone=CALLER)
    caller = phone()
    caller.call()
    caller.press("4")
    assert caller.last.find("Gather").get("finishOnKey") == "#"

    root = caller.press(own.number.replace("-", ""))

    spoken = " ".join(says(root))
    assert "已登记" in spoken  # the status of a NEW case
    assert " ".join(own.number.replace("-", "")) in spoken
    assert root.find("Gather").get("action").endswith("/menu")  # then the menu again


def test_case_progress_never_reveals_someone_elses_case(phone, call_clock, create_ticket):
    other = create_ticket(phone="+8613900000009")
    db.session.execute(db.update(Ticket).where(Ticket.id == other.id).values(status=TicketStatus.ACCEPTED))
    db.session.commit()
    caller = phone()
    caller.call()
    caller.press("4")

    root = caller.press(other.number.replace("-", ""))

    spoken = " ".join(says(root))
    assert "未查询到" in spoken
    assert "已受理" not in spoken and other.number[-5:] not in spoken.replace(" ", "")


def test_a_retried_incoming_webhook_creates_nothing_and_answers_the_same(phone, call_clock):
    caller = phone()
    first = caller.send("/twilio/voice")
    again = caller.send("/twilio/voice")

    assert first.data == again.data
    assert (count(Contact), count(Ticket), count(Caller)) == (1, 1, 1)


def test_a_retried_call_from_an_unusable_number_is_still_one_call_and_one_case(phone, call_clock):
    # No caller row to queue a retry behind: the CallSid's unique index decides, and the
    # retry's own case is undone with it.
    caller = phone(number="anonymous")
    first = caller.send("/twilio/voice")
    again = caller.send("/twilio/voice")
    assert first.data == again.data
    assert (count(Contact), count(Ticket), count(TicketEvent)) == (1, 1, 1)


@pytest.mark.backend("postgresql")  # "needs concurrent connections: the SQLite test database is one shared connection"
@pytest.mark.parametrize("number", ["+8613700137001", "anonymous"])
def test_the_same_call_delivered_three_times_at_once_is_one_call_and_one_case(app, backend, call_clock, number):
    import threading
    from urllib.parse import urlencode

    form = {"CallSid": call_sid(), "From": number, "To": HOTLINE, "CallStatus": "ringing"}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
        app.config["PUBLIC_BASE_URL"] + "/twilio/voice", form)
    barrier, statuses = threading.Barrier(3), []

    def post():
        client = app.test_client()
        barrier.wait(timeout=10)
        statuses.append(client.post("/twilio/voice", data=urlencode(form), headers={"X-Twilio-Signature": signature},
                                    content_type="application/x-www-form-urlencoded").status_code)

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * 3
    assert (count(Contact), count(Ticket), count(TicketEvent)) == (1, 1, 1)


def test_a_retried_menu_key_keeps_the_first_queue_time(phone, call_clock):
    caller = phone()
    caller.call()
    caller.press("1")
    queued_at = contact_of(caller).queued_at
    call_clock.tick(5)
    caller.send("/twilio/voice/menu", Digits="1")

    assert contact_of(caller).queued_at == queued_at
    kind_changes = select(func.count()).where(TicketEvent.type == "field", TicketEvent.field == "kind")
    assert db.session.scalar(kind_changes) == 1


def test_status_callbacks_out_of_order_never_move_the_call_back(phone, call_clock, make_user, login, client):
    login(available(make_user(phone="+8613911112222")))
    caller = phone()
    caller.call()
    caller.press("1")
    client.post("/calls/answer-next")
    call_clock.tick(30)
    caller.status("completed", duration=40, sequence=3)
    ended = contact_of(caller).ended_at
    call_clock.tick(2)

    caller.status("in-progress", sequence=1)
    caller.status("ringing", sequence=0)
    caller.leave_queue("hangup", 0)  # Enqueue's callback, late

    contact = contact_of(caller)
    assert contact.status == "completed"
    assert contact.ended_at == ended and contact.talk_seconds == 30
    assert contact.abandoned_at is None and contact.answered_at is not None


def test_completed_before_the_queue_callback_counts_one_abandon(phone, call_clock):
    caller = phone()
    caller.call()
    caller.press("1")
    call_clock.tick(20)
    caller.status("completed", duration=30)
    abandoned = contact_of(caller).abandoned_at
    call_clock.tick(1)
    caller.leave_queue("hangup", 19)

    contact = contact_of(caller)
    assert contact.abandoned_at == abandoned
    assert contact.queue_seconds == 19  # Twilio's own queue time wins
    assert contact.queue_result == "hangup"


def test_unknown_statuses_and_calls_change_nothing(phone, call_clock):
    caller = phone()
    caller.call()
    assert caller.status("exploded").status_code == 204
    stranger = phone()
    assert stranger.status("completed").status_code == 204
    assert contact_of(caller).status == "ringing"
    assert count(Contact) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"From": CALLER, "To": HOTLINE},  # no CallSid
        {"CallSid": call_sid(), "To": HOTLINE},  # no From
        {"CallSid": "not-a-sid", "From": CALLER, "To": HOTLINE},
        {"CallSid": call_sid(), "From": "1" * 2_000_000, "To": HOTLINE},
        {"CallSid": call_sid() + "x" * 5000, "From": CALLER, "To": HOTLINE},
    ],
    ids=["no-sid", "no-from", "bad-sid", "huge-from", "huge-sid"],
)
def test_malformed_calls_get_an_apology_and_create_nothing(twilio_post, call_clock, params):
    root = parse(twilio_post("/twilio/voice", params))
    assert root.find("Hangup") is not None and says(root)
    assert (count(Contact), count(Ticket)) == (0, 0)


def test_an_unusable_caller_number_is_served_anonymously(phone, call_clock):
    caller = phone(number="anonymous")
    assert caller.call().find("Gather") is not None
    contact = contact_of(caller)
    assert contact.caller_id is None and contact.ticket is not None
    assert count(Caller) == 0


def test_non_utf8_parameters_get_a_clean_answer(app, client, call_clock):
    sid = call_sid()
    # Werkzeug keeps undecodable escapes as they were sent; Twilio would sign what it sent.
    body = f"CallSid={sid}&From=%FF%FE%FD&To=%2B8610012315".encode()
    seen = {"CallSid": sid, "From": "%FF%FE%FD", "To": HOTLINE}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
        app.config["PUBLIC_BASE_URL"] + "/twilio/voice", seen)
    response = client.post("/twilio/voice", data=body, content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature})
    assert parse(response).find("Gather") is not None  # served as an anonymous caller
    assert count(Caller) == 0

    bad_sid = b"CallSid=CA%FF%FE&From=%2B8613800138000&To=%2B8610012315"
    seen = {"CallSid": "CA%FF%FE", "From": CALLER, "To": HOTLINE}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
        app.config["PUBLIC_BASE_URL"] + "/twilio/voice", seen)
    response = client.post("/twilio/voice", data=bad_sid, content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature})
    assert parse(response).find("Hangup") is not None
    assert count(Contact) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"], ids=["missing", "wrong"])
@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/voice/menu", "/twilio/voice/status",
                                  "/twilio/voice/queue-result", "/twilio/voice/voicemail"])
def test_bad_signature_is_refused_and_changes_nothing(phone, twilio_post, call_clock, path, signature):
    caller = phone()
    caller.call()
    caller.press("1")
    before = (contact_of(caller).status, contact_of(caller).queue_result, count(TicketEvent))
    form = {"CallSid": caller.sid, "From": CALLER, "To": HOTLINE, "Digits": "2", "CallStatus": "completed",
            "QueueResult": "hangup", "QueueTime": "5", "RecordingUrl": "https://example.test/r"}
    fresh = dict(form, CallSid=call_sid())

    assert twilio_post(path, form, signature=signature).status_code == 403
    assert twilio_post(path, fresh, signature=signature).status_code == 403
    contact = contact_of(caller)
    assert (contact.status, contact.queue_result, count(TicketEvent)) == before
    assert contact.abandoned_at is None and contact.recording_url is None
    assert count(Contact) == 1
