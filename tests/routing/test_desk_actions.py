"""Desk actions: take up, return to triage, mediation steps; who may open which case."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from followup.views import case_clocks
from hotline import accounts
from hotline.extensions import db
from hotline.models import AuditLog, ClockKind, ClockState, Role, TicketEvent, TicketKind, TicketStatus
from hotline.timeutil import now
from routing import desk
from tests.routing.desk_helpers import add_department, came_in_days_ago, put_on_desk, texts


@pytest.fixture
def case(create_ticket, dept):
    def make(status=TicketStatus.FORWARDED, department=None, **fields):
        fields.setdefault("facts", "冰箱买回三天不制冷")
        fields.setdefault("demand", "退货退款")
        fields.setdefault("respondent_name", "某某电器商行")
        return put_on_desk(create_ticket(**fields), department or dept, status)

    return make


def events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_).order_by(TicketEvent.id)
    ).all()


def test_taking_up_a_forwarded_case_puts_it_in_progress(client, staff, case):
    ticket = case()
    response = client.post(f"/desk/tickets/{ticket.number}/take-up")
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_PROGRESS
    last = events(ticket, "status")[-1]
    assert (last.from_value, last.to_value, last.actor_id) == ("forwarded", "in_progress", staff.id)


def test_taking_up_twice_is_refused_without_change(client, staff, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    before = len(events(ticket, "status"))
    assert client.post(f"/desk/tickets/{ticket.number}/take-up").status_code == 409
    assert len(events(ticket, "status")) == before


def test_returning_a_case_sends_it_back_to_triage_and_counts_it(client, staff, case, dept):
    ticket = case()
    start = now() - timedelta(minutes=1)
    response = client.post(
        f"/desk/tickets/{ticket.number}/return", data={"reason": "wrong_department", "text": "属于西城区管辖"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/desk")
    db.session.refresh(ticket)
    assert (ticket.status, ticket.department_id, ticket.return_count) == (TicketStatus.ACCEPTED, None, 1)
    (returned,) = events(ticket, "returned")
    assert (returned.to_value, returned.reason, returned.actor_id) == ("wrong_department", "属于西城区管辖", staff.id)
    assert desk.return_counts(start, now() + timedelta(minutes=1)) == {dept.id: 1}
    assert desk.return_counts(start - timedelta(days=2), start) == {}
    # Once returned, the case is no longer the department's to open.
    assert client.get(f"/desk/tickets/{ticket.number}").status_code == 404
    # ...and the hotline owes a new forward, its clock counted from the return.
    (forward,) = [c for c in case_clocks(ticket) if c.kind == ClockKind.FORWARD and c.state == ClockState.RUNNING]
    assert forward.started_at >= start


def test_a_return_needs_an_explanation(client, staff, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    response = client.post(f"/desk/tickets/{ticket.number}/return", data={"reason": "other", "text": "  "})
    assert response.status_code == 400
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.return_count == 0


def test_mediation_steps_are_recorded_with_their_date(client, staff, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    yesterday = came_in_days_ago(ticket, 3)
    response = client.post(
        f"/desk/tickets/{ticket.number}/steps",
        data={"kind": "business_contact", "on": yesterday, "text": "电话联系商家，同意三日内答复"},
    )
    assert response.status_code == 302
    (step,) = events(ticket, "mediation_step")
    assert step.to_value == "电话联系商家，同意三日内答复"
    assert step.data == {"kind": "business_contact", "date": yesterday}
    page = client.get(f"/desk/tickets/{ticket.number}")
    assert "电话联系商家" in texts(page, "desk-step")[0]


@pytest.mark.parametrize(
    ("status", "data"),
    [
        (TicketStatus.IN_PROGRESS, {"kind": "mediation", "on": "2999-01-01", "text": "future"}),
        (TicketStatus.IN_PROGRESS, {"kind": "mediation", "on": "not a date", "text": "x"}),
        (TicketStatus.IN_PROGRESS, {"kind": "gossip", "on": "2024-01-01", "text": "x"}),
        (TicketStatus.IN_PROGRESS, {"kind": "mediation", "on": "1900-01-01", "text": "before the case came in"}),
        (TicketStatus.FORWARDED, {"kind": "mediation", "on": "2024-01-01", "text": "not taken up"}),
    ],
)
def test_a_bad_step_is_refused(client, staff, case, status, data):
    ticket = case(status)
    assert client.post(f"/desk/tickets/{ticket.number}/steps", data=data).status_code == 400
    assert events(ticket, "mediation_step") == []


def test_the_case_page_shows_what_mediation_needs_with_a_masked_phone(client, staff, case):
    ticket = case(phone="+8613912345678", complainant_name="王小明", complainant_phone="+8613912345678")
    page = client.get(f"/desk/tickets/{ticket.number}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "冰箱买回三天不制冷" in body and "退货退款" in body and "某某电器商行" in body
    assert texts(page, "complainant-phone") == ["139****5678"]
    assert "13912345678" not in body
    assert "王小明" in body
    assert 'id="evidence"' in body  # the evidence list, when the intake partial is there


def test_revealing_the_number_goes_through_the_console_audit(client, staff, case):
    ticket = case(phone="+8613912345678")
    response = client.post(f"/tickets/{ticket.number}/reveal-phone")
    assert response.status_code == 200 and "+8613912345678" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "reveal_phone")).user_id == staff.id


def test_a_reporters_identity_never_reaches_the_department(client, staff, case):
    ticket = case(kind=TicketKind.REPORT, phone="+8613912345678", complainant_name="举报人李四",
                  complainant_phone="+8613912345678", facts="无证经营")
    body = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert "无证经营" in body
    assert "举报人李四" not in body and "5678" not in body
    assert 'id="identity-withheld"' in body


def test_another_departments_case_is_not_found_by_url(client, staff, case):
    theirs = case(department=add_department("D02"))
    assert client.get(f"/desk/tickets/{theirs.number}").status_code == 404
    for action in ("take-up", "return", "steps", "result"):
        assert client.post(f"/desk/tickets/{theirs.number}/{action}").status_code == 404
    assert client.get("/desk/tickets/20990101-00001").status_code == 404


def test_another_departments_case_is_not_found_through_the_api(client, make_user, case, dept):
    ours, theirs = case(), case(department=add_department("D02"))
    token, _ = accounts.create_token(make_user(role=Role.DEPARTMENT, department=dept), "desk")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/tickets/{ours.number}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/tickets/{theirs.number}", headers=headers).status_code == 404


def test_a_supervisor_views_any_case_but_does_not_act(client, make_user, login, case):
    theirs = case(department=add_department("D02"), complainant_name="王小明")
    login(make_user(role=Role.SUPERVISOR))
    page = client.get(f"/desk/tickets/{theirs.number}")
    assert page.status_code == 200 and "王小明" in page.get_data(as_text=True)
    assert 'id="take-up"' not in page.get_data(as_text=True)
    assert client.post(f"/desk/tickets/{theirs.number}/take-up").status_code == 403


@pytest.mark.parametrize("typed", ["2026-02-30", "9999-99-99", "下周一"])
def test_a_step_date_that_is_no_date_says_so_not_that_it_is_missing(client, staff, case, typed):
    ticket = case(TicketStatus.IN_PROGRESS)
    response = client.post(f"/desk/tickets/{ticket.number}/steps",
                           data={"kind": "mediation", "on": typed, "text": "电话联系商家"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请按“年-月-日”填写日期" in page and "必填" not in page
    assert "电话联系商家" in page  # what was typed is still there
    assert events(ticket, "mediation_step") == []
