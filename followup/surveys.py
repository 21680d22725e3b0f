"""Satisfaction surveys by SMS (and by voice at the end of a callback visit).

A case that gets its result, referral or answer gets one Survey (PENDING); the "surveys" job
texts it (the outbox holds it through quiet hours, or suppresses it for an opted-out number)
and closes it as UNANSWERED after SURVEY_REPLY_HOURS. A reply is read leniently
(followup.survey_parse); a score of 1 or 2 asks for a callback visit.
"""

from flask import current_app
from sqlalchemy import select

from hotline import phones, webhooks
from hotline.extensions import db
from hotline.models import Survey, SurveyStatus
from hotline.tickets import record_event
from hotline.timeutil import now

LOW_SCORES = (1, 2)


def survey_of(ticket):
    """The case's survey, or None."""
    return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))


def survey_phone(ticket):
    """Where the survey goes: the complainant's number, else the caller's; None for anonymous cases."""
    if ticket.anonymous:
        return None
    for raw in (ticket.complainant_phone, ticket.caller.phone if ticket.caller else None):
        try:
            return phones.normalise(raw, current_app.config["DEFAULT_PHONE_REGION"])
        except phones.InvalidPhone:
            continue
    return None


def record_answer(ticket, score, comment=None, channel="sms", actor=None):
    """Record a 1-5 score (and comment) as the case's survey answer, creating the survey if
    none (a voice survey at the end of a callback visit); a low score asks for a callback visit."""
    score = int(score)
    if not 1 <= score <= 5:
        raise ValueError(f"a survey score is 1 to 5, not {score}")
    survey = survey_of(ticket)
    if survey is None:
        survey = Survey(ticket=ticket, phone=survey_phone(ticket) or "", channel=channel)
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
    webhooks.on_survey_answered(survey)
    return survey


def _ask_for_callback(ticket, actor):
    # Imported here: callbacks may itself import this module (voice surveys).
    from followup import callbacks

    callbacks.schedule_visit(ticket, reason="low_score", actor=actor)


def on_status_changed(ticket, from_status, to_status, actor):
    """ticket_status_hooks entry: a survey for a case that got its result, referral or answer."""


def sms_survey_hook(contact):
    """sms_message_hooks entry: the case a survey reply answered, or None."""
    return None
