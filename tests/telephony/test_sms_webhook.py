"""Texting the hotline: cases, acknowledgements, status queries, opt-out, and bad input.

Each test acts as Twilio (signed webhooks) and checks what a caller or operator would see:
the case, the stored text, and the reply waiting in the outbox.
"""

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from flask import request
from freezegun import freeze_time
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline import outbox, sms_texts, tickets
from hotline.extensions import db
from hotline.models import (
    AuditLog,
    Caller,
    Channel,
    Contact,
    OutboxStatus,
    Ticket,
    TicketKind,
    TicketStatus,
)
from hotline.telephony import sms
from tests.telephony.conftest import CALLER, message_sid

OTHER = "+8613900139000"


def assert_empty_twiml(response):
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own TwiML)
    assert root.tag == "Response" and list(root) == []


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def only_ticket():
    (ticket,) = db.session.scalars(select(Ticket)).all()
    return ticket


# --- conversations ------------------------------------------------------------------------


def test_first_text_opens_an_sms_case_and_queues_an_ack_with_its_number(inbound_sms, outbox_rows):
    response = inbound_sms("我在某商城买的手机三天就坏了，商家拒绝退货")
    assert_empty_twiml(response)

    ticket = only_ticket()
    assert (ticket.channel, ticket.kind, ticket.status) == (Channel.SMS, TicketKind.UNKNOWN, TicketStatus.NEW)
    assert ticket.caller.phone == CALLER
    (contact,) = ticket.contacts.all()
    assert contact.body == "我在某商城买的手机三天就坏了，商家拒绝退货"
    assert (contact.channel, contact.direction.value) == (Channel.SMS, "inbound")

    (ack,) = outbox_rows()
    assert (ack.to, ack.purpose, ack.status, ack.ticket_id) == (CALLER, "ack", OutboxStatus.PENDING, ticket.id)
    assert ticket.number in ack.body and "已收到" in ack.body
    assert sms_texts.segments(ack.body) == 1
    # The SMS first-reply clock runs from the text to its reply: both are stamped.
    assert ack.created_at >= contact.created_at
    assert contact.first_reply_at is not None and contact.first_reply_at >= contact.created_at
    (created,) = ticket.events
    assert created.type == "created" and created.at == ticket.created_at


def test_a_second_text_within_a_day_joins_the_same_case(inbound_sms, outbox_rows):
    with freeze_time("2026-11-24 02:00:00"):
        inbound_sms("第一条：手机坏了")
    with freeze_time("2026-11-25 01:59:00"):
        inbound_sms("第二条：订单号 123456")

    ticket = only_ticket()
    assert [c.body for c in ticket.contacts] == ["第一条：手机坏了", "第二条：订单号 123456"]
    first, second = outbox_rows()
    assert ticket.number in first.body and ticket.number in second.body
    assert "补充" in second.body


def test_a_text_after_24_hours_opens_a_new_case(inbound_sms, outbox_rows):
    with freeze_time("2026-11-24 02:00:00"):
        inbound_sms("第一件事")
    with freeze_time("2026-11-25 02:00:01"):
        inbound_sms("另一件事")

    first, second = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert first.number != second.number
    assert [c.body for c in second.contacts] == ["另一件事"]
    assert second.number in outbox_rows()[-1].body


def test_a_text_after_the_case_was_accepted_opens_a_new_case(inbound_sms):
    inbound_sms("第一件事")
    tickets.change_status(only_ticket(), TicketStatus.ACCEPTED)
    db.session.commit()
    inbound_sms("新问题")
    assert count(Ticket) == 2


def test_texts_from_two_numbers_never_share_a_case(inbound_sms):
    inbound_sms("我的问题", from_=CALLER)
    inbound_sms("我的问题", from_=OTHER)
    assert count(Ticket) == 2 and count(Caller) == 2


def test_the_sender_number_is_normalised_to_one_caller(inbound_sms):
    inbound_sms("一", from_="+86 138 0013 8000")
    inbound_sms("二", from_="+8613800138000")
    assert db.session.scalars(select(Caller.phone)).all() == [CALLER]
    assert count(Ticket) == 1


# --- status queries -----------------------------------------------------------------------


@pytest.mark.parametrize("template", ["CX {n}", "cx{n}", "查询 {n}", "查询{d}", "ＣＸ {n}"])
def test_the_filer_can_ask_the_status_of_a_case(inbound_sms, outbox_rows, create_ticket, template):
    ticket = create_ticket(phone=CALLER)
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    db.session.commit()

    inbound_sms(template.format(n=ticket.number, d=ticket.number.replace("-", "")))

    (reply,) = outbox_rows()
    assert reply.purpose == "status" and reply.to == CALLER
    assert ticket.number in reply.body and "已受理" in reply.body
    assert count(Ticket) == 1  # a query opens no case


def test_asking_about_someone_elses_case_reveals_nothing(inbound_sms, outbox_rows, create_ticket):
    theirs = create_ticket(phone=OTHER)
    tickets.change_status(theirs, TicketStatus.ACCEPTED)
    db.session.commit()

    inbound_sms(f"CX {theirs.number}")
    inbound_sms("CX 20991231-99999")  # a number that does not exist at all

    about_theirs, about_none = outbox_rows()
    assert "已受理" not in about_theirs.body
    # The answer is the same whether the case is another person's or does not exist.
    assert about_theirs.body.replace(theirs.number, "N") == about_none.body.replace("20991231-99999", "N")
    assert about_theirs.ticket_id is None
    assert theirs.contacts.count() == 0


def test_a_query_with_an_unreadable_number_gets_the_format_explained(inbound_sms, outbox_rows):
    inbound_sms("查询 123")
    (reply,) = outbox_rows()
    assert reply.purpose == "status" and "CX" in reply.body
    assert count(Ticket) == 0


# --- opting out and in --------------------------------------------------------------------


def caller_row(phone=CALLER):
    db.session.expire_all()
    return db.session.scalar(select(Caller).where(Caller.phone == phone))


@pytest.mark.parametrize("word", ["STOP", " stop ", "退订", "ＳＴＯＰ", "Unsubscribe"])
def test_stop_opts_out_records_it_and_confirms(inbound_sms, outbox_rows, word):
    inbound_sms(word)

    caller = caller_row()
    assert caller.opted_out_at is not None
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "sms_opt_out"))
    assert audit.target_id == str(caller.id) and audit.data["via"] == "sms"
    (confirmation,) = outbox_rows()
    # The confirmation goes out although the number just opted out: it is marked legal.
    assert (confirmation.purpose, confirmation.legal, confirmation.status) == ("optout", True, OutboxStatus.PENDING)
    assert count(Ticket) == 0


def test_after_stop_only_legal_notices_are_sent(app, inbound_sms, create_ticket):
    ticket = create_ticket(phone=CALLER)
    inbound_sms("退订")

    survey = outbox.queue_sms(CALLER, f"工单 {ticket.number} 满意度回访", "survey", ticket=ticket)
    result = outbox.queue_sms(CALLER, f"工单 {ticket.number} 调解结果", "result", ticket=ticket, legal=True)
    db.session.commit()

    assert survey.status == OutboxStatus.SUPPRESSED  # the choice is recorded, nothing sent
    assert result.status == OutboxStatus.PENDING


def test_a_new_text_after_stop_still_opens_a_case_but_the_ack_is_suppressed(inbound_sms, outbox_rows):
    inbound_sms("STOP")
    inbound_sms("商家不退押金")
    ticket = only_ticket()
    ack = outbox_rows()[-1]
    assert (ack.purpose, ack.status, ack.ticket_id) == ("ack", OutboxStatus.SUPPRESSED, ticket.id)


def test_start_opts_back_in(inbound_sms, outbox_rows):
    inbound_sms("STOP")
    inbound_sms("订阅")

    assert caller_row().opted_out_at is None
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "sms_opt_in")) == "sms_opt_in"
    assert outbox_rows()[-1].purpose == "optin"
    assert outbox.queue_sms(CALLER, "工单 X 通知", "result").status == OutboxStatus.PENDING


# --- MMS, retries, races ------------------------------------------------------------------


def test_mms_media_are_kept_as_evidence_links(inbound_sms):
    inbound_sms(
        "发票照片", NumMedia="2",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        MediaContentType1="image/png",
    )
    (contact,) = only_ticket().contacts.all()
    assert [m["content_type"] for m in contact.media] == ["image/jpeg", "image/png"]
    assert contact.media[1]["url"].endswith("/Media/ME2")


def test_a_picture_without_text_still_opens_a_case(inbound_sms):
    inbound_sms("", NumMedia="1", MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="image/jpeg")
    assert only_ticket().contacts.one().media[0]["url"] == "https://api.twilio.com/m/ME1"


def test_a_retried_webhook_changes_nothing_and_answers_the_same(inbound_sms, outbox_rows):
    sid = message_sid()
    first = inbound_sms("手机坏了", sid=sid)
    again = inbound_sms("手机坏了", sid=sid)

    assert_empty_twiml(first)
    assert_empty_twiml(again)
    assert first.data == again.data
    assert (count(Ticket), count(Contact), len(outbox_rows())) == (1, 1, 1)


def test_a_message_sid_seen_before_from_a_new_number_writes_nothing(inbound_sms, outbox_rows):
    # A new number's text takes the short path, which writes the case before the Contact:
    # a MessageSid already recorded undoes all of it, the new caller row too.
    sid = message_sid()
    inbound_sms("手机坏了", sid=sid)
    assert_empty_twiml(inbound_sms("手机坏了", sid=sid, from_="+8613900139000"))
    assert (count(Contact), count(Ticket), count(Caller), len(outbox_rows())) == (1, 1, 1, 1)


def test_a_concurrent_duplicate_loses_cleanly_on_the_unique_sid(app):
    sid = message_sid()
    caller = tickets.find_or_create_caller(CALLER)
    assert sms.record_contact(sid, caller, "+8610012315", "一", []) is not None
    # The same MessageSid written again (as by a retry racing the first): ON CONFLICT DO NOTHING
    # writes nothing, and the rest of the transaction goes on.
    assert sms.record_contact(sid, caller, "+8610012315", "一", []) is None
    db.session.commit()
    assert count(Contact) == 1


def _post_in_threads(app, forms):
    validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    url = app.config["PUBLIC_BASE_URL"] + "/twilio/sms"
    barrier = threading.Barrier(len(forms))
    statuses = []

    def post(form):
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post(
            "/twilio/sms", data=urlencode(form), content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": validator.compute_signature(url, form)},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def _form(body, sid=None, from_="+8613700137000"):
    return {"MessageSid": sid or message_sid(), "From": from_, "To": "+8610012315", "Body": body}


@pytest.mark.backend("postgresql")  # "needs concurrent connections: the SQLite test database is one shared connection"
def test_simultaneous_first_texts_from_one_new_number_make_one_caller_and_one_case(app, backend):
    statuses = _post_in_threads(app, [_form(f"第{n}条") for n in range(4)])
    db.session.expire_all()
    assert statuses == [200] * 4
    assert count(Caller) == 1
    assert count(Ticket) == 1
    assert count(Contact) == 4


@pytest.mark.backend("postgresql")  # "needs concurrent connections: the SQLite test database is one shared connection"
def test_the_same_message_delivered_twice_at_once_is_recorded_once(app, backend):
    sid = message_sid()
    statuses = _post_in_threads(app, [_form("同一条", sid=sid) for _ in range(3)])
    db.session.expire_all()
    assert statuses == [200] * 3
    assert (count(Contact), count(Ticket)) == (1, 1)


# --- bad input ----------------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_creates_nothing(twilio_post):
    response = twilio_post("/twilio/sms", _form("伪造"), signature="not-a-signature")
    assert response.status_code == 403
    assert (count(Caller), count(Contact), count(Ticket)) == (0, 0, 0)


def test_a_missing_signature_is_refused(client):
    response = client.post("/twilio/sms", data=_form("没有签名"))
    assert response.status_code == 403
    assert count(Contact) == 0


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_missing_required_parameters_are_a_400(twilio_post, missing):
    form = _form("缺参数")
    del form[missing]
    assert twilio_post("/twilio/sms", form).status_code == 400
    assert count(Contact) == 0


@pytest.mark.parametrize("sender", ["x" * 10_000, "not a number", "ALIBABA"])
def test_an_unusable_sender_gets_empty_twiml_and_creates_nothing(twilio_post, sender):
    assert_empty_twiml(twilio_post("/twilio/sms", _form("hi", from_=sender)))
    assert (count(Caller), count(Contact), count(Ticket)) == (0, 0, 0)


def test_an_absurd_message_sid_is_a_400(twilio_post):
    assert twilio_post("/twilio/sms", _form("hi", sid="SM" + "a" * 500)).status_code == 400


def test_a_10000_character_body_is_stored_clipped_and_marked(inbound_sms):
    assert_empty_twiml(inbound_sms("长" * 10_000))
    contact = only_ticket().contacts.one()
    assert contact.body.startswith("长" * sms_texts.MAX_BODY)
    assert len(contact.body) < sms_texts.MAX_BODY + 40
    assert "已截断" in contact.body and "10000" in contact.body


def test_nul_and_invalid_utf8_bytes_do_not_break_anything(app, client):
    wire = urlencode({"MessageSid": message_sid(), "From": CALLER, "Body": b"\xff\xfe\x00abc"})
    # Twilio signs the values as the server reads them; read them the way Flask will.
    with app.test_request_context(
        "/twilio/sms", method="POST", data=wire, content_type="application/x-www-form-urlencoded"
    ):
        read_as = request.form.to_dict()
    url = app.config["PUBLIC_BASE_URL"] + "/twilio/sms"
    response = client.post(
        "/twilio/sms", data=wire, content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, read_as)},
    )
    assert_empty_twiml(response)
    stored = only_ticket().contacts.one().body
    assert "\x00" not in stored and stored.endswith("abc")


@pytest.mark.parametrize("num_media", ["lots", "-3", "999999"])
def test_a_nonsense_media_count_is_bounded(inbound_sms, num_media):
    assert_empty_twiml(inbound_sms("图", NumMedia=num_media, MediaUrl0="https://example.test/a.jpg"))
    media = only_ticket().contacts.one().media or []
    assert len(media) <= 1


def test_a_blocked_number_is_recorded_but_gets_no_case_and_no_reply(inbound_sms, outbox_rows):
    caller = tickets.find_or_create_caller(CALLER)
    caller.blocked_at = caller.created_at + timedelta(seconds=1)
    db.session.commit()
    inbound_sms("骚扰")
    assert count(Ticket) == 0 and outbox_rows() == []
    assert db.session.scalar(select(Contact.blocked)) is True
