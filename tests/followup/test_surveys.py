"""Satisfaction surveys: one per handled case, texted by the job (quiet hours and opt-outs
respected), answered by SMS through the real webhook, clarified once, closed after 72 h;
a low score asks for a callback visit."""

import secrets
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from followup import surveys
from followup.survey_parse import CLARIFY
from hotline import outbox, sms_texts, tickets
from hotline.extensions import db
from hotline.jobs.scheduler import run_job
from hotline.models import (
    Channel,
    Contact,
    FollowUp,
    FollowUpStatus,
    JobRun,
    OutboxMessage,
    OutboxStatus,
    Role,
    Survey,
    SurveyStatus,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import local_to_utc

CALLER = "+8613800138000"
START = "2025-06-10 02:00:00"  # Tuesday 10:00 in Shanghai
TZ = "Asia/Shanghai"
PATHS = {
    TicketStatus.RESOLVED: (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS,
                            TicketStatus.RESOLVED),
    TicketStatus.REFERRED: (TicketStatus.REFERRED,),
    TicketStatus.ANSWERED: (TicketStatus.ANSWERED,),
}


def handle(ticket, to=TicketStatus.ANSWERED):
    for status in PATHS[to]:
        tickets.change_status(ticket, status)
    db.session.commit()
    return ticket


def open_case(phone=CALLER, kind=TicketKind.CONSULTATION, **fields):
    caller = tickets.find_or_create_caller(phone) if phone else None
    ticket = tickets.open_ticket(Channel.VOICE, caller=caller, kind=kind, **fields)
    db.session.commit()
    return ticket


def run_surveys_job(app):
    result = run_job(app, "surveys", surveys.surveys_due)
    db.session.expire_all()
    return result


def survey_of(ticket):
    db.session.expire_all()
    return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))


def events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ).all()


def sms_to(phone=CALLER, purpose=None):
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.to == phone).order_by(OutboxMessage.id)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    return db.session.scalars(query).all()


@pytest.fixture
def text_hotline(twilio_post):
    """Text the hotline through the signed Twilio webhook; returns the stored Contact."""

    def send(body, from_=CALLER):
        sid = "SM" + secrets.token_hex(16)
        response = twilio_post("/twilio/sms", {"MessageSid": sid, "From": from_, "To": "+8610012315",
                                               "Body": body, "NumMedia": "0"})
        assert response.status_code == 200
        db.session.expire_all()
        return db.session.scalar(select(Contact).where(Contact.sid == sid))

    return send


@pytest.fixture
def clock():
    with freeze_time(START) as frozen:
        yield frozen


@pytest.fixture
def sent_survey(app, clock, calendar_2025):
    """sent_survey(...) -> a handled case whose survey the job has just texted."""

    def make(to=TicketStatus.ANSWERED, **fields):
        ticket = handle(open_case(**fields), to)
        run_surveys_job(app)
        assert survey_of(ticket).status == SurveyStatus.SENT
        return ticket

    return make


# --- created once per case ----------------------------------------------------------------


@pytest.mark.parametrize("to", [TicketStatus.RESOLVED, TicketStatus.ANSWERED])
def test_a_case_gets_one_survey_when_it_is_resolved_or_answered(app, clock, calendar_2025, to):
    ticket = handle(open_case(kind=TicketKind.COMPLAINT), to)
    survey = survey_of(ticket)
    assert (survey.status, survey.phone, survey.channel) == (SurveyStatus.PENDING, CALLER, "sms")
    assert len(events(ticket, "survey_created")) == 1


def test_a_referred_case_gets_no_survey(app, clock, calendar_2025):
    # The caller was sent elsewhere (the referral SMS names the agency): no "已办理完毕" survey.
    ticket = handle(open_case(kind=TicketKind.COMPLAINT), TicketStatus.REFERRED)
    tickets.change_status(ticket, TicketStatus.CLOSED)
    db.session.commit()
    assert survey_of(ticket) is None and events(ticket, "survey_created") == []
    run_surveys_job(app)
    assert db.session.scalars(select(Survey)).all() == []


def test_a_case_resolved_again_after_an_appeal_keeps_its_one_survey(app, clock, calendar_2025):
    ticket = handle(open_case(kind=TicketKind.COMPLAINT), TicketStatus.RESOLVED)
    for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        tickets.change_status(ticket, status)
    db.session.commit()
    assert db.session.scalars(select(Survey)).all() == [survey_of(ticket)]
    assert len(events(ticket, "survey_created")) == 1


def test_no_survey_for_an_anonymous_report_nor_a_case_without_a_number(app, clock, calendar_2025):
    anonymous = handle(open_case(kind=TicketKind.REPORT, anonymous=True), TicketStatus.RESOLVED)
    no_number = handle(open_case(phone=None), TicketStatus.ANSWERED)
    assert survey_of(anonymous) is None and survey_of(no_number) is None


def test_the_survey_goes_to_the_complainant_number_given_on_the_form(app, clock, calendar_2025):
    ticket = handle(open_case(kind=TicketKind.COMPLAINT, complainant_phone="13900139000"), TicketStatus.RESOLVED)
    assert survey_of(ticket).phone == "+8613900139000"


def test_a_case_still_open_gets_no_survey(app, clock):
    ticket = open_case()
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    db.session.commit()
    assert survey_of(ticket) is None


# --- sent by the job ----------------------------------------------------------------------


def test_the_job_texts_the_survey_once_with_the_case_number(app, clock, calendar_2025):
    ticket = handle(open_case(), TicketStatus.ANSWERED)
    assert run_surveys_job(app) == {"sent": 1, "closed": 0}

    (message,) = sms_to(purpose="survey")
    assert message.ticket_id == ticket.id and message.status == OutboxStatus.PENDING
    assert ticket.number in message.body and "1-5" in message.body and sms_texts.segments(message.body) == 1
    survey = survey_of(ticket)
    now = datetime(2025, 6, 10, 2, 0)
    assert (survey.status, survey.sent_at, survey.closes_at) == (SurveyStatus.SENT, now, now + timedelta(hours=72))
    assert events(ticket, "survey_sent")[0].data == {"outbox_id": message.id}
    assert db.session.get(JobRun, "surveys").last_ok_at == now

    assert run_surveys_job(app) == {"sent": 0, "closed": 0}  # restart-safe: nothing twice
    assert len(sms_to(purpose="survey")) == 1


def test_a_survey_of_a_case_reopened_before_it_left_waits(app, clock, calendar_2025):
    ticket = handle(open_case(kind=TicketKind.COMPLAINT), TicketStatus.RESOLVED)
    tickets.change_status(ticket, TicketStatus.ACCEPTED)  # an appeal sent it back to triage
    db.session.commit()
    run_surveys_job(app)
    assert survey_of(ticket).status == SurveyStatus.PENDING and sms_to(purpose="survey") == []


def test_a_survey_due_in_quiet_hours_waits_until_eight_and_is_not_answered_before(app, text_hotline):
    # The testing config has no quiet hours (the wall clock must not decide); this test sets them.
    app.config["QUIET_HOURS"] = "21:00-08:00"
    with freeze_time("2025-06-10 14:30:00"):  # 22:30 in Shanghai
        ticket = handle(open_case(), TicketStatus.ANSWERED)
        run_surveys_job(app)
        (message,) = sms_to(purpose="survey")
        eight = local_to_utc(datetime(2025, 6, 11, 8, 0), TZ)
        assert message.next_attempt_at == eight
        survey = survey_of(ticket)
        assert (survey.status, survey.sent_at, survey.closes_at) == (SurveyStatus.SENT, eight,
                                                                     eight + timedelta(hours=72))
    with freeze_time("2025-06-10 15:00:00"):  # 23:00: the caller has not seen the survey yet
        contact = text_hotline("5")
        assert survey_of(ticket).status == SurveyStatus.SENT and contact.ticket_id != ticket.id
    with freeze_time("2025-06-11 00:00:00"):  # 08:00: it has left, the reply counts
        text_hotline("5")
        assert survey_of(ticket).score == 5


def test_an_opted_out_number_gets_no_survey(app, clock, calendar_2025):
    ticket = handle(open_case(), TicketStatus.ANSWERED)
    outbox.opt_out(ticket.caller, via="sms")
    db.session.commit()
    run_surveys_job(app)
    (message,) = sms_to(purpose="survey")
    assert message.status == OutboxStatus.SUPPRESSED
    survey = survey_of(ticket)
    assert (survey.status, survey.sent_at) == (SurveyStatus.SUPPRESSED, None)
    assert len(events(ticket, "survey_suppressed")) == 1
    assert run_surveys_job(app) == {"sent": 0, "closed": 0}


# --- replies through the SMS webhook --------------------------------------------------------


@pytest.mark.parametrize(("body", "score", "comment"), [
    ("5", 5, None),
    ("５", 5, None),
    ("5分", 5, None),
    ("满意", 4, None),
    ("不满意", 2, None),
    ("4 很好", 4, "很好"),
])
def test_a_reply_is_recorded_and_thanked(sent_survey, text_hotline, body, score, comment):
    ticket = sent_survey()
    contact = text_hotline(body)

    survey = survey_of(ticket)
    assert (survey.status, survey.score, survey.comment, survey.channel) == (SurveyStatus.ANSWERED, score, comment, "sms")
    assert survey.answered_at == datetime(2025, 6, 10, 2, 0)
    assert contact.ticket_id == ticket.id  # on the surveyed case's timeline
    assert db.session.scalars(select(Ticket)).all() == [ticket]  # no new case opened
    (thanks,) = sms_to(purpose="survey_reply")
    assert ticket.number in thanks.body and f"{score} 分" in thanks.body
    assert thanks.next_attempt_at == datetime(2025, 6, 10, 2, 0)  # urgent: not held
    (event,) = events(ticket, "survey_answered")
    assert (event.to_value, event.reason) == (str(score), comment)


@pytest.mark.parametrize("body", ["不满意", "1 没解决", "两分"])
def test_a_low_score_asks_for_a_callback_visit(sent_survey, text_hotline, body):
    ticket = sent_survey(to=TicketStatus.ANSWERED)  # a consultation: no visit of its own
    assert db.session.scalars(select(FollowUp)).all() == []
    text_hotline(body)
    (visit,) = db.session.scalars(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).all()
    assert (visit.status, visit.reason) == (FollowUpStatus.SCHEDULED, "low_score")
    (thanks,) = sms_to(purpose="survey_reply")
    assert "回访" in thanks.body


def test_a_good_score_asks_for_no_visit(sent_survey, text_hotline):
    sent_survey(to=TicketStatus.ANSWERED)
    text_hotline("3")
    assert db.session.scalars(select(FollowUp)).all() == []


def test_a_low_score_on_a_resolved_case_keeps_its_one_visit(sent_survey, text_hotline):
    ticket = sent_survey(to=TicketStatus.RESOLVED, kind=TicketKind.COMPLAINT)
    text_hotline("1")
    (visit,) = db.session.scalars(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).all()
    assert visit.status == FollowUpStatus.SCHEDULED


def test_a_reply_answers_the_newest_open_survey_of_the_number(app, sent_survey, text_hotline, clock):
    older = sent_survey()
    clock.tick(3600)
    newer = sent_survey()
    text_hotline("5")
    assert (survey_of(newer).score, survey_of(older).status) == (5, SurveyStatus.SENT)
    text_hotline("3")  # the next reply goes to the one still open
    assert survey_of(older).score == 3 and survey_of(newer).score == 5


def test_a_reply_from_another_number_answers_nothing(sent_survey, text_hotline):
    ticket = sent_survey()
    contact = text_hotline("5", from_="+8613700137000")
    assert survey_of(ticket).status == SurveyStatus.SENT and contact.ticket_id != ticket.id


def test_an_unreadable_reply_gets_one_clarification_and_the_next_goes_to_intake(sent_survey, text_hotline, clock):
    ticket = sent_survey()
    first = text_hotline("嗯？")
    survey = survey_of(ticket)
    assert (survey.status, survey.clarified_at) == (SurveyStatus.CLARIFYING, datetime(2025, 6, 10, 2, 0))
    assert first.ticket_id == ticket.id
    (clarification,) = sms_to(purpose="survey_reply")
    assert clarification.body == CLARIFY.format(number=ticket.number)
    assert events(ticket, "survey_clarified")[0].reason == "嗯？"

    clock.tick(60)
    second = text_hotline("啥意思")
    # Not clarified twice: the text is handled as any other (here it opens an SMS case, acknowledged).
    assert len(sms_to(purpose="survey_reply")) == 1
    assert second.ticket_id != ticket.id and second.ticket.channel == Channel.SMS
    assert sms_to(purpose="ack")[0].ticket_id == second.ticket_id
    assert survey_of(ticket).status == SurveyStatus.CLARIFYING

    clock.tick(60)
    text_hotline("4")  # a clarified survey still takes its answer
    assert (survey_of(ticket).status, survey_of(ticket).score) == (SurveyStatus.ANSWERED, 4)


@pytest.mark.parametrize("body", [
    "我要申诉，处理结果不公平",  # an appeal is the appeal hook's business
    "我要投诉另一家商店卖假货",  # a new complaint
    "我在某商城买的冰箱不制冷，商家拒绝维修也不给退货，请你们帮忙处理一下",  # long: a new message
])
def test_texts_that_are_something_else_are_left_to_the_other_handlers(sent_survey, text_hotline, body):
    ticket = sent_survey()
    contact = text_hotline(body)
    assert survey_of(ticket).status == SurveyStatus.SENT
    assert sms_to(purpose="survey_reply") == [] and contact.ticket_id != ticket.id


# --- closed after 72 h ----------------------------------------------------------------------


def test_a_survey_without_reply_closes_as_unanswered_after_72_hours(app, sent_survey, text_hotline, clock):
    ticket = sent_survey()
    clock.tick(timedelta(hours=72) - timedelta(seconds=1))
    assert run_surveys_job(app) == {"sent": 0, "closed": 0}
    clock.tick(1)
    assert run_surveys_job(app) == {"sent": 0, "closed": 1}
    assert survey_of(ticket).status == SurveyStatus.UNANSWERED
    assert len(events(ticket, "survey_unanswered")) == 1
    assert run_surveys_job(app) == {"sent": 0, "closed": 0}

    contact = text_hotline("5")  # too late: an ordinary text now
    assert survey_of(ticket).status == SurveyStatus.UNANSWERED and contact.ticket_id != ticket.id


def test_the_reply_window_is_configurable(app, sent_survey, clock):
    app.config["SURVEY_REPLY_HOURS"] = 24
    ticket = sent_survey()
    clock.tick(timedelta(hours=24))
    run_surveys_job(app)
    assert survey_of(ticket).status == SurveyStatus.UNANSWERED


# --- voice answers (callback visits) --------------------------------------------------------


def test_record_answer_takes_a_voice_survey_and_a_low_score_books_a_visit(app, clock, make_user, calendar_2025):
    operator = make_user(Role.OPERATOR)
    ticket = handle(open_case(phone=None), TicketStatus.ANSWERED)  # no number: no SMS survey
    assert survey_of(ticket) is None

    survey = surveys.record_answer(ticket, 1, " 没解决 ", channel="voice", actor=operator)
    db.session.commit()
    survey = survey_of(ticket)
    assert (survey.status, survey.score, survey.comment, survey.channel, survey.taken_by_id) == (
        SurveyStatus.ANSWERED, 1, "没解决", "voice", operator.id)
    (event,) = events(ticket, "survey_answered")
    assert (event.actor_id, event.data) == (operator.id, {"channel": "voice"})
    (visit,) = db.session.scalars(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).all()
    assert visit.reason == "low_score"


def test_record_answer_answers_the_open_sms_survey_and_refuses_a_score_off_the_scale(sent_survey, make_user):
    ticket = sent_survey()
    with pytest.raises(ValueError):
        surveys.record_answer(ticket, 6)
    surveys.record_answer(ticket, 5, channel="voice", actor=make_user(Role.OPERATOR))
    db.session.commit()
    assert db.session.scalars(select(Survey)).all() == [survey_of(ticket)]
    assert (survey_of(ticket).status, survey_of(ticket).channel) == (SurveyStatus.ANSWERED, "voice")
