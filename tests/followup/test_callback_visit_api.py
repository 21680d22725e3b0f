"""The API twin of the callback list and the visit page's outcome form (followup/api.py): the
same roles and service as the console, every answer checked against the OpenAPI document."""

import pytest
from sqlalchemy import select

from followup import callback_visits
from hotline import tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Clock,
    ClockKind,
    ClockState,
    FollowUp,
    FollowUpStatus,
    Role,
    TicketEvent,
    TicketStatus,
)
from hotline.timeutil import clock_at
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)


@pytest.fixture
def handled(calendar_2025, create_ticket, local):
    """handled(at) -> a complaint whose result was recorded at a local moment, its callback clock running."""

    def make(at=(2025, 9, 30, 15, 0)):
        with clock_at(local(*at)):
            ticket = create_ticket(phone="+8613800138000", facts="空调不制冷")
            for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS,
                           TicketStatus.RESOLVED):
                tickets.change_status(ticket, status)
            clocks.start_clock(ticket, ClockKind.CALLBACK)  # as routing's record_result does
            db.session.commit()
        return ticket

    return make


@pytest.fixture
def operator_api(as_role):  # noqa: F811
    return as_role(Role.OPERATOR)


def visit_of(ticket):
    db.session.expire_all()
    return db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id))


def event_types(ticket):
    db.session.expire_all()
    return [e.type for e in db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                                .order_by(TicketEvent.id))]


def callback_clock(ticket):
    return db.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.CALLBACK))


def record(client, visit_id, body, **kwargs):
    return client.post(f"/api/v1/callback-visits/{visit_id}/outcome", json=body, **kwargs)


# ---- the list of visits due --------------------------------------------------------------------


def test_the_list_holds_the_visits_due_by_the_moment_asked(operator_api, handled, local):
    due_saturday = visit_of(handled())  # due 3 working days later: Saturday 2025-10-11 15:00 (calendar 2025)
    with clock_at(local(2025, 10, 11, 16, 0)):
        now_list = operator_api.get("/api/v1/callback-visits").json
    assert [v["id"] for v in now_list["items"]] == [due_saturday.id]
    item = now_list["items"][0]
    assert (item["status"], item["case_status"], item["attempts"], item["outcome"]) == (
        "scheduled", "resolved", 0, None)
    assert item["due_at"].startswith("2025-10-11T15:00") and "phone" not in str(item)
    with clock_at(local(2025, 10, 11, 9, 0)):
        assert operator_api.get("/api/v1/callback-visits").json["items"] == []
    assert operator_api.get("/api/v1/callback-visits", query_string={"due": "2025-10-10"}).json["items"] == []
    whole_day = operator_api.get("/api/v1/callback-visits", query_string={"due": "2025-10-11"}).json
    assert [v["id"] for v in whole_day["items"]] == [due_saturday.id] and whole_day["more"] is False
    exact = operator_api.get("/api/v1/callback-visits", query_string={"due": "2025-10-11T07:00:00Z"}).json
    assert [v["id"] for v in exact["items"]] == [due_saturday.id]  # 15:00 in Beijing


@pytest.mark.parametrize("query", [{"due": "tomorrow"}, {"due": "2025-02-30"}, {"due": "99999-01-01"},
                                   {"due": "2025-10-11", "status": "done"}, {"due": "２０２５-10-11"}])
def test_a_bad_list_query_is_422_naming_it(operator_api, handled, query):
    response = operator_api.get("/api/v1/callback-visits", query_string=query)
    assert response.status_code == 422
    assert set(response.json["fields"]) <= set(query) and response.json["fields"]


# ---- recording the outcome ---------------------------------------------------------------------


def test_satisfied_closes_the_visit_the_clock_and_the_case_as_the_visit_page_does(operator_api, handled, local):
    ticket = handled()
    visit = visit_of(ticket)
    with clock_at(local(2025, 10, 11, 15, 10)):
        response = record(operator_api, visit.id, {"outcome": "satisfied", "note": " 已退款 "})
    assert response.status_code == 200
    assert (response.json["status"], response.json["outcome"], response.json["note"],
            response.json["attempts"], response.json["case_status"]) == ("done", "satisfied", "已退款", 1, "closed")
    visit = visit_of(ticket)
    assert (visit.status, visit.outcome, visit.attempts) == (FollowUpStatus.DONE, "satisfied", 1)
    assert callback_clock(ticket).state == ClockState.MET
    assert callback_clock(ticket).met_at == local(2025, 10, 11, 15, 10)
    history = operator_api.get(f"/api/v1/tickets/{ticket.number}").json
    assert history["status"] == "closed"
    attempt = [e for e in history["events"] if e["type"] == "callback_attempt"]
    assert [(e["to"], e["reason"]) for e in attempt] == [("satisfied", "已退款")]
    assert {"callback_attempt", "callback_done", "status"} <= set(event_types(ticket))


def test_unsatisfied_keeps_the_case_resolved_for_the_appeal(operator_api, handled):
    ticket = handled()
    response = record(operator_api, visit_of(ticket).id, {"outcome": "unsatisfied", "note": "只退了一半"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["case_status"]) == ("done", "resolved")


def test_not_reached_moves_the_next_try_off_the_list_then_unreachable(operator_api, handled, local, app):
    ticket = handled()
    visit = visit_of(ticket)
    with clock_at(local(2025, 10, 11, 15, 10)):
        first = record(operator_api, visit.id, {"outcome": "not_reached"})
        assert first.status_code == 200
        assert (first.json["status"], first.json["attempts"], first.json["case_status"]) == (
            "scheduled", 1, "resolved")
        assert first.json["due_at"] > "2025-10-12"  # the next working day
        assert operator_api.get("/api/v1/callback-visits").json["items"] == []  # not due again yet
    assert "callback_rescheduled" in event_types(ticket)
    for _ in range(app.config["CALLBACK_MAX_TRIES"] - 1):
        last = record(operator_api, visit.id, {"outcome": "not_reached"})
    assert last.json["status"] == "unreachable"
    assert callback_clock(ticket).state == ClockState.MET


def test_a_visit_already_recorded_is_409_and_unchanged(operator_api, handled):
    ticket = handled()
    visit_id = visit_of(ticket).id
    assert record(operator_api, visit_id, {"outcome": "unsatisfied"}).status_code == 200
    before = event_types(ticket)
    again = record(operator_api, visit_id, {"outcome": "satisfied"})
    assert again.status_code == 409 and "closed" in again.json["message"]
    visit = visit_of(ticket)
    assert (visit.outcome, visit.attempts, visit.ticket.status) == ("unsatisfied", 1, TicketStatus.RESOLVED)
    assert event_types(ticket) == before


def test_a_visit_not_yet_due_is_recorded_as_the_visit_page_records_it(operator_api, handled, local):
    """The visit page takes an outcome whenever the visit is scheduled (a complainant may call
    first); the API keeps the same rule rather than a second one."""
    ticket = handled()
    with clock_at(local(2025, 10, 2, 10, 0)):  # due 10-11
        response = record(operator_api, visit_of(ticket).id, {"outcome": "satisfied"})
    assert response.status_code == 200 and response.json["case_status"] == "closed"


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_only_operators_and_supervisors_work_callback_visits(as_role, handled, make_department, role):  # noqa: F811
    visit = visit_of(handled())
    client = as_role(role, department=make_department() if role == Role.DEPARTMENT else None)
    assert client.get("/api/v1/callback-visits").status_code == 403
    assert record(client, visit.id, {"outcome": "satisfied"}).status_code == 403
    assert visit_of(visit.ticket).attempts == 0


def test_a_supervisor_may_record_and_no_token_may_not(as_role, api, handled):  # noqa: F811
    visit = visit_of(handled())
    assert record(api, visit.id, {"outcome": "satisfied"}).status_code == 401
    assert api.get("/api/v1/callback-visits").status_code == 401
    assert record(as_role(Role.SUPERVISOR), visit.id, {"outcome": "satisfied"}).status_code == 200


@pytest.mark.parametrize("body, fields", [
    ({}, {"outcome"}), ({"outcome": "maybe"}, {"outcome"}), ({"outcome": 1}, {"outcome"}),
    ({"outcome": None}, {"outcome"}), ({"outcome": ["satisfied"]}, {"outcome"}),
    ({"outcome": "SATISFIED"}, {"outcome"}),
    ({"outcome": "satisfied", "note": 5}, {"note"}), ({"outcome": "satisfied", "note": "x\x00"}, {"note"}),
    ({"outcome": "satisfied", "note": "长" * 2001}, {"note"}),
    ({"outcome": "satisfied", "status": "done"}, {"status"}),
    ({"outcome": "nope", "note": {}, "extra": 1}, {"outcome", "note", "extra"}),
])
def test_a_bad_outcome_is_422_naming_every_field_and_changes_nothing(operator_api, handled, body, fields):
    ticket = handled()
    before = event_types(ticket)
    response = record(operator_api, visit_of(ticket).id, body)
    assert response.status_code == 422
    assert set(response.json["fields"]) == fields
    assert visit_of(ticket).attempts == 0 and event_types(ticket) == before


@pytest.mark.parametrize("raw", ["", "outcome=satisfied", "[]", "null", "{" * 10_000, b'{"outcome": "\xff"}'])
def test_an_outcome_body_that_is_not_a_json_object_is_400(operator_api, handled, raw):
    ticket = handled()
    response = operator_api.post(f"/api/v1/callback-visits/{visit_of(ticket).id}/outcome", data=raw,
                                 content_type="application/json")
    assert response.status_code == 400
    assert visit_of(ticket).attempts == 0


@pytest.mark.parametrize("visit_id", ["999999", "0", "abc", "1.0", "99999999999999999999999", "１"])
def test_an_unknown_visit_is_404(operator_api, handled, visit_id):
    handled()
    assert record(operator_api, visit_id, {"outcome": "satisfied"}).status_code == 404


def test_the_longest_note_the_visit_page_takes_is_taken(operator_api, handled):
    ticket = handled()
    response = record(operator_api, visit_of(ticket).id, {"outcome": "unsatisfied",
                                                          "note": "长" * callback_visits.MAX_NOTE})
    assert response.status_code == 200 and len(response.json["note"]) == callback_visits.MAX_NOTE


# ---- the visit's call and the voice survey (the visit page's two call buttons) -----------------

OPERATOR_PHONE = "+8613911112222"


@pytest.fixture
def caller_api(api, make_user, token_for):  # noqa: F811
    """An operator whose account has a phone: the visit's call rings it when the complainant answers."""
    user = make_user(Role.OPERATOR, phone=OPERATOR_PHONE)
    return user, api.as_(token_for(user))


def outbound_calls(ticket):
    from hotline.models import Contact, Direction

    db.session.expire_all()
    return db.session.scalars(select(Contact).where(Contact.ticket_id == ticket.id,
                                                    Contact.direction == Direction.OUTBOUND)).all()


def test_the_call_rings_the_complainant_then_the_token_users_phone(caller_api, handled, app):
    from hotline.telephony.callcontrol import SandboxCallControl

    user, client = caller_api
    ticket = handled()
    visit = visit_of(ticket)

    response = client.post(f"/api/v1/callback-visits/{visit.id}/call")

    assert response.status_code == 200, response.json
    [contact] = outbound_calls(ticket)
    assert response.json["call"]["sid"] == contact.sid and response.json["status"] == "scheduled"
    assert contact.to_number == "+8613800138000" and "+8613800138000" not in response.get_data(as_text=True)
    placed = SandboxCallControl.performed[-1]
    assert placed["call"] == contact.sid
    assert placed["create"]["url"] == f"http://hotline.test/twilio/callbacks/{contact.id}/connect"
    [attempt] = visit_of(ticket).attempts_made
    assert (attempt.user_id, attempt.contact_id, attempt.outcome) == (user.id, contact.id, None)
    assert "callback_call" in event_types(ticket)
    # The outcome of this try, recorded next through the outcome twin, lands on this call.
    assert record(client, visit.id, {"outcome": "not_reached"}).status_code == 200
    assert [(a.contact_id, a.outcome) for a in visit_of(ticket).attempts_made] == [(contact.id, "not_reached")]


def test_the_call_needs_the_token_users_phone_and_records_nothing_without_it(operator_api, handled):
    ticket = handled()
    response = operator_api.post(f"/api/v1/callback-visits/{visit_of(ticket).id}/call", json={})
    assert response.status_code == 409 and "no phone number" in response.json["message"]
    assert outbound_calls(ticket) == [] and visit_of(ticket).attempts_made == []


def test_a_closed_visit_is_not_called_and_an_unknown_one_is_404(caller_api, handled):
    _user, client = caller_api
    ticket = handled()
    visit = visit_of(ticket)
    assert record(client, visit.id, {"outcome": "satisfied"}).status_code == 200
    response = client.post(f"/api/v1/callback-visits/{visit.id}/call")
    assert response.status_code == 409 and outbound_calls(ticket) == []
    assert client.post("/api/v1/callback-visits/99999/call").status_code == 404
    assert client.post("/api/v1/callback-visits/99999/survey").status_code == 404
    assert client.post(f"/api/v1/callback-visits/{visit.id}/call", json={"to": "+8613000000000"}).status_code == 422


def test_a_department_user_may_not_call(as_role, handled):  # noqa: F811
    from hotline.models import Department

    department = Department(code="D9", name="某所")
    db.session.add(department)
    db.session.commit()
    visit = visit_of(handled())
    assert as_role(Role.DEPARTMENT, department=department).post(
        f"/api/v1/callback-visits/{visit.id}/call").status_code == 403


def test_when_twilio_refuses_the_call_nothing_is_recorded(caller_api, handled, monkeypatch):
    from followup import api as followup_api
    from hotline.telephony.callcontrol import CallControlError

    class Refusing:
        def place_call(self, *args, **kwargs):
            raise CallControlError("21215: not allowed")

    monkeypatch.setattr(followup_api, "call_control", lambda config: Refusing())
    _user, client = caller_api
    ticket = handled()
    response = client.post(f"/api/v1/callback-visits/{visit_of(ticket).id}/call")
    assert response.status_code == 502
    assert outbound_calls(ticket) == [] and visit_of(ticket).attempts_made == []


def test_the_survey_takes_the_live_call_and_without_one_is_409(caller_api, handled):
    from hotline.telephony.callcontrol import SandboxCallControl
    from hotline.timeutil import now

    _user, client = caller_api
    ticket = handled()
    visit = visit_of(ticket)
    refused = client.post(f"/api/v1/callback-visits/{visit.id}/survey")
    assert refused.status_code == 409 and refused.json["message"] == "no live call to hand over"

    client.post(f"/api/v1/callback-visits/{visit.id}/call")
    assert record(client, visit.id, {"outcome": "satisfied"}).status_code == 200
    [contact] = outbound_calls(ticket)
    response = client.post(f"/api/v1/callback-visits/{visit.id}/survey", json={})
    assert response.status_code == 200 and response.json["call"]["sid"] == contact.sid
    assert SandboxCallControl.performed[-1] == {
        "call": contact.sid,
        "update": {"url": f"http://hotline.test/twilio/callbacks/{contact.id}/survey", "method": "POST"}}
    assert "callback_voice_survey" in event_types(ticket)

    contact.ended_at = now()  # the complainant hung up: nothing left to hand over
    db.session.commit()
    assert client.post(f"/api/v1/callback-visits/{visit.id}/survey").status_code == 409
