"""Recording a case's result: RESOLVED, the result notice in the outbox, clocks settled,
the callback visit handed to follow-up."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    CaseResult,
    Clock,
    ClockKind,
    ClockState,
    OutboxMessage,
    OutboxStatus,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import now
from routing import desk
from tests.routing.desk_helpers import put_on_desk

PHONE = "+8613912345678"


@pytest.fixture
def working_case(create_ticket, dept):
    """A case the department has taken up, its mediation clock running."""

    def make(kind=TicketKind.COMPLAINT, **fields):
        fields.setdefault("complainant_phone", PHONE)
        ticket = put_on_desk(create_ticket(kind=kind, **fields), dept, TicketStatus.IN_PROGRESS)
        if kind == TicketKind.COMPLAINT:
            clocks.start_clock(ticket, ClockKind.MEDIATION)
            db.session.commit()
        return ticket

    return make


def notices(ticket):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()


def clock_states(ticket):
    rows = db.session.scalars(select(Clock).where(Clock.ticket_id == ticket.id).order_by(Clock.id))
    return [(c.kind, c.state) for c in rows]


def post_result(client, ticket, **data):
    return client.post(f"/desk/tickets/{ticket.number}/result", data=data)


@pytest.mark.parametrize(
    ("form", "expected_detail", "words"),
    [
        ({"result": "mediated", "outcome": "refund", "amount": "200"},
         {"outcome": "refund", "amount": "200.00"}, ["经调解已达成一致", "退款 200.00 元"]),
        ({"result": "mediated", "outcome": "repair"}, {"outcome": "repair"}, ["维修"]),
        ({"result": "mediation_failed", "note": "商家拒绝退款"}, None, ["未能达成一致", "人民法院", "仲裁"]),
        ({"result": "terminated", "reason": "withdrawn"}, {"reason": "withdrawn"}, ["投诉人撤回投诉", "人民法院"]),
    ],
)
def test_each_complaint_result_resolves_notifies_and_hands_over(
    client, staff, working_case, form, expected_detail, words
):
    ticket = working_case()
    response = post_result(client, ticket, **form)
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED and ticket.result == CaseResult(form["result"])
    assert ticket.result_detail == expected_detail and ticket.resolved_at is not None
    assert ticket.result_note == form.get("note")
    (sms,) = notices(ticket)
    assert (sms.to, sms.purpose, sms.legal, sms.status) == (PHONE, "result_notice", True, OutboxStatus.PENDING)
    assert ticket.number in sms.body and all(word in sms.body for word in words), sms.body
    assert clock_states(ticket) == [
        (ClockKind.MEDIATION, ClockState.MET), (ClockKind.CALLBACK, ClockState.RUNNING),
    ]
    result_event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "result"))
    assert (result_event.to_value, result_event.actor_id) == (form["result"], staff.id)


@pytest.mark.parametrize(("result", "words"), [("case_opened", "已决定立案调查"), ("case_not_opened", "决定不予立案")])
def test_a_named_reporter_gets_the_decision_notice(client, staff, working_case, result, words):
    ticket = working_case(TicketKind.REPORT, anonymous=False)
    assert post_result(client, ticket, result=result).status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED and ticket.result == CaseResult(result)
    (sms,) = notices(ticket)
    assert ticket.number in sms.body and words in sms.body and sms.legal
    assert clock_states(ticket) == [
        (ClockKind.REPORTER_NOTICE, ClockState.MET), (ClockKind.CALLBACK, ClockState.RUNNING),
    ]


def test_a_running_reporter_notice_clock_is_the_one_met(app, working_case, staff):
    ticket = working_case(TicketKind.REPORT)
    started = clocks.start_clock(ticket, ClockKind.REPORTER_NOTICE)
    desk.record_result(ticket, CaseResult.CASE_OPENED, None, None, staff)
    assert started.state == ClockState.MET
    assert [k for k, _ in clock_states(ticket)].count(ClockKind.REPORTER_NOTICE) == 1


def test_an_anonymous_report_gets_no_notice_and_no_callback(client, staff, working_case):
    ticket = working_case(TicketKind.REPORT, anonymous=True)
    assert post_result(client, ticket, result="case_opened").status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED
    assert notices(ticket) == [] and clock_states(ticket) == []


def test_the_notice_reaches_a_complainant_who_opted_out(client, staff, working_case, create_ticket):
    from hotline import outbox, tickets

    outbox.opt_out(tickets.find_or_create_caller(PHONE), via="sms")
    db.session.commit()
    ticket = working_case()
    post_result(client, ticket, result="mediation_failed")
    (sms,) = notices(ticket)
    assert sms.status == OutboxStatus.PENDING


def test_without_a_form_phone_the_calling_number_is_told(client, staff, working_case):
    ticket = working_case(phone="+8613700001111", complainant_phone=None)
    post_result(client, ticket, result="mediation_failed")
    (sms,) = notices(ticket)
    assert sms.to == "+8613700001111"


@pytest.mark.parametrize(
    "form",
    [
        {"result": "mediated"},  # what the consumer got is missing
        {"result": "mediated", "outcome": "refund", "amount": "-5"},
        {"result": "mediated", "outcome": "refund", "amount": "lots"},
        {"result": "mediated", "outcome": "refund", "amount": "NaN"},
        {"result": "terminated"},  # no reason
        {"result": "terminated", "reason": "other"},  # "other" needs the note
        {"result": "case_opened"},  # a report's result on a complaint
        {"result": "closed"},
        {},
    ],
)
def test_an_incomplete_result_is_refused_and_nothing_changes(client, staff, working_case, form):
    ticket = working_case()
    assert post_result(client, ticket, **form).status_code == 400
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.result is None
    assert notices(ticket) == [] and clock_states(ticket) == [(ClockKind.MEDIATION, ClockState.RUNNING)]


def test_a_result_before_taking_up_is_refused(client, staff, create_ticket, dept):
    ticket = put_on_desk(create_ticket(complainant_phone=PHONE), dept, TicketStatus.FORWARDED)
    assert post_result(client, ticket, result="mediation_failed").status_code == 409
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED and notices(ticket) == []


def test_the_result_shows_on_the_case_page(client, staff, working_case):
    ticket = working_case()
    post_result(client, ticket, result="mediated", outcome="refund", amount="200")
    body = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert "200.00" in body and 'id="desk-result"' in body
    assert 'id="result-mediated"' not in body  # no second result once resolved


def test_the_resolved_case_leaves_the_in_progress_tab(client, staff, working_case):
    ticket = working_case()
    post_result(client, ticket, result="mediation_failed")
    assert ticket.number not in client.get("/desk?tab=in_progress").get_data(as_text=True)
    assert desk.queue(ticket.department_id, "due_soon", moment=now() + timedelta(days=59)).items == []
