"""The callback list and the visit page, and the TwiML of the visit's call and voice survey."""

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from followup import callback_visits
from followup.surveys import record_answer, survey_of
from hotline import calls
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.models import Contact, FollowUp, FollowUpStatus, Role
from hotline.sms_texts import with_case_number
from hotline.telephony.callcontrol import CallControlError, call_control, public_url
from hotline.telephony.signature import twilio_webhook, twiml
from hotline.timeutil import local_to_utc, local_today, now

bp = Blueprint("callback_visits", __name__)

VISIT_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
LIST_LIMIT = 500
TWILIO_PREFIX = "/twilio/callbacks"
OUTCOME_LABELS = {
    callback_visits.SATISFIED: _l("Reached, satisfied"),
    callback_visits.UNSATISFIED: _l("Reached, not satisfied"),
    callback_visits.NOT_REACHED: _l("Not reached"),
}
STATUS_LABELS = {
    FollowUpStatus.SCHEDULED: _l("Scheduled"),
    FollowUpStatus.DONE: _l("Done"),
    FollowUpStatus.UNREACHABLE: _l("Unreachable"),
    FollowUpStatus.CANCELLED: _l("Cancelled"),
}
# Spoken to the complainant: Chinese whatever the console's language, with the case number.
CONNECT_TEXT = "您好，这里是12315热线，就您的投诉处理结果进行回访，正在为您接通工作人员，请稍候。"
SURVEY_TEXT = "请对本次处理结果的满意程度打分：非常满意请按5，非常不满意请按1，按1到5之间的数字。"
THANKS_TEXT = "感谢您的评价，再见。"
NO_ANSWER_TEXT = "没有收到您的评分，感谢您的配合，再见。"
APOLOGY_TEXT = "抱歉，暂时无法接通，我们会再与您联系。"


class OutcomeForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=[SelectChoice(*item) for item in OUTCOME_LABELS.items()], validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=callback_visits.MAX_NOTE)])


def case_callback_visit(ticket):
    """The case's latest callback visit, for the case page's panel."""
    return callback_visits.latest_visit(ticket)


def callback_visit_label(value):
    return OUTCOME_LABELS.get(value) or STATUS_LABELS.get(value) or value or ""


def _sections():
    """Scheduled visits split into due now, due later today (local) and later."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    end_of_today = local_to_utc(datetime.combine(local_today(tz) + timedelta(days=1), time()), tz)
    visits = db.session.scalars(
        select(FollowUp).where(FollowUp.status == FollowUpStatus.SCHEDULED)
        .order_by(FollowUp.due_at, FollowUp.id).limit(LIST_LIMIT)
    ).all()
    moment = now()
    return {
        "now": [v for v in visits if v.due_at <= moment],
        "today": [v for v in visits if moment < v.due_at < end_of_today],
        "later": [v for v in visits if v.due_at >= end_of_today],
    }


@bp.route("/")
@roles_required(*VISIT_ROLES)
def index():
    return render_template("followup/callback_visits.html", sections=_sections(), limit=LIST_LIMIT)


def _visit_or_404(visit_id):
    return db.session.get(FollowUp, visit_id) or abort(404)


@bp.route("/<int:visit_id>")
@roles_required(*VISIT_ROLES)
def visit(visit_id, form=None):
    visit = _visit_or_404(visit_id)
    return render_template("followup/callback_visit.html", visit=visit, ticket=visit.ticket,
                           form=form or OutcomeForm(), call=callback_visits.last_call(visit))


@bp.route("/<int:visit_id>/call", methods=["POST"])
@roles_required(*VISIT_ROLES)
def call(visit_id):
    visit = _visit_or_404(visit_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        callback_visits.call_complainant(visit, current_user, call_control(current_app.config))
    except (callback_visits.CannotCall, callback_visits.VisitClosed, CallControlError) as exc:
        db.session.rollback()
        flash(_("The call could not be placed: %(why)s", why=exc), "error")
    else:
        db.session.commit()
        flash(_("Calling the complainant; your phone rings when they answer."), "success")
    return redirect(url_for(".visit", visit_id=visit_id))


@bp.route("/<int:visit_id>/outcome", methods=["POST"])
@roles_required(*VISIT_ROLES)
def outcome(visit_id):
    visit = _visit_or_404(visit_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return visit_page_again(visit_id, form)
    try:
        callback_visits.record_outcome(visit, form.outcome.data, current_user, form.note.data)
    except callback_visits.VisitClosed:
        db.session.rollback()
        flash(_("This visit is already closed."), "error")
        return redirect(url_for(".visit", visit_id=visit_id))
    db.session.commit()
    flash(_("Outcome recorded: %(outcome)s", outcome=OUTCOME_LABELS[form.outcome.data]), "success")
    return redirect(url_for(".visit", visit_id=visit_id))


def visit_page_again(visit_id, form):
    response = visit(visit_id, form=form)
    return response, 400


@bp.route("/<int:visit_id>/survey", methods=["POST"])
@roles_required(*VISIT_ROLES)
def voice_survey(visit_id):
    visit = _visit_or_404(visit_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        callback_visits.hand_to_voice_survey(visit, current_user, call_control(current_app.config))
    except (callback_visits.CannotCall, CallControlError) as exc:
        db.session.rollback()
        flash(_("The call could not be handed over: %(why)s", why=exc), "error")
    else:
        db.session.commit()
        flash(_("The complainant hears the survey now; you may hang up."), "success")
    return redirect(url_for(".visit", visit_id=visit_id))


def _say(node, text):
    node.say(text, language="zh-CN", voice=current_app.config.get("VOICE_NAME", "Polly.Zhiyu"))
    return node


def _goodbye(text):
    response = _say(VoiceResponse(), text)
    response.hangup()
    return twiml(response)


@twilio_webhook
def connect(contact_id):
    """The complainant answered the visit's call: tell them why, then dial the operator."""
    attempt = callback_visits.attempt_of_call(contact_id)
    operator = calls.operator_phone(attempt.user) if attempt and attempt.user else None
    if operator is None:
        return _goodbye(APOLOGY_TEXT)
    response = _say(VoiceResponse(), with_case_number(CONNECT_TEXT, attempt.followup.ticket.number))
    response.dial(operator, caller_id=current_app.config["TWILIO_NUMBER"] or None, timeout=30)
    return twiml(response)


def _gather(contact_id, retry=False):
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=8, method="POST", action_on_empty_result=True,
                             action=public_url("callback_visits.survey_answer", contact_id=contact_id,
                                               **({"retry": "1"} if retry else {})))
    _say(gather, SURVEY_TEXT)
    return twiml(response)


@twilio_webhook
def survey(contact_id):
    if db.session.get(Contact, contact_id) is None:
        return _goodbye(APOLOGY_TEXT)
    return _gather(contact_id)


@twilio_webhook
def survey_answer(contact_id):
    """One digit 1-5 is the score; anything else is asked once more, then thanked."""
    attempt, digit = callback_visits.attempt_of_call(contact_id), request.form.get("Digits", "").strip()
    if attempt is None:
        return _goodbye(APOLOGY_TEXT)
    if digit not in ("1", "2", "3", "4", "5"):
        return _goodbye(NO_ANSWER_TEXT) if request.args.get("retry") else _gather(contact_id, retry=True)
    ticket, previous = attempt.followup.ticket, survey_of(attempt.followup.ticket)
    # Twilio retries a webhook it got no answer to: the same digit is not a second answer.
    if not (previous and previous.channel == "voice" and previous.score == int(digit)):
        record_answer(ticket, int(digit), channel="voice", actor=attempt.user)
        db.session.commit()
    return _goodbye(THANKS_TEXT)


@bp.record_once
def _twilio_routes(state):
    """Twilio's webhooks live under /twilio/ with every other one (the access tests walk that
    prefix), outside this blueprint's /followup/callbacks; endpoints keep the blueprint's name."""
    for rule, view in (("/<int:contact_id>/connect", connect), ("/<int:contact_id>/survey", survey),
                       ("/<int:contact_id>/survey-answer", survey_answer)):
        state.app.add_url_rule(TWILIO_PREFIX + rule, f"{bp.name}.{view.__name__}", view, methods=["POST"])
