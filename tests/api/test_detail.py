"""GET /api/v1/tickets/<number>: the case, its timeline and its contacts."""

from datetime import datetime

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, Role, TicketStatus


@pytest.fixture
def handled_case(create_ticket, make_user):
    operator = make_user(role=Role.OPERATOR, username="wang")
    ticket = create_ticket(phone="+8613812341234", facts="空调不制冷", demand="退货", amount=2999)
    tickets.update_fields(ticket, {"respondent_name": "某电器店"}, actor=operator)
    tickets.change_status(ticket, TicketStatus.ACCEPTED, actor=operator, reason="材料齐全")
    tickets.add_note(ticket, "已联系商家", operator)
    db.session.add_all([
        Contact(channel=Channel.VOICE, direction=Direction.INBOUND, ticket=ticket, caller=ticket.caller,
                from_number="+8613812341234", queued_at=datetime(2026, 1, 5, 1, 0, 0),
                answered_at=datetime(2026, 1, 5, 1, 0, 12), ended_at=datetime(2026, 1, 5, 1, 5, 0),
                queue_seconds=12, talk_seconds=288, queue_result="bridged", body="not shown"),
        Contact(channel=Channel.SMS, direction=Direction.INBOUND, ticket=ticket, caller=ticket.caller,
                from_number="+8613812341234", body="我的订单号是 12345"),
    ])
    db.session.commit()
    return ticket


def test_detail_shows_the_case_with_its_timeline(operator_api, handled_case):
    response = operator_api.get(f"/api/v1/tickets/{handled_case.number}")
    assert response.status_code == 200
    case = response.json
    assert (case["number"], case["status"], case["facts"], case["demand"], case["amount"]) == (
        handled_case.number, "accepted", "空调不制冷", "退货", 2999.0)
    assert case["respondent_name"] == "某电器店"
    timeline = [(e["type"], e["field"], e["from"], e["to"], e["reason"], e["actor"]) for e in case["events"]]
    assert timeline == [
        ("created", None, None, "voice", None, None),
        ("field", "respondent_name", None, "某电器店", None, "wang"),
        ("status", None, "new", "accepted", "材料齐全", "wang"),
        ("note", None, None, "已联系商家", None, "wang"),
    ]
    assert all(e["at"].endswith("+08:00") for e in case["events"])


def test_detail_lists_contacts_with_times_and_sms_bodies(operator_api, handled_case):
    call, sms = operator_api.get(f"/api/v1/tickets/{handled_case.number}").json["contacts"]
    assert (call["channel"], call["direction"], call["queue_seconds"], call["talk_seconds"]) == (
        "voice", "inbound", 12, 288)
    assert call["answered_at"] == "2026-01-05T09:00:12+08:00"
    assert call["body"] is None
    assert (sms["channel"], sms["body"]) == ("sms", "我的订单号是 12345")


def test_detail_never_shows_the_full_phone_number(operator_api, handled_case):
    response = operator_api.get(f"/api/v1/tickets/{handled_case.number}")
    assert response.json["caller"]["phone_masked"] == "138****1234"
    assert response.json["phone_masked"] == "138****1234"
    assert "13812341234" not in response.get_data(as_text=True)


@pytest.mark.parametrize("number", ["20990101-00001", "nope", "%00", "20260101-0000%27", "x" * 5000])
def test_unknown_case_numbers_are_404(operator_api, number):
    response = operator_api.get(f"/api/v1/tickets/{number}")
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"


def test_a_case_without_a_caller(operator_api, create_ticket):
    ticket = create_ticket(phone=None)
    case = operator_api.get(f"/api/v1/tickets/{ticket.number}").json
    assert case["caller"] is None and case["phone_masked"] is None
