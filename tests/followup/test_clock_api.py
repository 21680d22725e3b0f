"""The API twins of the case page's time limits panel (followup/api.py): a case's clocks, and
pausing and resuming one with the console's roles, checks and service; every answer checked
against the OpenAPI document."""

import pytest
from sqlalchemy import select

from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import Clock, ClockKind, ClockState, Role, TicketEvent
from hotline.timeutil import clock_at
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.followup.test_views import rows

MEDIATION_DUE = "2025-11-29T23:59:59+08:00"  # 60 calendar days from 2025-09-30


@pytest.fixture
def case(calendar_2025, create_ticket, local):
    """case(department, kinds) -> (ticket, its clocks), the clocks started 2025-09-30 10:00 Beijing."""

    def make(department=None, kinds=(ClockKind.MEDIATION,)):
        with clock_at(local(2025, 9, 30, 10, 0)):
            ticket = create_ticket(department=department, facts="空调不制冷", respondent_name="某电器店")
            started = [clocks.start_clock(ticket, kind) for kind in kinds]
            db.session.commit()
        return ticket, started

    return make


@pytest.fixture
def supervisor_api(as_role):  # noqa: F811
    return as_role(Role.SUPERVISOR)


def pause(client, clock_id, body, **kwargs):
    return client.post(f"/api/v1/clocks/{clock_id}/pause", json=body, **kwargs)


def resume(client, clock_id, **kwargs):
    return client.post(f"/api/v1/clocks/{clock_id}/resume", **kwargs)


def clock_rows(client, ticket):
    """The case page's clock rows as the signed-in user sees them: {kind: state}."""
    page = client.client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    return {row["data-kind"]: row["data-state"] for row in rows(page, "clock")}


def history(ticket):
    """The case's clock lines: (type, field, reason, actor id)."""
    db.session.expire_all()
    return [(e.type, e.field, e.reason, e.actor_id) for e in db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type.like("clock_%"))
        .order_by(TicketEvent.id))]


def state_of(clock):
    db.session.expire_all()
    found = db.session.get(Clock, clock.id)
    return found.state, len(found.pauses), found.due_at


# ---- reading a case's clocks ---------------------------------------------------------------------


def test_the_clocks_read_as_the_case_page_lists_them(supervisor_api, case, login, make_user):
    ticket, [mediation, forward] = case(kinds=(ClockKind.MEDIATION, ClockKind.FORWARD))
    response = supervisor_api.get(f"/api/v1/tickets/{ticket.number}/clocks", headers={"Accept-Language": "zh"})
    assert response.status_code == 200 and response.headers["Content-Language"] == "zh"
    body = response.json
    assert body["number"] == ticket.number
    assert [(c["id"], c["kind"], c["kind_label"], c["state"], c["state_label"]) for c in body["items"]] == [
        (mediation.id, "mediation", "调解", "running", "进行中"),
        (forward.id, "forward", "转办承办部门", "running", "进行中")]
    first = body["items"][0]
    assert (first["due_at"], first["started_at"], first["pauses"], first["met_at"]) == (
        MEDIATION_DUE, "2025-09-30T10:00:00+08:00", [], None)
    assert first["may_change"] is True and isinstance(first["late"], bool) and first["estimated"] is False
    # A case not yet accepted: the deadline to decide, counted from receipt, as the panel shows it.
    pending = body["acceptance_pending"]
    assert (pending["kind"], pending["kind_label"], pending["due_at"]) == (
        "accept", "决定是否受理", "2025-10-16T23:59:59+08:00")
    english = supervisor_api.get(f"/api/v1/tickets/{ticket.number}/clocks", headers={"Accept-Language": "en"})
    assert english.headers["Content-Language"] == "en"
    assert [c["kind_label"] for c in english.json["items"]] == ["Mediation", "Forward to department"]
    login(make_user(Role.SUPERVISOR))
    assert clock_rows(supervisor_api, ticket) == {"accept": "pending", "mediation": "running", "forward": "running"}


def test_a_case_whose_accept_clock_runs_has_no_pending_deadline(supervisor_api, case):
    ticket, [accept] = case(kinds=(ClockKind.ACCEPT,))
    body = supervisor_api.get(f"/api/v1/tickets/{ticket.number}/clocks").json
    assert body["acceptance_pending"] is None and [c["id"] for c in body["items"]] == [accept.id]


def test_the_clocks_of_a_case_the_reader_may_not_see_are_404_as_the_case_is(as_role, case, make_department):  # noqa: F811
    mine, theirs = make_department("M01", "本所"), make_department("T01", "他所")
    ticket, _clocks = case(department=theirs)
    clerk = as_role(Role.DEPARTMENT, department=mine)
    refused = clerk.get(f"/api/v1/tickets/{ticket.number}/clocks")
    assert refused.status_code == 404
    assert refused.json["message"] == clerk.get(f"/api/v1/tickets/{ticket.number}").json["message"]
    assert as_role(Role.DEPARTMENT, department=theirs).get(f"/api/v1/tickets/{ticket.number}/clocks").status_code == 200
    assert clerk.get("/api/v1/tickets/20250101-99999/clocks").status_code == 404
    assert clerk.get("/api/v1/tickets/nonsense/clocks").status_code == 404


# ---- pause and resume ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_pause_then_resume_moves_the_clock_and_the_history_as_the_console(api, token_for, case, local, login,  # noqa: F811
                                                                           make_user, role):
    ticket, [clock] = case()
    user = make_user(role)
    client = api.as_(token_for(user))
    with clock_at(local(2025, 10, 8, 9, 0)):
        paused = pause(client, clock.id, {"reason": " 送检中 "}, headers={"Accept-Language": "en"})
    assert paused.status_code == 200, paused.json
    assert (paused.json["id"], paused.json["state"], paused.json["state_label"], paused.json["number"]) == (
        clock.id, "paused", "Paused", ticket.number)
    assert paused.json["pauses"] == [{"reason": "送检中", "paused_at": "2025-10-08T09:00:00+08:00",
                                      "resumed_at": None}]
    assert paused.json["due_at"] == MEDIATION_DUE  # a pause does not move the due day yet
    events = client.get(f"/api/v1/tickets/{ticket.number}").json["events"]
    assert [(e["type"], e["reason"], e["actor"]) for e in events if e["type"] == "clock_paused"] == [
        ("clock_paused", "送检中", user.username)]
    login(user)
    assert clock_rows(client, ticket)["mediation"] == "paused"
    listed = client.get(f"/api/v1/tickets/{ticket.number}/clocks").json["items"]
    assert [(c["state"], c["pauses"]) for c in listed] == [("paused", paused.json["pauses"])]

    with clock_at(local(2025, 10, 18, 9, 0)):
        resumed = resume(client, clock.id)
    assert resumed.status_code == 200, resumed.json
    assert resumed.json["state"] == "running"
    assert resumed.json["due_at"] == "2025-12-09T23:59:59+08:00"  # later by the ten calendar days paused
    assert resumed.json["pauses"][0]["resumed_at"] == "2025-10-18T09:00:00+08:00"
    assert history(ticket) == [("clock_started", "mediation", None, None),
                               ("clock_paused", "mediation", "送检中", user.id),
                               ("clock_resumed", "mediation", None, user.id)]
    assert clock_rows(client, ticket)["mediation"] == "running"


def test_the_api_writes_the_same_history_as_the_console(api, token_for, case, login, make_user, client):  # noqa: F811
    """One case paused and resumed from the case page, another through the API: the same lines."""
    by_page, [page_clock] = case()
    by_api, [api_clock] = case()
    operator = make_user(Role.OPERATOR)
    login(operator)
    assert client.post(f"/followup/clocks/{page_clock.id}/pause", data={"reason": "鉴定中"}).status_code == 302
    assert client.post(f"/followup/clocks/{page_clock.id}/resume").status_code == 302
    token_client = api.as_(token_for(operator))
    assert pause(token_client, api_clock.id, {"reason": "鉴定中"}).status_code == 200
    assert resume(token_client, api_clock.id).status_code == 200
    assert history(by_page) == history(by_api) == [
        ("clock_started", "mediation", None, None), ("clock_paused", "mediation", "鉴定中", operator.id),
        ("clock_resumed", "mediation", None, operator.id)]
    assert state_of(page_clock) == state_of(api_clock)


# ---- who may ----------------------------------------------------------------------------------------


def test_a_department_changes_its_own_cases_duties_only(as_role, case, make_department):  # noqa: F811
    """As the case page: its own case's mediation yes; the hotline's forward clock 403; another
    department's case 404, as if it did not exist."""
    mine, theirs = make_department("M01", "本所"), make_department("T01", "他所")
    own_case, [mediation, forward] = case(department=mine, kinds=(ClockKind.MEDIATION, ClockKind.FORWARD))
    _other_case, [elsewhere] = case(department=theirs)
    clerk = as_role(Role.DEPARTMENT, department=mine)
    listed = clerk.get(f"/api/v1/tickets/{own_case.number}/clocks").json["items"]
    assert {c["kind"]: c["may_change"] for c in listed} == {"mediation": True, "forward": False}

    assert pause(clerk, mediation.id, {"reason": "商品送检"}).status_code == 200
    assert resume(clerk, mediation.id).status_code == 200
    refused = pause(clerk, forward.id, {"reason": "商品送检"})
    assert refused.status_code == 403 and "mediation" in refused.json["message"]
    hidden = pause(clerk, elsewhere.id, {"reason": "商品送检"})
    assert hidden.status_code == 404 and hidden.json["message"] == "no such clock, or not one you may see"
    assert resume(clerk, elsewhere.id).status_code == 404
    assert state_of(forward)[:2] == state_of(elsewhere)[:2] == (ClockState.RUNNING, 0)


def test_a_department_may_not_resume_the_hotlines_clock_the_hotline_paused(as_role, case, make_department):  # noqa: F811
    mine = make_department("M01", "本所")
    _ticket, [forward] = case(department=mine, kinds=(ClockKind.FORWARD,))
    assert pause(as_role(Role.OPERATOR), forward.id, {"reason": "待补充材料"}).status_code == 200
    assert resume(as_role(Role.DEPARTMENT, department=mine), forward.id).status_code == 403
    assert state_of(forward)[0] == ClockState.PAUSED


def test_an_admin_token_is_403_and_no_token_401(as_role, api, case):  # noqa: F811
    ticket, [clock] = case()
    admin = as_role(Role.ADMIN)
    assert admin.get(f"/api/v1/tickets/{ticket.number}/clocks").status_code == 403
    assert pause(admin, clock.id, {"reason": "x"}).status_code == 403
    assert resume(admin, clock.id).status_code == 403
    assert pause(api, clock.id, {"reason": "x"}).status_code == 401
    assert api.get(f"/api/v1/tickets/{ticket.number}/clocks").status_code == 401
    assert state_of(clock)[:2] == (ClockState.RUNNING, 0)


@pytest.mark.parametrize("clock_id", ["999999", "0", "abc", "1.0", "99999999999999999999999", "１"])
def test_an_unknown_clock_is_404(supervisor_api, case, clock_id):
    case()
    assert pause(supervisor_api, clock_id, {"reason": "x"}).status_code == 404
    assert resume(supervisor_api, clock_id).status_code == 404


# ---- refusals ------------------------------------------------------------------------------------


def test_a_second_pause_is_409_and_changes_nothing(supervisor_api, case):
    ticket, [clock] = case()
    assert pause(supervisor_api, clock.id, {"reason": "送检中"}).status_code == 200
    before = state_of(clock), history(ticket)
    again = pause(supervisor_api, clock.id, {"reason": "又送检"})
    assert again.status_code == 409 and "paused" in again.json["message"]
    assert (state_of(clock), history(ticket)) == before


def test_resuming_a_running_clock_or_pausing_a_met_one_is_409(supervisor_api, case):
    ticket, [clock] = case()
    running = resume(supervisor_api, clock.id)
    assert running.status_code == 409 and "running" in running.json["message"]
    clocks.stop_clock(ticket, ClockKind.MEDIATION)
    db.session.commit()
    met = pause(supervisor_api, clock.id, {"reason": "送检中"})
    assert met.status_code == 409 and "met" in met.json["message"]
    assert state_of(clock)[:2] == (ClockState.MET, 0)


@pytest.mark.parametrize("body, fields", [
    ({}, {"reason"}), ({"reason": ""}, {"reason"}), ({"reason": "   "}, {"reason"}), ({"reason": None}, {"reason"}),
    ({"reason": 5}, {"reason"}), ({"reason": ["送检"]}, {"reason"}), ({"reason": "送\x00检"}, {"reason"}),
    ({"reason": "长" * (clocks.MAX_PAUSE_REASON + 1)}, {"reason"}),
    ({"reason": "送检", "until": "2025-10-20"}, {"until"}), ({"reason": 1, "state": "paused"}, {"reason", "state"}),
])
def test_a_bad_pause_is_422_naming_every_field_and_changes_nothing(supervisor_api, case, body, fields):
    ticket, [clock] = case()
    response = pause(supervisor_api, clock.id, body)
    assert response.status_code == 422
    assert set(response.json["fields"]) == fields
    assert state_of(clock)[:2] == (ClockState.RUNNING, 0) and len(history(ticket)) == 1


def test_the_longest_reason_the_case_page_takes_is_taken(supervisor_api, case):
    _ticket, [clock] = case()
    response = pause(supervisor_api, clock.id, {"reason": "长" * clocks.MAX_PAUSE_REASON})
    assert response.status_code == 200
    assert len(response.json["pauses"][0]["reason"]) == clocks.MAX_PAUSE_REASON


def test_a_resume_takes_no_field(supervisor_api, case):
    _ticket, [clock] = case()
    assert pause(supervisor_api, clock.id, {"reason": "送检中"}).status_code == 200
    refused = resume(supervisor_api, clock.id, json={"reason": "检毕"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"reason"}
    assert resume(supervisor_api, clock.id, json={}).status_code == 200


@pytest.mark.parametrize("raw", ["", "reason=x", "[]", "null", '"送检"', "{" * 10_000, b'{"reason": "\xff"}'])
def test_a_pause_body_that_is_not_a_json_object_is_400(supervisor_api, case, raw):
    _ticket, [clock] = case()
    response = supervisor_api.post(f"/api/v1/clocks/{clock.id}/pause", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert state_of(clock)[:2] == (ClockState.RUNNING, 0)


@pytest.mark.parametrize("raw", ["[]", "null", "resume", b"\xff"])
def test_a_resume_body_that_is_not_a_json_object_is_400(supervisor_api, case, raw):
    _ticket, [clock] = case()
    assert pause(supervisor_api, clock.id, {"reason": "送检中"}).status_code == 200
    response = supervisor_api.post(f"/api/v1/clocks/{clock.id}/resume", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert state_of(clock)[0] == ClockState.PAUSED
