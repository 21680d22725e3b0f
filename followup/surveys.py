"""Satisfaction surveys by SMS (and by voice at the end of a callback visit).

A case that gets its result or answer gets one Survey (PENDING); the "surveys" job
texts it (the outbox holds it through quiet hours, or suppresses it for an opted-out number)
and closes it as UNANSWERED after SURVEY_REPLY_HOURS. A reply is read leniently
(followup.survey_parse); a score of 1 or 2 asks for a callback visit.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from followup import survey_parse
from hotline import events, outbox
from hotline.access import notice_phone
from hotline.extensions import db
from hotline.models import OutboxStatus, Survey, SurveyStatus, Ticket, TicketStatus
from hotline.tickets import record_event
from hotline.timeutil import now

LOW_SCORES = (1, 2)
# A case gets its survey when it reaches one of these (result, consultation answered). A referred
# case gets none: the hotline did not handle it, the caller was sent elsewhere and already has
# the referral SMS naming the agency and its number; a survey saying the case "已办理完毕" would
# be false, and its score would rate another agency (docs/DECISIONS.md).
SURVEYED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.ANSWERED})
# Sent only while the case stays handled: a survey of a case reopened meanwhile waits.
DONE_STATUSES = SURVEYED_STATUSES | {TicketStatus.CLOSED}
OPEN_STATUSES = (SurveyStatus.SENT, SurveyStatus.CLARIFYING)
BATCH = 200


def survey_of(ticket):
    """The case's survey, or None."""
    return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))


def record_answer(ticket, score, comment=None, channel="sms", actor=None):
    """Record a 1-5 score (and comment) as the case's survey answer, creating the survey if
    none (a voice survey at the end of a callback visit); a low score asks for a callback visit."""
    score = int(score)
    if not 1 <= score <= 5:
        raise ValueError(f"a survey score is 1 to 5, not {score}")
    survey = survey_of(ticket)
    if survey is None:
        survey = Survey(ticket=ticket, phone=notice_phone(ticket) or "", channel=channel)
        db.session.add(survey)
    survey.status, survey.channel = SurveyStatus.ANSWERED, channel
    survey.score, survey.comment = score, (comment or "").strip() or None
    survey.answered_at = now()
    if actor is not None:
        survey.taken_by_id = actor.id
    record_event(ticket, "survey_answered", actor, to_value=str(score), reason=survey.comment,
                 data={"channel": channel})
    db.session.flush()
    if score in LOW_SCORES:
        _ask_for_callback(ticket, actor)
    events.send(events.survey_answered, survey=survey)
    return survey


def _ask_for_callback(ticket, actor):
    # Imported here: callback_visits imports this module (voice surveys at the end of a visit).
    from followup import callback_visits

    callback_visits.schedule_visit(ticket, reason="low_score", actor=actor)


def on_status_changed(_app, ticket, from_status, to_status, actor):
    """events.status_changed receiver: a survey for a case that got its result, referral or answer."""
    if to_status not in SURVEYED_STATUSES or survey_of(ticket) is not None:
        return
    phone = notice_phone(ticket)
    if phone is None:
        return
    db.session.add(Survey(ticket=ticket, phone=phone, status=SurveyStatus.PENDING, channel="sms"))
    record_event(ticket, "survey_created", actor, to_value=SurveyStatus.PENDING.value)
    db.session.flush()


def surveys_due():
    """Text the surveys due and close those left unanswered."""
    return {"sent": send_due(), "closed": close_expired()}


def send_due(batch=BATCH):
    """Queue the SMS of PENDING surveys whose case is still handled; the outbox holds them
    through quiet hours and suppresses them for opted-out numbers. Never for a referred case
    (surveys created for referrals before they stopped wait unsent)."""
    surveys = db.session.scalars(
        select(Survey).join(Ticket, Survey.ticket_id == Ticket.id)
        .where(Survey.status == SurveyStatus.PENDING, Ticket.status.in_(DONE_STATUSES),
               Ticket.referral_id.is_(None))
        .order_by(Survey.id).limit(batch)
    ).all()
    for survey in surveys:
        send(survey)
    return len(surveys)


def send(survey):
    """Queue one survey's SMS and mark it SENT (from when the outbox lets it go) or SUPPRESSED."""
    ticket = survey.ticket
    body = survey_parse.SURVEY.format(number=ticket.number)
    message = outbox.queue_sms(survey.phone, body, "survey", ticket=ticket)
    data = {"outbox_id": message.id}
    if message.status == OutboxStatus.SUPPRESSED:
        survey.status = SurveyStatus.SUPPRESSED
        record_event(ticket, "survey_suppressed", None, to_value=survey.status.value, data=data)
        return survey
    hours = current_app.config.get("SURVEY_REPLY_HOURS", 72)
    survey.status, survey.sent_at = SurveyStatus.SENT, message.next_attempt_at
    survey.closes_at = survey.sent_at + timedelta(hours=hours)
    record_event(ticket, "survey_sent", None, to_value=survey.status.value, data=data)
    return survey


def close_expired(at=None, batch=BATCH):
    """Close the surveys nobody answered in time as UNANSWERED."""
    at = at or now()
    surveys = db.session.scalars(
        select(Survey).where(Survey.status.in_(OPEN_STATUSES), Survey.closes_at <= at)
        .order_by(Survey.closes_at, Survey.id).limit(batch)
    ).all()
    for survey in surveys:
        survey.status = SurveyStatus.UNANSWERED
        record_event(survey.ticket, "survey_unanswered", None, to_value=survey.status.value)
    db.session.flush()
    return len(surveys)


def open_survey(phone, at=None):
    """The survey a text from `phone` answers: sent (and out of the outbox's hold) and not yet
    answered or closed; the one sent last, then the case closed last, when there are several."""
    at = at or now()
    return db.session.scalar(
        select(Survey)
        .where(Survey.phone == phone, Survey.status.in_(OPEN_STATUSES), Survey.sent_at <= at)
        .order_by(Survey.sent_at.desc(), Survey.id.desc()).limit(1)
    )


def on_sms_received(_app, contact):
    """events.sms_received receiver: the case a survey reply answered, or None.

    With a survey open for the number: a score in any form is recorded and thanked; an explicit
    appeal (申诉) is left to routing's appeal receiver; an unreadable short text gets one clarification;
    anything else (a long text, a new complaint, a second unreadable reply) goes on to intake.
    """
    survey = open_survey(contact.caller.phone)
    text = contact.body or ""
    if survey is None or survey_parse.is_appeal(text):
        return None
    reply = survey_parse.parse_reply(text)
    if reply is not None:
        return answer_by_sms(survey, reply, contact).ticket
    if survey.status == SurveyStatus.SENT and survey_parse.may_be_reply(text):
        return clarify(survey, contact).ticket
    return None


def answer_by_sms(survey, reply, contact):
    """Record a texted answer and thank the caller (saying so when a callback visit follows)."""
    ticket = survey.ticket
    record_answer(ticket, reply.score, reply.comment, channel="sms")
    low = reply.score in LOW_SCORES
    body = survey_parse.thanks_text(ticket.number, reply.score, low)
    outbox.queue_sms(survey.phone, body, "survey_reply", ticket=ticket)
    return survey


def clarify(survey, contact):
    """The one clarification an unreadable reply gets."""
    survey.status, survey.clarified_at = SurveyStatus.CLARIFYING, now()
    ticket = survey.ticket
    outbox.queue_sms(survey.phone, survey_parse.CLARIFY.format(number=ticket.number), "survey_reply", ticket=ticket)
    record_event(ticket, "survey_clarified", None, to_value=survey.status.value, reason=contact.body)
    db.session.flush()
    return survey


def list_surveys(status=None, score=None, limit=200):
    """Surveys for the supervisors' page, newest answer (else sending, else creation) first."""
    query = select(Survey).options(selectinload(Survey.ticket))
    if status is not None:
        query = query.where(Survey.status == status)
    if score is not None:
        query = query.where(Survey.score == score)
    newest = func.coalesce(Survey.answered_at, Survey.sent_at, Survey.created_at)
    return db.session.scalars(query.order_by(newest.desc(), Survey.id.desc()).limit(limit)).all()


SENT_STATES = (SurveyStatus.SENT, SurveyStatus.CLARIFYING, SurveyStatus.ANSWERED, SurveyStatus.UNANSWERED)


def summary():
    """Counts by status, and satisfaction: the share of answers scoring 4 or 5 (docs/DOMAIN.md)."""
    counts = dict(db.session.execute(select(Survey.status, func.count()).group_by(Survey.status)).all())
    answered = counts.get(SurveyStatus.ANSWERED, 0)
    satisfied = db.session.scalar(select(func.count()).where(Survey.score >= 4)) if answered else 0
    # Answered out of every survey sent, those still waiting for a reply included: the follow-up
    # report's rule (hotline.dashboard.case_metrics.SENT_SURVEY_STATES, a page features may not
    # import); tests/dashboard/test_figures_agree.py holds the two to one figure.
    sent = sum(counts.get(state, 0) for state in SENT_STATES)
    return {
        "counts": {status: counts.get(status, 0) for status in SurveyStatus},
        "sent": sent,
        "satisfied": satisfied,
        "satisfaction": satisfied / answered if answered else None,
        "response_rate": answered / sent if sent else None,
    }
