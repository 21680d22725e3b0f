"""Appeals: a complainant unhappy with the result reopens the case, by phone, at the callback
visit or by texting an appeal word; supervisors see appeals per department."""

from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import (
    Appeal,
    Clock,
    ClockKind,
    ClockState,
    Department,
    OutboxMessage,
    Role,
    TicketEvent,
    TicketStatus,
)
from hotline.timeutil import now
from routing import referrals

CALLER = "+8613800138000"


@pytest.fixture
def resolved(create_ticket, department):
    """resolved(days_ago=1, department=..., closed=False, phone=...) -> a case with a result."""

    def make(days_ago=1, dept=department, closed=False, phone=CALLER):
        ticket = create_ticket(phone=phone, facts="空调不制冷")
        ticket.department = dept
        for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
            tickets.change_status(ticket, status)
        ticket.resolved_at = now() - timedelta(days=days_ago)
        if closed:
            tickets.change_status(ticket, TicketStatus.CLOSED)
        db.session.commit()
        return ticket

    return make


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR)
    login(user)
    return user


def _appeal_clock(ticket):
    return db.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.APPEAL))


def _events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ).all()


# --- from the console ------------------------------------------------------------------


def test_an_appeal_by_phone_sends_the_case_back_to_its_department(client, operator, resolved, department):
    ticket = resolved()

    response = client.post(f"/referrals/tickets/{ticket.number}/appeal",
                           data={"reason": "商家答应的退款没到账", "channel": "voice", "target": "department"})

    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED and ticket.department_id == department.id
    assert ticket.reopen_count == 1
    [appeal] = db.session.scalars(select(Appeal).where(Appeal.ticket_id == ticket.id)).all()
    assert (appeal.channel, appeal.target, appeal.department_id) == ("voice", "department", department.id)
    assert appeal.reason == "商家答应的退款没到账" and appeal.raised_by_id == operator.id
    [event] = _events(ticket, "appeal_opened")
    assert event.reason == "商家答应的退款没到账" and event.data["channel"] == "voice"
    clock = _appeal_clock(ticket)
    assert clock.state == ClockState.RUNNING and clock.due_at > now()


def test_an_appeal_to_the_supervisors_goes_to_triage(client, operator, resolved):
    ticket = resolved()

    client.post(f"/referrals/tickets/{ticket.number}/appeal",
                data={"reason": "承办部门态度差", "channel": "callback", "target": "supervisor"})

    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ACCEPTED
    assert db.session.scalar(select(Appeal.target).where(Appeal.ticket_id == ticket.id)) == "supervisor"


def test_a_closed_case_reopens_to_its_department_through_triage(app, resolved, make_user):
    ticket = resolved(closed=True)

    referrals.open_appeal(ticket, "console", "结果不对", make_user(Role.SUPERVISOR))

    assert ticket.status == TicketStatus.FORWARDED and ticket.closed_at is None
    assert [(e.from_value, e.to_value) for e in _events(ticket, "status")][-2:] == [
        ("closed", "accepted"), ("accepted", "forwarded")]


def test_a_case_without_a_department_goes_to_the_supervisors(app, resolved, make_user):
    ticket = resolved(dept=None)

    appeal = referrals.open_appeal(ticket, "voice", "没人处理", make_user(Role.OPERATOR))

    assert ticket.status == TicketStatus.ACCEPTED and appeal.target == "supervisor"


def test_a_second_appeal_counts_again(app, resolved, make_user):
    user = make_user(Role.OPERATOR)
    ticket = resolved()
    referrals.open_appeal(ticket, "voice", "第一次", user)
    referrals.close_appeals(ticket, "mediated again", user)
    for status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        tickets.change_status(ticket, status)

    referrals.open_appeal(ticket, "voice", "第二次", user)

    assert ticket.reopen_count == 2
    clocks = db.session.scalars(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.APPEAL)
                                .order_by(Clock.id)).all()
    assert [c.state for c in clocks] == [ClockState.MET, ClockState.RUNNING]


def test_a_case_still_being_handled_cannot_be_appealed(client, operator, resolved):
    ticket = resolved()
    referrals.open_appeal(ticket, "voice", "第一次", operator)
    db.session.commit()
    events_before = ticket.events.count()

    response = client.post(f"/referrals/tickets/{ticket.number}/appeal",
                           data={"reason": "再申诉", "channel": "voice", "target": "department"})

    assert response.status_code == 409
    db.session.refresh(ticket)
    assert ticket.reopen_count == 1 and ticket.events.count() == events_before


def test_an_appeal_without_a_reason_is_refused_with_the_form(client, operator, resolved):
    ticket = resolved()

    response = client.post(f"/referrals/tickets/{ticket.number}/appeal",
                           data={"reason": " ", "channel": "voice", "target": "department"})

    assert response.status_code == 400
    assert 'id="appeal-form"' in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED


def test_unknown_channel_or_target_is_refused(client, operator, resolved):
    ticket = resolved()

    response = client.post(f"/referrals/tickets/{ticket.number}/appeal",
                           data={"reason": "x", "channel": "fax", "target": "mayor"})

    assert response.status_code == 400
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED


def test_department_staff_cannot_open_appeals(client, make_user, login, resolved, department):
    ticket = resolved()
    login(make_user(Role.DEPARTMENT, department=department))

    response = client.post(f"/referrals/tickets/{ticket.number}/appeal",
                           data={"reason": "x", "channel": "voice", "target": "department"})

    assert response.status_code == 403


def _render_partial(app, user, ticket):
    with app.test_request_context():
        login_user(user)
        return render_template("routing/_appeal.html", ticket=ticket)


def test_the_partial_shows_the_form_on_resolved_cases_for_operators_only(app, make_user, resolved, department):
    ticket = resolved()
    operator = make_user(Role.OPERATOR)

    assert 'id="appeal-form"' in _render_partial(app, operator, ticket)
    assert 'id="appeal-form"' not in _render_partial(app, make_user(Role.DEPARTMENT, department=department), ticket)
    referrals.open_appeal(ticket, "voice", "x", operator)
    assert 'id="appeal-form"' not in _render_partial(app, operator, ticket)


# --- by SMS ----------------------------------------------------------------------------


def _texts_to(phone):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == phone)).all()


@pytest.mark.parametrize(("body", "reason"), [
    ("申诉 商家还是没退款", "商家还是没退款"),
    ("不满意", "不满意"),
    ("申诉：维修后又坏了", "维修后又坏了"),
])
def test_an_appeal_word_reopens_the_callers_recent_result(app, resolved, department, body, reason):
    ticket = resolved(days_ago=29)

    appeal = referrals.appeal_from_sms("13800138000", body, now())
    db.session.commit()

    assert appeal.ticket_id == ticket.id and appeal.channel == "sms" and appeal.reason == reason
    assert appeal.raised_by_id is None
    assert ticket.status == TicketStatus.FORWARDED and ticket.reopen_count == 1
    assert _appeal_clock(ticket).state == ClockState.RUNNING
    [notice] = _texts_to(CALLER)
    assert ticket.number in notice.body and notice.ticket_id == ticket.id


def test_the_latest_result_is_the_one_appealed(app, resolved):
    older, newer = resolved(days_ago=10), resolved(days_ago=2)

    appeal = referrals.appeal_from_sms(CALLER, "不满意", now())

    assert appeal.ticket_id == newer.id and older.status == TicketStatus.RESOLVED


@pytest.mark.parametrize("body", ["我对商家很不满意，要投诉另一家店", "CX20250101-00001", "", "申"])
def test_other_texts_are_not_appeals(app, resolved, body):
    ticket = resolved()

    assert referrals.appeal_from_sms(CALLER, body, now()) is None
    assert ticket.status == TicketStatus.RESOLVED and _texts_to(CALLER) == []


def test_no_appeal_by_sms_after_thirty_days_or_for_another_number(app, resolved):
    old = resolved(days_ago=31)
    others = resolved(phone="+8613900139000")

    assert referrals.appeal_from_sms(CALLER, "申诉", now()) is None
    assert referrals.appeal_from_sms("+8613700137000", "申诉", now()) is None
    assert referrals.appeal_from_sms("not a phone", "申诉", now()) is None
    assert old.status == TicketStatus.RESOLVED and others.status == TicketStatus.RESOLVED


def test_the_sms_window_is_configurable(app_factory, backend):
    app = app_factory(APPEAL_SMS_WINDOW_DAYS=60)
    with app.app_context():
        ticket = tickets.open_ticket("voice", caller=tickets.find_or_create_caller(CALLER))
        for status in (TicketStatus.ACCEPTED, TicketStatus.RESOLVED):
            tickets.change_status(ticket, status)
        ticket.resolved_at = now() - timedelta(days=45)

        assert referrals.appeal_from_sms(CALLER, "申诉", now()).ticket_id == ticket.id


# --- figures ---------------------------------------------------------------------------


def test_appeal_counts_per_department_in_the_period(app, resolved, department, make_user):
    user = make_user(Role.OPERATOR)
    other = Department(code="D02", name="海淀市场监管所")
    db.session.add(other)
    first, second, third = resolved(), resolved(), resolved(dept=other)
    for ticket in (first, second, third):
        referrals.open_appeal(ticket, "voice", "x", user)
    referrals.close_appeals(first, "done", user)
    for status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        tickets.change_status(first, status)
    referrals.open_appeal(first, "sms", "again", None)
    early = resolved()
    referrals.open_appeal(early, "voice", "long ago", user).created_at = now() - timedelta(days=40)
    db.session.commit()

    counts = referrals.appeal_counts(now() - timedelta(days=1), now() + timedelta(seconds=1))

    assert [(c.department.code, c.appeals, c.cases) for c in counts] == [("D01", 3, 2), ("D02", 1, 1)]


def test_supervisors_see_the_appeals_page(client, make_user, login, resolved, department):
    ticket = resolved()
    referrals.open_appeal(ticket, "voice", "退款没到账", None)
    db.session.commit()
    login(make_user(Role.SUPERVISOR))

    page = client.get("/referrals/appeals").get_data(as_text=True)

    assert ticket.number in page and "退款没到账" in page
    assert 'data-department="D01"' in page


@pytest.mark.parametrize("query", ["start=yesterday", "start=2025-02-01&end=2025-01-01", "end=2025-13-01"])
def test_a_bad_period_is_a_400_with_the_page_saying_why(client, make_user, login, query):
    """Not a bare error page: the form with the dates as typed, why they were not used, and the
    last 30 days meanwhile."""
    login(make_user(Role.SUPERVISOR))

    response = client.get(f"/referrals/appeals?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="appeal-period"' in page and 'id="period-error"' in page and 'id="appeal-counts"' in page
    typed = dict(part.split("=") for part in query.split("&"))
    assert all(f'value="{value}"' in page for value in typed.values())


def test_operators_do_not_see_the_appeals_page(client, operator):
    assert client.get("/referrals/appeals").status_code == 403


def test_a_new_result_closes_the_open_appeal_and_meets_its_clock(resolved, make_user):
    from routing import desk

    staff = make_user(Role.DEPARTMENT)
    ticket = resolved()
    ticket.kind = "complaint"
    appeal = referrals.open_appeal(ticket, "voice", "退款没到账", None)
    tickets.change_status(ticket, TicketStatus.IN_PROGRESS, staff)
    desk.record_result(ticket, "mediated", {"outcome": "refund", "amount": "100"}, "已退款", staff)
    db.session.commit()
    assert appeal.closed_at is not None and appeal.outcome == "mediated"
    clock = db.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.APPEAL))
    assert clock.state == ClockState.MET


def test_an_appeal_word_texted_to_the_hotline_reopens_the_case(resolved, twilio_post):
    ticket = resolved(days_ago=2)
    response = twilio_post("/twilio/sms", {
        "MessageSid": "SM" + "a" * 32, "From": CALLER, "To": "+8610012315", "Body": "申诉 退款一直没到账",
    })
    assert response.status_code == 200
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED and ticket.reopen_count == 1
    assert ticket.contacts.count() == 1  # the text is on the reopened case, no new case opened
    bodies = [m.body for m in db.session.scalars(select(OutboxMessage))]
    assert any(ticket.number in b for b in bodies)
