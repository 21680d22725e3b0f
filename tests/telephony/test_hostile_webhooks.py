"""Twilio webhooks under hostile values, signed as Twilio signs them: never a 500, a caller's
message never lost to a stray character, and a retried webhook never stored twice.

Twilio never sends a NUL or another script's digits, but a webhook is a public URL and the
signature only proves who sent it; and a webhook we refuse is retried and refused again, so
for these routes bad characters are removed and the rest kept (docs/DECISIONS.md).
"""

import re
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from hotline import inputs, phones
from hotline.extensions import db
from hotline.models import Caller, Contact, Ticket
from tests.calls.phone import HOTLINE, call_sid, parse, says
from tests.hostile import NUL, changed, fuzz_settings, nasty_text, number_text, snapshot
from tests.telephony.conftest import message_sid

CALLER = "+8613800138000"


def _contacts(sid):
    db.session.expire_all()
    return db.session.scalars(select(Contact).where(Contact.sid == sid)).all()


def _queued_call(phone):
    """A call that pressed 1 and waits in the queue."""
    caller = phone()
    caller.call()
    caller.press("1")
    return caller


# ---- the findings, one by one -----------------------------------------------------------------


@pytest.mark.parametrize("queue_time", ["²", "٣", "99999999999999999999", "1_0", "-5"])
def test_a_queue_time_that_is_not_ascii_digits_is_read_as_no_time(phone, call_clock, queue_time):
    caller = _queued_call(phone)
    waited = caller.wait(queue_time)  # was a 500 for "²": isdigit() said yes, int() said no
    assert "坐席正忙，请不要挂机。" in says(waited)  # as without a QueueTime: keep waiting
    left = parse(caller.send("/twilio/voice/queue-result", QueueResult="hangup", QueueTime=queue_time))
    assert left.tag == "Response"
    contact = _contacts(caller.sid)[0]
    assert contact.queue_result == "hangup"


@pytest.mark.parametrize("duration", ["²", "99999999999999999999", "１２"])
def test_a_voicemail_with_a_strange_duration_is_kept(phone, call_clock, duration):
    caller = phone()
    caller.call()
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "1" * 32
    root = parse(caller.send("/twilio/voice/voicemail", RecordingUrl=url, RecordingDuration=duration))
    assert "您的留言已收到，我们会尽快与您联系。再见。" in says(root)
    assert _contacts(caller.sid)[0].recording_url == url


def test_nul_bytes_in_a_call_are_removed_and_the_call_taken(phone, call_clock):
    sid = call_sid()
    caller = phone(number="+86138\x000013\x008000", sid=sid)
    root = parse(caller.send("/twilio/voice", To=HOTLINE + NUL, CallStatus="ringing"))
    assert root.find("Gather") is not None  # the menu, not the apology
    contact = _contacts(sid)[0]
    assert contact.from_number == CALLER and contact.to_number == HOTLINE
    url = "https://api.twilio.com/Recordings/RE1\x00"
    parse(caller.send("/twilio/voice/voicemail", RecordingUrl=url, RecordingDuration="7"))
    assert _contacts(sid)[0].recording_url == "https://api.twilio.com/Recordings/RE1"


def test_nul_bytes_in_a_text_are_removed_and_the_text_kept(inbound_sms):
    sid = message_sid()
    response = inbound_sms("我要投诉\x00某商店", from_="+86138\x0000138000", sid=sid, To=HOTLINE + NUL,
                           NumMedia="1", MediaUrl0="https://api.twilio.com/Media/ME1\x00",
                           MediaContentType0="image/jpeg\x00")
    assert response.status_code == 200
    (contact,) = _contacts(sid)
    assert (contact.from_number, contact.to_number, contact.body) == (CALLER, HOTLINE, "我要投诉某商店")
    assert contact.ticket is not None


@pytest.mark.parametrize("num_media", ["²", "٣", "99999999999999999999", "1e308"])
def test_a_strange_media_count_keeps_the_text(inbound_sms, num_media):
    sid = message_sid()
    assert inbound_sms("你好", sid=sid, NumMedia=num_media).status_code == 200
    assert len(_contacts(sid)) == 1


def test_the_signature_is_checked_on_what_twilio_sent_before_anything_is_cleaned(twilio_post):
    form = {"MessageSid": message_sid(), "From": CALLER + NUL, "To": HOTLINE, "Body": "x"}
    signed_for_the_cleaned_values = twilio_post("/twilio/sms", form).status_code
    forged = twilio_post("/twilio/sms", {**form, "MessageSid": message_sid()},
                         signature=_signature_of({**form, "From": CALLER}))
    assert (signed_for_the_cleaned_values, forged.status_code) == (200, 403)


def _signature_of(params):
    from flask import current_app
    from twilio.request_validator import RequestValidator

    return RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
        current_app.config["PUBLIC_BASE_URL"] + "/twilio/sms", params)


# ---- properties ------------------------------------------------------------------------------

valid_phone = st.sampled_from(["+8613800138000", "13912345678", "+86 139 1234 5678", "+14155550123",
                               "+86-10-12345678"])
sms_form = st.fixed_dictionaries({
    "MessageSid": st.one_of(st.builds(lambda: "SM" + secrets.token_hex(16)), nasty_text),
    "From": st.one_of(valid_phone, valid_phone.map(lambda p: p + NUL), nasty_text),
    "To": st.one_of(st.just(HOTLINE), nasty_text),
    "Body": nasty_text,
    "NumMedia": number_text,
}, optional={
    "MediaUrl0": st.one_of(st.just("https://api.twilio.com/Media/ME1"), nasty_text),
    "MediaContentType0": nasty_text,
    "SmsStatus": nasty_text,
})


def _is_phone(raw):
    try:
        phones.normalise(inputs.clean_text(raw))
    except phones.InvalidPhone:
        return False
    return True


@given(form=sms_form)
@fuzz_settings(max_examples=60)
def test_any_signed_text_is_never_a_500_and_is_stored_once(twilio_post, form):
    before = snapshot()
    response = twilio_post("/twilio/sms", form)
    assert response.status_code < 500
    sid = inputs.clean_text(form["MessageSid"])
    if response.status_code >= 400:
        assert not changed(before, snapshot()), "a refused webhook changed the database"
        return
    stored = _contacts(sid)
    wellformed = re.fullmatch(r"[A-Za-z0-9]{2,64}", sid) is not None
    # A text whose From is no phone number is logged and ignored (there is no one to answer).
    assert len(stored) == (1 if wellformed and _is_phone(form["From"]) else 0)
    again = twilio_post("/twilio/sms", form)  # Twilio's retry
    assert again.status_code == response.status_code and len(_contacts(sid)) == len(stored)


VOICE_PATHS = ["/twilio/voice/wait", "/twilio/voice/queue-result", "/twilio/voice/voicemail",
               "/twilio/voice/status", "/twilio/voice/menu", "/twilio/voice/offer", "/twilio/voice/case"]
call_form = st.fixed_dictionaries({
    "From": st.one_of(valid_phone, nasty_text, st.just("")),
    "To": st.one_of(st.just(HOTLINE), nasty_text),
}, optional={"CallStatus": st.one_of(st.sampled_from(["ringing", "completed", "in-progress"]), nasty_text)})
follow_up = st.lists(st.tuples(st.sampled_from(VOICE_PATHS), st.fixed_dictionaries({}, optional={
    "QueueTime": number_text, "QueuePosition": number_text, "QueueResult": nasty_text,
    "RecordingUrl": st.one_of(st.just("https://api.twilio.com/Recordings/RE1"), nasty_text),
    "RecordingDuration": number_text, "Digits": st.one_of(st.sampled_from(list("0123456789#")), nasty_text),
    "CallStatus": st.one_of(st.sampled_from(["completed", "busy", "no-answer"]), nasty_text),
})), max_size=3)


@given(form=call_form, later=follow_up, sid_ok=st.booleans())
@fuzz_settings(max_examples=40)
def test_any_signed_call_is_never_a_500_and_has_one_contact(twilio_post, form, later, sid_ok):
    sid = call_sid() if sid_ok else "CA" + "²" * 32
    tickets_before = db.session.scalar(select(db.func.count(Ticket.id)))
    response = twilio_post("/twilio/voice", {"CallSid": sid, **form})
    assert response.status_code < 500
    from_ = inputs.clean_text(form["From"])
    taken = sid_ok and 0 < len(from_) <= 64 and len(inputs.clean_text(form["To"])) <= 64
    assert len(_contacts(sid)) == (1 if taken else 0)
    for path, params in later:
        assert twilio_post(path, {"CallSid": sid, **params}).status_code < 500
    assert len(_contacts(sid)) == (1 if taken else 0)  # callbacks never add a second contact
    new_tickets = db.session.scalar(select(db.func.count(Ticket.id))) - tickets_before
    assert new_tickets <= (1 if taken else 0)
    if taken and _is_phone(from_):
        assert db.session.scalar(select(Caller).where(Caller.phone == phones.normalise(from_))) is not None
