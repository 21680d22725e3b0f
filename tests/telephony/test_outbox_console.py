"""Operators reply by SMS from the case page; supervisors see and retry failed messages."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import outbox, timeutil
from hotline.extensions import db
from hotline.models import AuditLog, OutboxMessage, OutboxStatus, Role, TicketEvent, TicketKind
from tests.telephony.conftest import CALLER, FakeSender


def messages():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR)
    login(user)
    return user


def test_an_operator_reply_is_queued_with_the_case_number_and_recorded(client, operator, create_ticket):
    ticket = create_ticket(phone=CALLER)
    response = client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": "请补充购买凭证的照片。"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    (message,) = messages()
    assert message.body == f"请补充购买凭证的照片。（工单号 {ticket.number}）"
    assert (message.to, message.purpose, message.status, message.created_by_id) == (
        CALLER, "reply", OutboxStatus.PENDING, operator.id)
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.type == "sms_reply"))
    assert (event.ticket_id, event.actor_id, event.to_value) == (ticket.id, operator.id, message.body)


def test_a_reply_that_already_names_the_case_is_not_given_it_twice(client, operator, create_ticket):
    ticket = create_ticket(phone=CALLER)
    client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": f"工单 {ticket.number} 已转办。"})
    assert messages()[0].body == f"工单 {ticket.number} 已转办。"


@pytest.mark.parametrize("body", ["", "   ", "长" * 1001])
def test_an_empty_or_too_long_reply_is_refused_and_the_text_kept(client, operator, create_ticket, body):
    ticket = create_ticket(phone=CALLER)
    response = client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": body})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-testid="sms-reply-error"' in page
    if body.strip():
        assert body in page  # nothing the operator typed is lost
        hint = page.split('id="sms-segment-hint"')[1].split("</p>")[0]
        assert "1001" in hint and "15" in hint  # 1001 Chinese characters, 67 per segment
    assert messages() == []


def test_a_reply_to_an_opted_out_caller_is_recorded_not_sent(client, operator, create_ticket):
    ticket = create_ticket(phone=CALLER)
    ticket.caller.opted_out_at = timeutil.now()
    db.session.commit()
    response = client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": "您好"}, follow_redirects=True)
    assert messages()[0].status == OutboxStatus.SUPPRESSED
    assert "opted out" in response.get_data(as_text=True) or "退订" in response.get_data(as_text=True)


def test_a_case_without_a_caller_cannot_be_texted(client, operator, create_ticket):
    ticket = create_ticket(phone=None)
    response = client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": "您好"})
    assert response.status_code == 400 and messages() == []


def test_an_unknown_case_is_a_404(client, operator):
    assert client.post("/outbox/tickets/20991231-00001/reply", data={"body": "hi"}).status_code == 404


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_only_operators_and_supervisors_reply(client, make_user, login, create_ticket, role):
    ticket = create_ticket(phone=CALLER)
    login(make_user(role))
    assert client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": "hi"}).status_code == 403
    assert messages() == []


def test_the_reply_form_is_protected_by_csrf(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from hotline import accounts, tickets
        from hotline.models import Channel

        user = accounts.create_user("op", "amber-otter-lantern-42", Role.OPERATOR)
        ticket = tickets.open_ticket(Channel.SMS, caller=tickets.find_or_create_caller(CALLER))
        db.session.commit()
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"username": user.username, "password": "amber-otter-lantern-42", "csrf_token": token})
        response = client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": "hi"})
        assert response.status_code == 400
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_case_page_shows_the_reply_form_and_sent_messages(client, operator, create_ticket):
    ticket = create_ticket(phone=CALLER)
    outbox.queue_sms(CALLER, f"您的诉求已收到，工单号 {ticket.number}", "ack", ticket=ticket)
    db.session.commit()
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="sms-reply-form"' in page
    assert f"/outbox/tickets/{ticket.number}/reply" in page
    assert page.count('data-testid="sms-message"') == 1
    assert 'id="sms-segment-hint"' in page
    textarea = page.split('id="sms-reply-body"')[0].rsplit("<textarea", 1)[1]
    assert "maxlength" not in textarea  # the browser must not cut a long paste silently


# --- failed messages ----------------------------------------------------------------------


def failed_message(ticket=None):
    message = outbox.queue_sms(CALLER, "工单 20261124-00042 调解结果", "result", ticket=ticket, legal=True)
    message.attempts, message.status, message.last_error = 5, OutboxStatus.FAILED, "provider:21211"
    db.session.commit()
    return message


def test_supervisors_see_failed_messages_with_masked_numbers(client, make_user, login, create_ticket):
    ticket = create_ticket(phone=CALLER)
    failed_message(ticket)
    login(make_user(Role.SUPERVISOR))
    page = client.get("/outbox/failed").get_data(as_text=True)
    assert page.count('data-testid="failed-message"') == 1
    assert "138****8000" in page and "13800138000" not in page
    assert ticket.number in page and "21211" in page


@pytest.mark.parametrize(("stored", "zh", "en"), [
    ("provider:21211", "短信服务商拒绝发送：号码无效（代码 21211）",
     "Refused by the SMS provider: not a valid phone number (code 21211)"),
    ("undelivered:30003", "未送达：手机无法接通（代码 30003）", "Not delivered: the phone cannot be reached (code 30003)"),
    ("undelivered:", "未送达", "Not delivered"),
    ("provider:20003", "短信服务商拒绝发送（代码 20003）", "Refused by the SMS provider (code 20003)"),
    ("http:503", "短信服务商拒绝发送（HTTP 503）", "Refused by the SMS provider (HTTP 503)"),
    ("outage", "无法连接短信服务，将自动重试", "The SMS service could not be reached; it is tried again"),
    ("interrupted", "发送中断，将重新发送", "Sending was interrupted; it is sent again"),
    # An older row kept the provider's English message with the number in it: never shown.
    ("Twilio 400 (code 21211): The 'To' number +8613800138000 is not valid", "发送失败", "Sending failed"),
])
def test_a_failure_reads_in_words_never_as_the_provider_s_message(client, make_user, login, create_ticket,
                                                                 stored, zh, en):
    ticket = create_ticket(phone=CALLER)
    message = failed_message(ticket)
    message.last_error = stored
    db.session.commit()
    supervisor = make_user(Role.SUPERVISOR)
    login(supervisor)
    for locale, words in (("zh", zh), ("en", en)):
        supervisor.locale = locale
        db.session.commit()
        for url in ("/outbox/failed", f"/tickets/{ticket.number}"):
            page = client.get(url).get_data(as_text=True)
            cell = page.split('data-testid="sms-error">', 1)[1].split("<", 1)[0]
            assert html.unescape(cell) == words, (url, locale)
            assert "13800138000" not in page and "Twilio 400" not in page


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_other_roles_may_not_see_failed_messages(client, make_user, login, role):
    failed_message()
    login(make_user(role))
    assert client.get("/outbox/failed").status_code == 403


def test_a_supervisor_retry_requeues_the_message_and_is_audited(app, client, make_user, login):
    message = failed_message()
    supervisor = make_user(Role.SUPERVISOR)
    login(supervisor)

    response = client.post(f"/outbox/messages/{message.id}/retry")
    assert response.status_code == 302
    (row,) = messages()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "outbox_retry"))
    assert (audit.user_id, audit.target_id) == (supervisor.id, str(message.id))

    sender = FakeSender()
    outbox.dispatch_due(sender, now=timeutil.now() + timedelta(seconds=1))
    assert messages()[0].status == OutboxStatus.SENT and len(sender.sent) == 1


def test_retrying_a_message_that_did_not_fail_changes_nothing(client, make_user, login):
    message = outbox.queue_sms(CALLER, "工单 1", "status")
    db.session.commit()
    login(make_user(Role.SUPERVISOR))
    client.post(f"/outbox/messages/{message.id}/retry")
    assert messages()[0].status == OutboxStatus.PENDING
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "outbox_retry")) is None


def test_an_operator_cannot_retry(client, operator):
    message = failed_message()
    assert client.post(f"/outbox/messages/{message.id}/retry").status_code == 403
    assert messages()[0].status == OutboxStatus.FAILED


def test_an_anonymous_case_offers_no_reply_and_refuses_one(client, make_user, login, create_ticket):
    """The reporter asked to stay anonymous: the case page says nobody is texted, and a reply
    posted anyway is refused with nothing queued (the same rule as the case's notices)."""
    ticket = create_ticket(phone=CALLER, kind=TicketKind.REPORT, anonymous=True)
    login(make_user(Role.OPERATOR))
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="sms-anonymous"' in page and 'id="sms-reply-form"' not in page
    refused = client.post(f"/outbox/tickets/{ticket.number}/reply", data={"body": "您好"})
    assert refused.status_code == 400
    assert messages() == []
