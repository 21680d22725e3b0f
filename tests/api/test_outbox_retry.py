"""The API twins of the console's failed-messages page (hotline/console/outbox.py): supervisors list
the SMS the dispatcher gave up on, numbers masked and failures in words, and queue one again with
outbox.retry, audited; the dispatcher then sends it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import outbox, timeutil
from hotline.extensions import db
from hotline.models import AuditLog, OutboxMessage, OutboxStatus, Role
from tests.hostile import changed, refused_unchanged, snapshot
from tests.telephony.conftest import CALLER, FakeSender


def failed_message(ticket=None, purpose="result", error="undelivered:30003"):
    message = outbox.queue_sms(CALLER, "工单 20261124-00042 调解结果", purpose, ticket=ticket, legal=True)
    message.attempts, message.status, message.last_error = 5, OutboxStatus.FAILED, error
    db.session.commit()
    return message


def retries():
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "outbox_retry")).all()


def test_a_supervisor_sees_a_failed_sms_masked_retries_it_and_the_dispatcher_sends_it(as_role, create_ticket):
    ticket = create_ticket(phone=CALLER)
    message = failed_message(ticket)
    supervisor = as_role(Role.SUPERVISOR)
    listed = supervisor.get("/api/v1/outbox/failed", headers={"Accept-Language": "en"})
    assert listed.headers["Content-Language"] == "en"
    [item] = listed.json["items"]
    assert (item["id"], item["case"], item["to_masked"], item["legal"], item["attempts"]) == (
        message.id, ticket.number, "138****8000", True, 5)
    assert item["error"] == "Not delivered: the phone cannot be reached (code 30003)"
    assert "13800138000" not in listed.get_data(as_text=True)
    zh = supervisor.get("/api/v1/outbox/failed", headers={"Accept-Language": "zh"}).json["items"][0]["error"]
    assert zh == "未送达：手机无法接通（代码 30003）"

    retried = supervisor.post(f"/api/v1/outbox/messages/{message.id}/retry")
    assert retried.status_code == 200 and (retried.json["status"], retried.json["attempts"]) == ("pending", 0)
    assert supervisor.get("/api/v1/outbox/failed").json["items"] == []
    [entry] = retries()
    assert entry.target_id == str(message.id)
    sender = FakeSender()
    outbox.dispatch_due(sender, now=timeutil.now() + timedelta(seconds=1))
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT and len(sender.sent) == 1

    before = snapshot()
    again = supervisor.post(f"/api/v1/outbox/messages/{message.id}/retry", json={})
    assert again.status_code == 409 and "sent" in again.json["message"]
    assert not changed(before, snapshot()) and len(retries()) == 1


def test_a_one_time_code_is_never_shown_and_an_old_providers_message_never_quoted(as_role):
    failed_message(purpose="otp", error="Twilio 400 (code 21211): The 'To' number +8613800138000 is not valid")
    [item] = as_role(Role.SUPERVISOR).get("/api/v1/outbox/failed", headers={"Accept-Language": "en"}).json["items"]
    assert (item["text"], item["error"], item["case"]) == (None, "Sending failed", None)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_other_roles_are_refused(as_role, make_department, role):
    message = failed_message()
    client = as_role(role, make_department() if role == Role.DEPARTMENT else None)
    assert client.get("/api/v1/outbox/failed").status_code == 403
    assert client.post(f"/api/v1/outbox/messages/{message.id}/retry").status_code == 403
    assert retries() == [] and db.session.get(OutboxMessage, message.id).status == OutboxStatus.FAILED


def test_unknown_ids_404_a_body_with_fields_422_not_json_400(as_role):
    message = failed_message()
    supervisor = as_role(Role.SUPERVISOR)
    for wrong in ("999999", "x", "99999999999999999999"):
        assert supervisor.post(f"/api/v1/outbox/messages/{wrong}/retry").status_code == 404
    refused_unchanged(supervisor, f"/api/v1/outbox/messages/{message.id}/retry", {"now": True}, 422, ["now"])
    refused_unchanged(supervisor, f"/api/v1/outbox/messages/{message.id}/retry", "[]", 400)
    assert retries() == []
