"""The API twins of the case page's note form (console.add_note) and SMS reply (outbox.reply):
the same roles, the same services, the same history lines; every answer the document describes."""

import json

import pytest
from sqlalchemy import func, select

from hotline import timeutil
from hotline.extensions import db
from hotline.models import OutboxMessage, OutboxStatus, Role, TicketEvent, TicketKind

CALLER = "+8613812341234"


def _messages():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _events(ticket, kind):
    db.session.expire_all()
    return db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                        TicketEvent.type == kind)).all()


def _note(api, number, body, **kwargs):
    return api.post(f"/api/v1/tickets/{number}/notes", json=body, **kwargs)


def _sms(api, number, body, **kwargs):
    return api.post(f"/api/v1/tickets/{number}/sms", json=body, **kwargs)


# ---- notes -------------------------------------------------------------------------------------


def test_a_note_is_on_the_case_history_the_api_reads_afterwards(operator_api, create_ticket):
    ticket = create_ticket(phone=CALLER)
    response = _note(operator_api, ticket.number, {"text": "  已致电商家，约定周五前退款。 "},
                     headers={"Accept-Language": "zh"})
    assert response.status_code == 201
    assert response.headers["Content-Language"] == "zh"
    assert response.json["events"][-1]["to"] == "已致电商家，约定周五前退款。"

    history = operator_api.get(f"/api/v1/tickets/{ticket.number}").json["events"]
    notes = [e for e in history if e["type"] == "note"]
    assert len(notes) == 1
    assert notes[0]["to"] == "已致电商家，约定周五前退款。" and notes[0]["actor"]


def test_the_department_handling_the_case_may_note_it_another_may_not_see_it(
        as_role, create_ticket, make_department):
    own, other = make_department("D01", "海淀分局"), make_department("D02", "朝阳分局")
    ticket = create_ticket(phone=CALLER, kind=TicketKind.COMPLAINT)
    ticket.department_id = own.id
    db.session.commit()
    assert _note(as_role(Role.DEPARTMENT, department=own), ticket.number, {"text": "已联系商家"}).status_code == 201
    assert _note(as_role(Role.DEPARTMENT, department=other), ticket.number, {"text": "x"}).status_code == 404
    assert len(_events(ticket, "note")) == 1


def test_an_admin_may_not_note_a_case(as_role, create_ticket):
    ticket = create_ticket(phone=CALLER)
    response = _note(as_role(Role.ADMIN), ticket.number, {"text": "x"})
    assert response.status_code == 403
    assert _events(ticket, "note") == []


def test_a_note_without_a_token_is_401(api, create_ticket):
    ticket = create_ticket(phone=CALLER)
    assert _note(api, ticket.number, {"text": "x"}).status_code == 401


@pytest.mark.parametrize("body, field", [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": 5}, "text"),
    ({"text": ["a"]}, "text"), ({"text": "a\x00b"}, "text"), ({"text": "\ud800"}, "text"),
    ({"text": "长" * 4001}, "text"), ({"text": "ok", "actor": "boss"}, "actor"),
])
def test_a_bad_note_is_422_naming_the_field_and_adds_nothing(operator_api, create_ticket, body, field):
    ticket = create_ticket(phone=CALLER)
    response = _note(operator_api, ticket.number, body)
    assert response.status_code == 422
    assert field in response.json["fields"]
    assert _events(ticket, "note") == []


def test_the_longest_note_the_console_takes_is_taken(operator_api, create_ticket):
    ticket = create_ticket(phone=CALLER)
    assert _note(operator_api, ticket.number, {"text": "长" * 4000}).status_code == 201


@pytest.mark.parametrize("raw", ["not json", "[]", '"text"', "null", b'{"text": "\xff"}'])
def test_a_note_body_that_is_not_a_json_object_is_400(operator_api, create_ticket, raw):
    ticket = create_ticket(phone=CALLER)
    response = operator_api.post(f"/api/v1/tickets/{ticket.number}/notes", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert _events(ticket, "note") == []


def test_a_note_on_an_unknown_case_is_404(operator_api):
    assert _note(operator_api, "20991231-00001", {"text": "x"}).status_code == 404
    assert _note(operator_api, "not-a-number", {"text": "x"}).status_code == 404


# ---- SMS replies -------------------------------------------------------------------------------


def test_an_sms_reply_is_queued_with_the_case_number_masked_and_on_the_history(operator_api, create_ticket):
    ticket = create_ticket(phone=CALLER)
    response = _sms(operator_api, ticket.number, {"body": "请补充购买凭证的照片。"})
    assert response.status_code == 201
    sent = response.json
    assert (sent["purpose"], sent["status"], sent["number"]) == ("reply", "pending", ticket.number)
    assert sent["to_masked"] == "138****1234"
    assert "13812341234" not in json.dumps(response.json)
    (message,) = _messages()
    assert message.id == sent["id"] and message.to == CALLER and message.purpose == "reply"
    assert message.body == sent["body"] == f"请补充购买凭证的照片。（工单号 {ticket.number}）"
    assert message.status == OutboxStatus.PENDING
    history = operator_api.get(f"/api/v1/tickets/{ticket.number}").json["events"]
    assert [e["to"] for e in history if e["type"] == "sms_reply"] == [message.body]


def test_an_opted_out_caller_gets_nothing_the_reply_is_recorded_as_the_console_does(operator_api, create_ticket):
    ticket = create_ticket(phone=CALLER)
    ticket.caller.opted_out_at = timeutil.now()
    db.session.commit()
    response = _sms(operator_api, ticket.number, {"body": "您好"})
    assert response.status_code == 201 and response.json["status"] == "suppressed"
    assert [m.status for m in _messages()] == [OutboxStatus.SUPPRESSED]
    assert len(_events(ticket, "sms_reply")) == 1


def test_a_confidential_reporters_number_is_not_shown_even_masked(operator_api, create_ticket):
    ticket = create_ticket(phone=CALLER, kind=TicketKind.REPORT, confidential=True)
    response = _sms(operator_api, ticket.number, {"body": "您好"})
    assert response.status_code == 201 and response.json["to_masked"] is None
    assert "1234" not in json.dumps(response.json)


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_only_operators_and_supervisors_text_the_caller(as_role, create_ticket, make_department, role):
    department = make_department()
    ticket = create_ticket(phone=CALLER)
    ticket.department_id = department.id
    db.session.commit()
    client = as_role(role, department=department if role == Role.DEPARTMENT else None)
    assert _sms(client, ticket.number, {"body": "您好"}).status_code == 403
    assert _messages() == []


def test_a_supervisor_may_text_the_caller(as_role, create_ticket):
    ticket = create_ticket(phone=CALLER)
    assert _sms(as_role(Role.SUPERVISOR), ticket.number, {"body": "您好"}).status_code == 201


def test_a_case_without_a_caller_is_409_and_nothing_queued(operator_api, create_ticket):
    ticket = create_ticket(phone=None)
    response = _sms(operator_api, ticket.number, {"body": "您好"})
    assert response.status_code == 409
    assert _messages() == [] and _events(ticket, "sms_reply") == []


def test_an_anonymous_case_is_never_texted(operator_api, create_ticket):
    """The reporter asked to stay anonymous: nobody is texted about the case (as its notices)."""
    ticket = create_ticket(phone=CALLER, kind=TicketKind.REPORT, anonymous=True)
    response = _sms(operator_api, ticket.number, {"body": "您好"})
    assert response.status_code == 409 and "anonymous" in response.get_json()["message"]
    assert _messages() == [] and _events(ticket, "sms_reply") == []


def test_the_reply_goes_where_the_case_s_notices_go(operator_api, create_ticket):
    """The number the complainant gave on the form, not the phone the call came from."""
    ticket = create_ticket(phone=CALLER, complainant_phone="+8613911112222")
    assert _sms(operator_api, ticket.number, {"body": "您好"}).status_code == 201
    assert [m.to for m in _messages()] == ["+8613911112222"]


@pytest.mark.parametrize("body, field", [
    ({}, "body"), ({"body": ""}, "body"), ({"body": " "}, "body"), ({"body": 1}, "body"),
    ({"body": None}, "body"), ({"body": "a\x00"}, "body"), ({"body": "长" * 1001}, "body"),
    ({"body": "您好", "to": "+8613900000000"}, "to"), ({"body": "您好", "purpose": "legal"}, "purpose"),
])
def test_a_bad_reply_is_422_naming_the_field_and_sends_nothing(operator_api, create_ticket, body, field):
    ticket = create_ticket(phone=CALLER)
    response = _sms(operator_api, ticket.number, body)
    assert response.status_code == 422 and field in response.json["fields"]
    assert _messages() == []


@pytest.mark.parametrize("raw", ["", "body=hi", "[1]", "{" * 10_000])
def test_a_reply_body_that_is_not_a_json_object_is_400(operator_api, create_ticket, raw):
    ticket = create_ticket(phone=CALLER)
    response = operator_api.post(f"/api/v1/tickets/{ticket.number}/sms", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_reply_to_an_unknown_case_is_404(operator_api):
    assert _sms(operator_api, "20991231-00001", {"body": "hi"}).status_code == 404
