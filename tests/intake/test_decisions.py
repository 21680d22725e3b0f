"""Accepting a complaint or report, or not (不予受理): status, events, notice SMS, clocks, routing."""

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from hotline import outbox
from hotline.extensions import db
from hotline.models import (
    Category,
    Clock,
    ClockKind,
    ClockState,
    OutboxMessage,
    OutboxStatus,
    RejectGround,
    Role,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.seeds import seed_categories
from hotline.tickets import find_or_create_caller
from intake import decisions, texts

CALLING = "+8613800138000"
COMPLAINT = dict(
    complainant_name="张三", complainant_phone="+8613900139000", complainant_address="北京市朝阳区某路1号",
    respondent_name="某某电器商行", respondent_address="北京市海淀区某街2号",
    facts="购买的冰箱三天后不制冷，商家拒绝退货。", demand="退货退款",
)


class Recorder:
    """Stand-in for hotline.deadlines.clocks and routing.services: records what acceptance asks of them."""

    def __init__(self):
        self.calls = []

    def start_clock(self, ticket, kind, start=None, actor=None):
        self.calls.append(("start", ClockKind(kind), start is not None))

    def stop_clock(self, ticket, kind, at=None, actor=None):
        self.calls.append(("stop", ClockKind(kind), at is not None))

    def route_accepted(self, ticket, actor):
        self.calls.append(("route", ticket.number, actor.id))


@pytest.fixture
def seams(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(decisions, "clocks", recorder)
    monkeypatch.setattr(decisions, "routing_services", recorder)
    return recorder


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR)
    user.locale = "en"
    db.session.commit()
    login(user)
    return user


@pytest.fixture
def complaint(create_ticket):
    return create_ticket(phone=CALLING, **COMPLAINT)


def accept(client, ticket):
    return client.post(f"/intake/tickets/{ticket.number}/accept", follow_redirects=True)


def reject(client, ticket, ground="out_of_scope", reason="不属于本局辖区，请向属地市场监管部门投诉。"):
    return client.post(f"/intake/tickets/{ticket.number}/reject",
                       data={"ground": ground, "reason": reason}, follow_redirects=True)


def fresh(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def notices():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def events(ticket, type_=None):
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    if type_:
        query = query.where(TicketEvent.type == type_)
    return db.session.scalars(query).all()


def test_a_complete_complaint_is_accepted_told_clocked_and_routed(client, operator, complaint, seams):
    page = accept(client, complaint).get_data(as_text=True)

    assert "Case accepted. No routing rule matched: it waits on the triage list for a department." in page
    ticket = fresh(complaint)
    assert ticket.status == TicketStatus.ACCEPTED and ticket.accepted_at is not None
    (status,) = events(ticket, "status")
    assert (status.from_value, status.to_value, status.actor_id) == ("new", "accepted", operator.id)
    (message,) = notices()
    assert (message.to, message.purpose, message.legal) == (COMPLAINT["complainant_phone"], "accept_notice", True)
    assert ticket.number in message.body and "受理" in message.body
    (notice,) = events(ticket, "notice")
    assert notice.data["outbox_id"] == message.id
    assert seams.calls == [
        ("stop", ClockKind.ACCEPT, True), ("start", ClockKind.FORWARD, True), ("start", ClockKind.MEDIATION, True),
        ("route", ticket.number, operator.id),
    ]


def test_acceptance_with_the_real_clocks_and_routing(client, operator, complaint):
    from hotline.deadlines import clocks

    clocks.start_clock(complaint, ClockKind.ACCEPT, start=complaint.created_at)
    db.session.commit()
    accept(client, complaint)

    ticket = fresh(complaint)
    states = dict(db.session.execute(select(Clock.kind, Clock.state).where(Clock.ticket_id == ticket.id)).all())
    assert states == {ClockKind.ACCEPT: ClockState.MET, ClockKind.FORWARD: ClockState.RUNNING,
                      ClockKind.MEDIATION: ClockState.RUNNING}
    # No routing rule exists: the case waits in triage, the routing engineer's event says so.
    assert ticket.status == TicketStatus.ACCEPTED
    assert [e.type for e in events(ticket) if e.type.startswith("routing")] == ["routing_triage"]


def test_the_notice_goes_to_the_calling_number_when_the_form_gives_none(client, operator, create_ticket, seams):
    ticket = create_ticket(phone=CALLING, **{**COMPLAINT, "complainant_phone": None})
    accept(client, ticket)
    assert fresh(ticket).status == TicketStatus.ACCEPTED
    assert [m.to for m in notices()] == [CALLING]


def test_a_legal_notice_reaches_a_complainant_who_opted_out(client, operator, complaint, seams):
    outbox.opt_out(find_or_create_caller(COMPLAINT["complainant_phone"]), via="sms")
    db.session.commit()
    accept(client, complaint)
    assert [m.status for m in notices()] == [OutboxStatus.PENDING]


@pytest.mark.parametrize("empty", ["complainant_name", "complainant_address", "respondent_name",
                                   "respondent_address", "facts", "demand"])
def test_a_complaint_missing_a_required_field_is_refused_and_nothing_changes(
        client, operator, create_ticket, seams, empty):
    ticket = create_ticket(phone=CALLING, **{**COMPLAINT, empty: "  " if empty == "facts" else None})
    page = accept(client, ticket).get_data(as_text=True)

    assert "Cannot accept yet. Missing:" in page
    assert fresh(ticket).status == TicketStatus.NEW and fresh(ticket).accepted_at is None
    assert [e.type for e in events(ticket)] == ["created"]
    assert notices() == [] and seams.calls == []


def test_the_refusal_lists_every_missing_field(client, operator, create_ticket, seams):
    ticket = create_ticket(phone=None, kind=TicketKind.COMPLAINT, facts="商家不退款")
    page = accept(client, ticket).get_data(as_text=True)
    for label in ("Complainant name", "Complainant phone", "Complainant address", "Respondent address", "Demand"):
        assert label in page
    with pytest.raises(decisions.DecisionRefused) as refused:
        decisions.accept_ticket(ticket, None)
    assert refused.value.missing == ("complainant_name", "complainant_phone", "complainant_address",
                                     "respondent_name", "respondent_address", "demand")


def test_an_anonymous_report_is_accepted_without_any_sms(client, operator, create_ticket, seams):
    ticket = create_ticket(phone=CALLING, kind=TicketKind.REPORT, anonymous=True,
                           respondent_name="某某药店", facts="无证销售处方药")
    accept(client, ticket)
    assert fresh(ticket).status == TicketStatus.ACCEPTED
    assert notices() == [] and events(ticket, "notice") == []
    # Reports have no mediation.
    assert ("start", ClockKind.MEDIATION, True) not in seams.calls and ("start", ClockKind.FORWARD, True) in seams.calls


def test_a_named_report_needs_the_reporters_name_and_is_told(client, operator, create_ticket, seams):
    ticket = create_ticket(phone=CALLING, kind=TicketKind.REPORT, respondent_name="某某药店", facts="无证销售处方药")
    assert "Complainant name" in accept(client, ticket).get_data(as_text=True)
    ticket.complainant_name = "李四"
    db.session.commit()
    accept(client, ticket)
    (message,) = notices()
    assert message.to == CALLING and "举报" in message.body and ticket.number in message.body


@pytest.mark.parametrize("ground", list(RejectGround))
def test_each_ground_rejects_with_a_notice_naming_it(client, operator, complaint, seams, ground):
    page = reject(client, complaint, ground.value, "  理由说明  ").get_data(as_text=True)

    assert "Case not accepted" in page
    ticket = fresh(complaint)
    assert (ticket.status, ticket.reject_ground, ticket.reject_reason) == (TicketStatus.REJECTED, ground, "理由说明")
    (status,) = events(ticket, "status")
    assert (status.to_value, status.reason) == ("rejected", "理由说明")
    (message,) = notices()
    assert message.legal and message.purpose == "reject_notice" and message.to == COMPLAINT["complainant_phone"]
    assert ticket.number in message.body and texts.GROUNDS[ground.value] in message.body
    assert seams.calls == [("stop", ClockKind.ACCEPT, True)]


def test_an_incomplete_complaint_can_still_be_rejected_for_missing_information(
        client, operator, create_ticket, seams):
    ticket = create_ticket(phone=CALLING, facts="说不清楚")
    reject(client, ticket, "information_missing", "来电人拒绝提供被投诉人信息")
    assert fresh(ticket).status == TicketStatus.REJECTED
    assert [m.to for m in notices()] == [CALLING]


@pytest.mark.parametrize("data, message", [
    ({"ground": "out_of_scope", "reason": "   "}, "Give the reason for not accepting."),
    ({"ground": "out_of_scope"}, "Give the reason for not accepting."),
    ({"ground": "because", "reason": "x"}, "Choose a ground for not accepting."),
])
def test_a_rejection_needs_a_ground_and_a_reason(client, operator, complaint, seams, data, message):
    page = client.post(f"/intake/tickets/{complaint.number}/reject", data=data, follow_redirects=True)
    assert message in page.get_data(as_text=True)
    assert fresh(complaint).status == TicketStatus.NEW and notices() == [] and seams.calls == []
    with pytest.raises(decisions.DecisionRefused):
        decisions.reject_ticket(complaint, data["ground"], data.get("reason"), None)


def test_a_reason_too_long_says_so(client, operator, complaint, seams):
    page = client.post(f"/intake/tickets/{complaint.number}/reject", data={"ground": "out_of_scope", "reason": "x" * 2001},
                       follow_redirects=True)
    assert "at most 2000 characters" in page.get_data(as_text=True)  # not "give the reason"
    assert fresh(complaint).status == TicketStatus.NEW and notices() == []


def test_consultations_and_decided_cases_are_refused(client, operator, create_ticket, complaint, seams):
    consultation = create_ticket(phone=CALLING, kind=TicketKind.CONSULTATION, **COMPLAINT)
    assert "Only a complaint or a report" in accept(client, consultation).get_data(as_text=True)
    accept(client, complaint)
    assert "already been decided" in accept(client, complaint).get_data(as_text=True)
    assert "already been decided" in reject(client, complaint).get_data(as_text=True)
    assert fresh(complaint).status == TicketStatus.ACCEPTED and len(notices()) == 1


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_other_roles_may_not_decide(client, make_user, login, complaint, seams, role):
    login(make_user(role))
    assert client.post(f"/intake/tickets/{complaint.number}/accept").status_code == 403
    assert client.post(f"/intake/tickets/{complaint.number}/reject",
                       data={"ground": "out_of_scope", "reason": "x"}).status_code == 403
    assert fresh(complaint).status == TicketStatus.NEW


def test_a_supervisor_may_decide(client, make_user, login, complaint, seams):
    login(make_user(Role.SUPERVISOR))
    accept(client, complaint)
    assert fresh(complaint).status == TicketStatus.ACCEPTED


def render_partial(app, user, ticket):
    with app.test_request_context(f"/tickets/{ticket.number}"):
        login_user(user)
        return render_template("intake/_decision.html", ticket=ticket)


def test_the_decision_panel_offers_accept_and_the_grounds(app, make_user, complaint, create_ticket):
    user = make_user(Role.OPERATOR)
    page = render_partial(app, user, complaint)
    assert 'id="accept-case"' in page and 'id="accept-case" disabled' not in page
    assert page.count("<option") == len(RejectGround)
    incomplete = create_ticket(phone=CALLING, facts="x")
    assert 'id="accept-case" disabled' in render_partial(app, user, incomplete)
    assert 'id="decision"' not in render_partial(app, make_user(Role.DEPARTMENT), complaint)


def test_a_consultation_has_no_acceptance_panel_and_an_unclassified_case_says_what_comes_first(
        app, make_user, create_ticket):
    user = make_user(Role.OPERATOR)
    user.locale = "en"
    consultation = create_ticket(phone=CALLING, kind=TicketKind.CONSULTATION, facts="七天无理由退货怎么算？")
    assert 'id="decision"' not in render_partial(app, user, consultation)
    unclassified = create_ticket(phone=CALLING, kind=TicketKind.UNKNOWN, facts="冰箱坏了")
    page = render_partial(app, user, unclassified)
    assert 'id="decision-unclassified"' in page and "as a complaint or a report on the intake form first" in page
    assert 'id="accept-form"' not in page and 'id="reject-form"' not in page and "<option" not in page


def test_the_panel_reminds_of_the_telecom_rule_for_telecom_cases_only(app, make_user, complaint):
    seed_categories()
    user = make_user(Role.OPERATOR)
    assert 'id="telecom-hint"' not in render_partial(app, user, complaint)
    complaint.category = db.session.scalar(select(Category).where(Category.code == "S04"))
    db.session.commit()
    assert 'id="telecom-hint"' in render_partial(app, user, complaint)


def test_the_ticket_page_shows_the_decision_panel_and_the_outcome(client, operator, complaint, seams):
    page = client.get(f"/tickets/{complaint.number}").get_data(as_text=True)
    assert 'id="decision"' in page and 'id="reject-form"' in page
    reject(client, complaint, "time_barred", "三年前购买")
    page = client.get(f"/tickets/{complaint.number}").get_data(as_text=True)
    assert 'id="decision-result"' in page and "More than 3 years" in page and 'id="reject-form"' not in page


@pytest.mark.parametrize("locale, said", [
    ("en", "Case accepted and forwarded by the routing rules to 海淀市场监管所."),
    ("zh", "工单已受理，并已按转办规则转办至海淀市场监管所。"),
])
def test_the_operator_is_told_where_a_rule_forwarded_the_accepted_case(client, operator, complaint, locale, said):
    """The flash said only "Case accepted." while the rules had already forwarded the case."""
    from hotline.models import Department
    from routing import services as routing

    operator.locale = locale
    haidian = Department(code="MS03", name="海淀市场监管所", region="海淀区")
    db.session.add(haidian)
    db.session.commit()
    routing.create_rule({"name": "海淀", "region": "海淀区", "department_id": haidian.id}, operator, "test")
    db.session.commit()

    page = accept(client, complaint).get_data(as_text=True)

    assert said in page
    assert fresh(complaint).status == TicketStatus.FORWARDED
