"""SMS commands are commands: 查询 / CX, 退订 / 订阅, 申诉 and survey scores are answered or acted on
and never become part of a case's facts; a status query is answered even after 退订 (it is a
reply to the caller, not a notice). Acted out at the webhook (signed as Twilio signs), checked
where an operator and the caller see it: the intake form's facts and the outbox."""

from sqlalchemy import select

from hotline import outbox
from hotline.extensions import db
from hotline.models import OutboxStatus, Role, Ticket
from hotline.seeds import seed_categories
from tests.intake.form.test_form_kinds import inputs
from tests.telephony.conftest import CALLER

FIRST = "我在某商城买的冰箱三天就不制冷了，商家拒绝退货"
SECOND = "订单号 JD20261201，金额 3299 元"


def the_case():
    return db.session.scalars(select(Ticket).order_by(Ticket.id)).first()


def facts_on_the_form(client, make_user, login, ticket):
    seed_categories()
    db.session.commit()
    login(make_user(Role.OPERATOR))
    response = client.get(f"/intake/tickets/{ticket.number}")
    assert response.status_code == 200
    return inputs(response)["facts"]


def test_queries_appeals_and_scores_never_reach_the_facts(inbound_sms, client, make_user, login, outbox_rows):
    inbound_sms(FIRST)
    ticket = the_case()
    for text in (f"查询 {ticket.number}", f"CX{ticket.number}", f"cx {ticket.number.replace('-', '')}",
                 SECOND, "申诉", "5", "满意"):
        inbound_sms(text)
    db.session.expire_all()
    assert db.session.scalar(select(Ticket).where(Ticket.id != ticket.id, Ticket.facts.is_not(None))) is None
    assert facts_on_the_form(client, make_user, login, ticket) == f"{FIRST}\n{SECOND}"
    replies = [m for m in outbox_rows() if m.purpose == "status"]
    assert len(replies) == 3 and all(ticket.number in m.body for m in replies)


def test_a_status_query_is_answered_after_the_caller_opted_out(inbound_sms, outbox_rows):
    inbound_sms(FIRST)
    ticket = the_case()
    inbound_sms("退订")
    inbound_sms(f"CX{ticket.number}")
    status = [m for m in outbox_rows() if m.purpose == "status"]
    assert len(status) == 1 and status[0].status == OutboxStatus.PENDING and ticket.number in status[0].body
    # A notice the caller did not ask for stays suppressed after 退订.
    notice = outbox.queue_sms(CALLER, "您的工单已办理完毕，请评价", "survey", ticket=ticket)
    assert notice.status == OutboxStatus.SUPPRESSED


def test_opting_out_and_in_leaves_the_facts_alone(inbound_sms, client, make_user, login):
    inbound_sms(FIRST)
    inbound_sms("退订")
    inbound_sms("订阅")
    inbound_sms("STOP")
    ticket = the_case()
    assert facts_on_the_form(client, make_user, login, ticket) == FIRST


def test_a_bare_query_answers_with_the_callers_latest_case_and_stays_out_of_the_facts(
        inbound_sms, client, make_user, login, outbox_rows):
    """A caller who lost the number texts 查询 or CX alone: the status of the latest case this
    phone filed, never the word appended to the facts ("查询工单<number>" is a query too)."""
    inbound_sms(FIRST)
    ticket = the_case()
    for text in ("查询", "CX", "查询进度", f"查询工单{ticket.number}"):
        inbound_sms(text)
    assert facts_on_the_form(client, make_user, login, ticket) == FIRST
    replies = [m for m in outbox_rows() if m.purpose == "status"]
    assert len(replies) == 4 and all(ticket.number in m.body and "当前状态" in m.body for m in replies)


def test_a_bare_query_from_a_phone_with_no_case_gets_the_format_explained(inbound_sms, outbox_rows):
    inbound_sms("查询")
    (reply,) = outbox_rows()
    assert reply.purpose == "status" and "CX" in reply.body and "当前状态" not in reply.body
    assert db.session.scalar(select(Ticket.id)) is None
