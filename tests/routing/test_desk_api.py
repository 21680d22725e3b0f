"""The department desk's API twins (GET /api/v1/desk/tickets, take-up, return, steps, result) and
the appeal's (POST /api/v1/tickets/<n>/appeal): what the console does, through a bearer token,
every answer checked against the OpenAPI document."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline import accounts, tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Appeal,
    Clock,
    ClockKind,
    ClockState,
    OutboxMessage,
    Role,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import local_today, now
from tests.api.conftest import CheckedClient
from tests.hostile import refused_unchanged
from tests.routing.desk_helpers import add_department, put_on_desk

PHONE = "+8613912345678"


@pytest.fixture
def spec(app):
    from openapi_core import OpenAPI

    from hotline.api.openapi import document

    return OpenAPI.from_dict(document(app))


@pytest.fixture
def api_as(client, spec, make_user):
    """api_as(role, department=None) -> a checked client with a new user's bearer token (and the user)."""

    def make(role, department=None):
        user = make_user(role, department=department)
        plain, _token = accounts.create_token(user, "test")
        db.session.commit()
        checked = CheckedClient(client, spec, plain)
        checked.user = user
        return checked

    return make


@pytest.fixture
def clerk(api_as, dept):
    return api_as(Role.DEPARTMENT, dept)


@pytest.fixture
def case(create_ticket, dept):
    """case(status=FORWARDED, department=dept, **fields): a complaint on a department's desk; a
    taken-up complaint has its mediation clock running, as acceptance starts it."""

    def make(status=TicketStatus.FORWARDED, department=None, **fields):
        fields.setdefault("facts", "冰箱买回三天不制冷")
        fields.setdefault("respondent_name", "某某电器商行")
        fields.setdefault("complainant_phone", PHONE)
        ticket = put_on_desk(create_ticket(**fields), department or dept, status)
        if ticket.kind == TicketKind.COMPLAINT:
            clocks.start_clock(ticket, ClockKind.MEDIATION)
            db.session.commit()
        return ticket

    return make


def events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_).order_by(TicketEvent.id)
    ).all()


def texts_to(ticket):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()


def running(ticket, kind):
    return db.session.scalars(select(Clock).where(
        Clock.ticket_id == ticket.id, Clock.kind == kind, Clock.state == ClockState.RUNNING)).all()


def url(ticket, action):
    return f"/api/v1/desk/tickets/{ticket.number}/{action}"


# --- the list ---------------------------------------------------------------------------------


def test_the_desk_lists_the_departments_own_cases_tab_by_tab(clerk, case, dept, api_as):
    waiting = case(forward_instructions="请先核实购买凭证")
    working = case(TicketStatus.IN_PROGRESS)
    elsewhere = case(department=add_department("D02", "西城区市场监管所"))
    late = Clock(ticket=working, kind=ClockKind.NOTIFY_END, state=ClockState.RUNNING,
                 started_at=now() - timedelta(days=10), due_at=now() - timedelta(hours=1))
    db.session.add(late)
    db.session.commit()

    new = clerk.get("/api/v1/desk/tickets")
    assert new.status_code == 200
    body = new.json
    assert [item["number"] for item in body["items"]] == [waiting.number]
    assert body["counts"] == {"new": 1, "in_progress": 1, "due_soon": 0, "overdue": 1}
    assert body["department"] == {"code": "D01", "name": "东城区市场监管所"} and body["tab"] == "new"
    (item,) = body["items"]
    assert item["status"] == "forwarded" and item["forward_instructions"] == "请先核实购买凭证"
    assert item["next_deadline"]["kind"] == "mediation" and item["respondent_name"] == "某某电器商行"

    overdue = clerk.get("/api/v1/desk/tickets?tab=overdue").json
    assert [i["number"] for i in overdue["items"]] == [working.number]
    assert overdue["items"][0]["next_deadline"]["kind"] == "notify_end"
    # A department's token never sees another department's desk, whatever it asks.
    other = clerk.get("/api/v1/desk/tickets?department=D02").json
    assert elsewhere.number not in [i["number"] for i in other["items"]]

    supervisor = api_as(Role.SUPERVISOR)
    everything = supervisor.get("/api/v1/desk/tickets").json
    assert {i["number"] for i in everything["items"]} == {waiting.number, elsewhere.number}
    assert everything["department"] is None
    only_d02 = supervisor.get("/api/v1/desk/tickets?department=D02").json
    assert [i["number"] for i in only_d02["items"]] == [elsewhere.number]


def test_the_desk_list_shows_no_reporters_words(clerk, case):
    """An SMS summary is the caller's own words: a report's never reaches the department."""
    report = case(kind=TicketKind.REPORT, summary="我是王五，电话13911112222，举报超市", facts="某超市销售过期食品",
                  confidential=True)
    complaint = case(summary="冰箱坏了要退货")
    response = clerk.get("/api/v1/desk/tickets")
    shown = {i["number"]: i["summary"] for i in response.json["items"]}
    assert shown == {report.number: "某超市销售过期食品", complaint.number: "冰箱坏了要退货"}
    assert "王五" not in response.get_data(as_text=True) and "13911112222" not in response.get_data(as_text=True)


def test_the_desk_list_is_for_departments_and_supervisors_with_a_clear_refusal_of_bad_queries(clerk, api_as, client):
    assert api_as(Role.OPERATOR).get("/api/v1/desk/tickets").status_code == 403
    assert client.get("/api/v1/desk/tickets").status_code == 401
    for query, field in (("tab=late", "tab"), ("page=0", "page"), ("page=abc", "page"), ("page=" + "9" * 40, "page"),
                         ("page=١", "page")):
        response = clerk.get(f"/api/v1/desk/tickets?{query}")
        assert response.status_code == 422 and set(response.json["fields"]) == {field}, query
    for code in ("X" * 5000, "D01\x00", "NOPE"):
        unknown = api_as(Role.SUPERVISOR).get("/api/v1/desk/tickets", query_string={"department": code})
        assert unknown.status_code == 422 and set(unknown.json["fields"]) == {"department"}


# --- take up ----------------------------------------------------------------------------------


def test_taking_up_through_the_api_puts_the_case_in_progress(clerk, case):
    ticket = case()
    response = clerk.post(url(ticket, "take-up"))
    assert response.status_code == 200 and response.json["status"] == "in_progress"
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_PROGRESS
    last = events(ticket, "status")[-1]
    assert (last.from_value, last.to_value, last.actor_id) == ("forwarded", "in_progress", clerk.user.id)
    assert texts_to(ticket) == [] and len(running(ticket, ClockKind.MEDIATION)) == 1  # the console texts no one
    # Taken up already: a conflict, nothing changed; an empty object is the same as no body.
    again = refused_unchanged(clerk, url(ticket, "take-up"), {}, 409)
    assert "in_progress" in again.json["message"]


def test_only_the_holding_department_takes_a_case_up(clerk, case, api_as, client):
    ticket = case()
    elsewhere = case(department=add_department("D02", "西城区市场监管所"))
    refused_unchanged(clerk, url(elsewhere, "take-up"), {}, 404)  # another department's case does not exist for it
    refused_unchanged(clerk, "/api/v1/desk/tickets/20990101-00001/take-up", {}, 404)
    refused_unchanged(clerk, f"/api/v1/desk/tickets/{ticket.number}%00/take-up", {}, 404)
    refused_unchanged(clerk, "/api/v1/desk/tickets/" + "9" * 5000 + "/take-up", {}, 404)
    refused_unchanged(api_as(Role.SUPERVISOR), url(ticket, "take-up"), {}, 403)  # supervisors watch
    refused_unchanged(api_as(Role.OPERATOR), url(ticket, "take-up"), {}, 403)
    assert client.post(url(ticket, "take-up")).status_code == 401
    homeless = api_as(Role.DEPARTMENT)  # a department account without a department sees nothing
    refused_unchanged(homeless, url(ticket, "take-up"), {}, 404)
    refused_unchanged(clerk, url(ticket, "take-up"), "not json", 400)
    refused_unchanged(clerk, url(ticket, "take-up"), {"force": True}, 422, {"force"})
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED


# --- return -----------------------------------------------------------------------------------


def test_returning_through_the_api_sends_the_case_back_to_triage(clerk, case, dept):
    ticket = case(TicketStatus.IN_PROGRESS)
    start = now() - timedelta(seconds=1)
    response = clerk.post(url(ticket, "return"), json={"reason": "wrong_department", "explanation": " 属于西城区管辖 "})
    assert response.status_code == 200
    assert (response.json["status"], response.json["department"], response.json["return_count"]) == ("accepted", None, 1)
    db.session.refresh(ticket)
    assert (ticket.status, ticket.department_id, ticket.return_count) == (TicketStatus.ACCEPTED, None, 1)
    (returned,) = events(ticket, "returned")
    assert (returned.from_value, returned.to_value, returned.reason, returned.actor_id) == (
        str(dept.id), "wrong_department", "属于西城区管辖", clerk.user.id)
    (forward,) = running(ticket, ClockKind.FORWARD)  # the hotline owes a new forward, counted from the return
    assert forward.started_at >= start
    # It has left the department's desk.
    assert clerk.get("/api/v1/desk/tickets?tab=in_progress").json["items"] == []
    refused_unchanged(clerk, url(ticket, "take-up"), {}, 404)


@pytest.mark.parametrize(("body", "fields"), [
    ({"reason": "too_busy", "explanation": "人手不足"}, {"reason"}),
    ({"reason": "other"}, {"explanation"}),
    ({"reason": "other", "explanation": "   "}, {"explanation"}),
    ({"reason": "other", "explanation": "字" * 2001}, {"explanation"}),
    ({"reason": 3, "explanation": ["a"], "why": "x"}, {"reason", "explanation", "why"}),
    ({"reason": "x" * 100_000, "explanation": "ok"}, {"reason"}),
    ({"reason": "other", "explanation": "a\x00b"}, {"explanation"}),
])
def test_a_bad_return_is_refused_naming_the_field(clerk, case, body, fields):
    ticket = case()
    refused_unchanged(clerk, url(ticket, "return"), body, 422, fields)
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED and ticket.return_count == 0


def test_a_return_of_a_case_no_longer_on_the_desk_is_a_conflict(clerk, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    assert clerk.post(url(ticket, "result"), json={"result": "mediation_failed"}).status_code == 200
    refused_unchanged(clerk, url(ticket, "return"), {"reason": "other", "explanation": "退回"}, 409)
    refused_unchanged(clerk, url(ticket, "return"), "[1, 2]", 400)


# --- steps ------------------------------------------------------------------------------------


def test_a_step_recorded_through_the_api_is_in_the_history_with_its_day(app, clerk, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    today = local_today(app.config["HOTLINE_TIMEZONE"])
    response = clerk.post(url(ticket, "steps"), json={"kind": "business_contact", "date": today.isoformat(),
                                                      "text": "电话联系商家，同意三日内上门检测"})
    assert response.status_code == 201
    assert (response.json["kind"], response.json["date"]) == ("business_contact", today.isoformat())
    assert response.json["case"]["status"] == "in_progress"
    (step,) = events(ticket, "mediation_step")
    assert (step.to_value, step.data, step.actor_id) == (
        "电话联系商家，同意三日内上门检测", {"kind": "business_contact", "date": today.isoformat()}, clerk.user.id)
    assert step.id == response.json["id"] and texts_to(ticket) == []


@pytest.mark.parametrize(("body", "fields"), [
    ({"kind": "phone_call", "date": "2020-01-02", "text": "联系"}, {"kind"}),
    ({"kind": "mediation", "date": "2999-01-01", "text": "联系"}, {"date"}),
    ({"kind": "mediation", "date": "1900-01-01", "text": "联系"}, {"date"}),  # before it reached the department
    ({"kind": "mediation", "date": "2020-13-01", "text": "联系"}, {"date"}),
    ({"kind": "mediation", "date": "20200102", "text": "联系"}, {"date"}),
    ({"kind": "mediation", "date": 20200102, "text": "联系"}, {"date"}),
    ({"kind": "mediation", "date": "2020-01-02", "text": " "}, {"text"}),
    ({"kind": "mediation", "date": "2020-01-02", "text": "字" * 4001}, {"text"}),
    ({"kind": None, "text": {}, "on": "2020-01-02"}, {"kind", "text", "date", "on"}),
])
def test_a_bad_step_is_refused_naming_the_field(clerk, case, body, fields):
    ticket = case(TicketStatus.IN_PROGRESS)
    refused_unchanged(clerk, url(ticket, "steps"), body, 422, fields)


def test_a_refused_step_says_why_in_english(clerk, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    early = clerk.post(url(ticket, "steps"), json={"kind": "mediation", "date": "2001-01-01", "text": "联系"})
    assert "when the case came in, to today" in early.json["fields"]["date"]
    kind = clerk.post(url(ticket, "steps"), json={"kind": "gossip", "date": "2001-01-01", "text": "联系"})
    assert kind.json["fields"] == {"kind": "Choose what kind of step it was."}


def test_a_step_before_taking_up_is_a_conflict(clerk, case):
    ticket = case()
    response = refused_unchanged(clerk, url(ticket, "steps"), {"kind": "mediation", "date": "2020-01-02",
                                                              "text": "联系"}, 409)
    assert "forwarded" in response.json["message"]


# --- result -----------------------------------------------------------------------------------


def test_a_result_through_the_api_resolves_the_case_and_texts_the_complainant(clerk, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    response = clerk.post(url(ticket, "result"), json={"result": "mediated", "outcome": "refund", "amount": 200.5,
                                                       "note": "商家当场退款"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["result"]) == ("resolved", "mediated")
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED and ticket.result_detail == {"outcome": "refund", "amount": "200.50"}
    assert ticket.result_note == "商家当场退款"
    (result,) = events(ticket, "result")
    assert (result.to_value, result.actor_id) == ("mediated", clerk.user.id)
    (notice,) = texts_to(ticket)
    assert notice.to == PHONE and ticket.number in notice.body and "退款 200.50 元" in notice.body
    assert "商家当场退款" not in notice.body  # the note stays in the history
    assert running(ticket, ClockKind.MEDIATION) == [] and len(running(ticket, ClockKind.CALLBACK)) == 1
    assert response.json["next_deadline"] is None


def test_an_anonymous_cases_result_texts_nobody(clerk, case):
    ticket = case(TicketStatus.IN_PROGRESS, anonymous=True)
    response = clerk.post(url(ticket, "result"), json={"result": "terminated", "reason": "withdrawn"})
    assert response.status_code == 200 and response.json["result"] == "terminated"
    assert texts_to(ticket) == [] and running(ticket, ClockKind.CALLBACK) == []


@pytest.mark.parametrize(("body", "fields"), [
    ({"result": "case_opened"}, {"result"}),  # a report's result on a complaint
    ({"result": "won"}, {"result"}),
    ({"result": "mediated"}, {"outcome"}),
    ({"result": "mediated", "outcome": "cash"}, {"outcome"}),
    ({"result": "mediated", "outcome": "refund", "amount": -5}, {"amount"}),
    ({"result": "mediated", "outcome": "refund", "amount": "两百"}, {"amount"}),
    ({"result": "mediated", "outcome": "refund", "amount": 1e300}, {"amount"}),
    ({"result": "mediated", "outcome": "refund", "amount": True}, {"amount"}),
    ({"result": "terminated"}, {"reason"}),
    ({"result": "terminated", "reason": "other"}, {"note"}),
    ({"result": "mediated", "outcome": "refund", "note": "字" * 4001}, {"note"}),
    ({"result": ["mediated"], "detail": {}}, {"result", "detail"}),
])
def test_a_bad_result_is_refused_naming_the_field_and_texts_nobody(clerk, case, body, fields):
    ticket = case(TicketStatus.IN_PROGRESS)
    refused_unchanged(clerk, url(ticket, "result"), body, 422, fields)
    assert texts_to(ticket) == []


@pytest.mark.parametrize("raw", ['{"result": "mediated", "outcome": "refund", "amount": NaN}',
                                 '{"result": "mediated", "outcome": "refund", "amount": Infinity}',
                                 '{"result": "mediated", "outcome": "refund", "amount": 1e400}'])
def test_an_amount_json_cannot_hold_is_refused(clerk, case, raw):
    ticket = case(TicketStatus.IN_PROGRESS)
    refused_unchanged(clerk, url(ticket, "result"), raw, 422, {"amount"})


def test_a_result_before_taking_up_is_a_conflict(clerk, case):
    ticket = case()
    refused_unchanged(clerk, url(ticket, "result"), {"result": "mediation_failed"}, 409)
    assert texts_to(ticket) == []


# --- appeal -----------------------------------------------------------------------------------


@pytest.fixture
def resolved(case):
    def make(**fields):
        ticket = case(TicketStatus.IN_PROGRESS, **fields)
        tickets.change_status(ticket, TicketStatus.RESOLVED)
        ticket.resolved_at = now()
        db.session.commit()
        return ticket

    return make


def test_an_appeal_through_the_api_sends_the_case_back_to_its_department(api_as, resolved, dept, clerk):
    ticket = resolved()
    operator = api_as(Role.OPERATOR)
    response = operator.post(f"/api/v1/tickets/{ticket.number}/appeal",
                             json={"channel": "voice", "reason": "商家没有按约定退款"})
    assert response.status_code == 201
    assert response.json["appeal"]["target"] == "department" and response.json["case"]["status"] == "forwarded"
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED and ticket.reopen_count == 1
    (appeal,) = db.session.scalars(select(Appeal).where(Appeal.ticket_id == ticket.id)).all()
    assert (appeal.channel, appeal.reason, appeal.department_id, appeal.raised_by_id) == (
        "voice", "商家没有按约定退款", dept.id, operator.user.id)
    (opened,) = events(ticket, "appeal_opened")
    assert opened.to_value == "department" and opened.data["channel"] == "voice"
    assert len(running(ticket, ClockKind.APPEAL)) == 1 and texts_to(ticket) == []
    # Back on the department's desk, waiting to be taken up again.
    assert ticket.number in [i["number"] for i in clerk.get("/api/v1/desk/tickets").json["items"]]
    # Reopened already: a second appeal is a conflict.
    refused_unchanged(operator, f"/api/v1/tickets/{ticket.number}/appeal", {"channel": "voice", "reason": "再次"}, 409)


def test_an_appeal_to_the_supervisors_goes_back_to_triage(api_as, resolved):
    ticket = resolved()
    response = api_as(Role.SUPERVISOR).post(f"/api/v1/tickets/{ticket.number}/appeal",
                                            json={"channel": "callback", "reason": "不满意", "target": "supervisor"})
    assert response.status_code == 201 and response.json["case"]["status"] == "accepted"


@pytest.mark.parametrize(("body", "fields"), [
    ({"channel": "sms", "reason": "不满意"}, {"channel"}),  # only the caller's own text is an SMS appeal
    ({"channel": "fax", "reason": "不满意"}, {"channel"}),
    ({"channel": "voice"}, {"reason"}),
    ({"channel": "voice", "reason": "字" * 2001}, {"reason"}),
    ({"channel": "voice", "reason": "不满意", "target": "mayor"}, {"target"}),
    ({"channel": 1, "reason": None, "target": [], "urgent": True}, {"channel", "reason", "target", "urgent"}),
])
def test_a_bad_appeal_is_refused_naming_the_field(api_as, resolved, body, fields):
    ticket = resolved()
    refused_unchanged(api_as(Role.OPERATOR), f"/api/v1/tickets/{ticket.number}/appeal", body, 422, fields)


def test_appeals_are_recorded_by_the_hotline_only_and_only_for_a_result(api_as, resolved, case, clerk, client):
    ticket, open_case = resolved(), case()
    body = {"channel": "voice", "reason": "不满意"}
    refused_unchanged(clerk, f"/api/v1/tickets/{ticket.number}/appeal", body, 403)  # as the console: hotline staff
    operator = api_as(Role.OPERATOR)
    refused_unchanged(operator, f"/api/v1/tickets/{open_case.number}/appeal", body, 409)
    refused_unchanged(operator, "/api/v1/tickets/20990101-00001/appeal", body, 404)
    refused_unchanged(operator, f"/api/v1/tickets/{ticket.number}/appeal", "not json", 400)
    assert client.post(f"/api/v1/tickets/{ticket.number}/appeal", json=body).status_code == 401
    assert db.session.scalar(select(func.count(Appeal.id))) == 0


def test_the_document_lists_every_code_the_desk_and_appeal_take(spec, app):
    from hotline.api.openapi import document

    doc = document(app)
    schema = doc["paths"]["/desk/tickets/{number}/return"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["properties"]["reason"]["enum"] == ["wrong_department", "missing_information", "other"]
    result = doc["paths"]["/desk/tickets/{number}/result"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(result["responses"])
    assert json.dumps(doc["components"]["schemas"]["AppealOpened"]).count("supervisor") >= 1
