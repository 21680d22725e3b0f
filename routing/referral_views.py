"""The referral directory, referring a case, call transfer TwiML, appeals."""

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from twilio.twiml.voice_response import VoiceResponse
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from hotline import inputs, timeutil
from hotline.access import get_ticket
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.models import IntakeDraft, ReferralEntry, Role, Ticket
from hotline.telephony.callcontrol import CallControlError, call_control
from hotline.telephony.signature import twilio_webhook, twiml
from hotline.tickets import IllegalTransition
from routing import referral_texts as texts
from routing import referrals

bp = Blueprint("referrals", __name__)

CASE_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
APPEAL_CHANNEL_LABELS = {"voice": _l("By phone"), "callback": _l("At the callback visit"),
                         "console": _l("In person or in writing"), "sms": _l("By SMS")}
APPEAL_TARGET_LABELS = {"department": _l("Back to the department"), "supervisor": _l("To the supervisors")}


class ReferForm(FlaskForm):
    entry = StringField(_l("Referral"), validators=[DataRequired(_l("Choose where to refer the caller."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class AppealForm(FlaskForm):
    reason = TextAreaField(_l("What the complainant is unhappy with"), validators=[DataRequired(), Length(max=referrals.MAX_APPEAL_REASON)])
    channel = SelectField(_l("How the appeal came in"), choices=[
        SelectChoice(key, APPEAL_CHANNEL_LABELS[key]) for key in referrals.STAFF_APPEAL_CHANNELS])
    target = SelectField(_l("Reopen"), choices=[SelectChoice(*item) for item in APPEAL_TARGET_LABELS.items()])


class EntryForm(FlaskForm):
    agency_zh = StringField(_l("Agency (Chinese)"), validators=[DataRequired(), Length(max=referrals.MAX_AGENCY)])
    agency_en = StringField(_l("Agency (English)"), validators=[DataRequired(), Length(max=referrals.MAX_AGENCY)])
    hotline = StringField(_l("Hotline"), validators=[Optional(), Length(max=referrals.MAX_HOTLINE)])
    scope = TextAreaField(_l("Scope"), validators=[Optional(), Length(max=referrals.MAX_SCOPE)])
    caller_script = TextAreaField(_l("What to tell the caller"),
                                  validators=[Optional(), Length(max=referrals.MAX_CALLER_SCRIPT)])
    sms_text = TextAreaField(_l("SMS text ({number} is the case number)"),
                             validators=[Optional(), Length(max=referrals.MAX_SMS_TEXT)])
    transfer_number = StringField(_l("Transfer number (E.164, for call transfer)"), validators=[
        Optional(), Regexp(referrals.E164, message=_l("An international number such as +861012345678."))])
    position = inputs.WholeNumberField(_l("Position"), default=0, validators=[InputRequired(), NumberRange(0, referrals.MAX_POSITION)])
    active = BooleanField(_l("Active"), default=True)

    def changes(self):
        values = {field: getattr(self, field).data for field in referrals.EDITABLE}
        return {k: v.strip() or None if isinstance(v, str) else v for k, v in values.items()}


class NewEntryForm(EntryForm):
    key = StringField(_l("Key (as the suggestion rules use it)"), validators=[
        DataRequired(), Regexp(referrals.KEY, message=_l("Letters, digits, - or _ (at most 32)."))])

    def validate_key(self, field):
        if referrals.key_taken(field.data):
            raise ValidationError(_("An entry with this key exists already."))

    def changes(self):
        return {**super().changes(), "key": self.key.data}




def template_helpers():
    """What templates/routing/_appeal.html needs when the ticket page includes it."""
    return {"appeal_form": AppealForm, "appeal_roles": CASE_ROLES,
            "appealable": lambda ticket: ticket.status in referrals.APPEALABLE,
            "referable": lambda ticket: ticket.status in referrals.REFERABLE}


# --- referring a case -------------------------------------------------------------------


@bp.route("/tickets/<number>", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def refer(number):
    ticket, form = _ticket(number), ReferForm()
    if not form.validate_on_submit():
        return _refer_page(ticket, form), 400 if request.method == "POST" else 200
    entry = entry_or_400(form.entry.data)
    try:
        referrals.refer(ticket, entry, current_user, note=form.note.data or None)
    except IllegalTransition:
        db.session.rollback()
        flash(_("This case cannot be referred now: only a new or accepted case can."), "error")
        return _refer_page(ticket, form), 409
    db.session.commit()
    flash(_("Case referred to %(agency)s; the caller is sent an SMS.", agency=entry.agency(get_locale())), "success")
    return redirect(url_for("console.ticket", number=ticket.number))


@bp.route("/tickets/<number>/transfer", methods=["POST"])
@roles_required(*CASE_ROLES)
def transfer(number):
    ticket, form = _ticket(number), ReferForm()
    if not form.validate_on_submit():
        return _refer_page(ticket, form), 400
    entry = entry_or_400(form.entry.data)
    try:
        referrals.refer_call(ticket, entry, current_user, call_control(current_app.config), note=form.note.data or None)
    except (IllegalTransition, referrals.ReferralError, CallControlError) as exc:
        db.session.rollback()
        flash(transfer_error(exc), "error")
        return _refer_page(ticket, form), 409 if not isinstance(exc, CallControlError) else 502
    db.session.commit()
    flash(_("The call is being transferred to %(agency)s.", agency=entry.agency(get_locale())), "success")
    return redirect(url_for("console.ticket", number=ticket.number))


def transfer_error(exc):
    if isinstance(exc, IllegalTransition):
        return _("This case cannot be referred now: only a new or accepted case can.")
    if isinstance(exc, CallControlError):
        return _("Twilio did not move the call; nothing was changed. Tell the caller the number instead.")
    return _("The caller is not on the line: nothing to transfer.")


def _refer_page(ticket, form):
    return refer_page(ticket, form, url_for("referrals.refer", number=ticket.number),
                      url_for("referrals.transfer", number=ticket.number),
                      unsaved_draft=db.session.get(IntakeDraft, (ticket.id, current_user.id)) is not None)


def refer_page(ticket, form, action, transfer_action, carry=(), kept=(), unsaved_draft=False, back=None):
    """The referral page: the directory, the suggested entry first, and what each tells the caller.

    `action` / `transfer_action`: where the choice is posted. The intake form's referral posts
    it to intake, with what the operator typed carried along as `carry` ((name, value) pairs
    sent back untouched) and summed up as `kept` ((label, value) pairs shown to the operator);
    `back` is then the form, which the page's back link returns to (else the case page).
    """
    key = referrals.suggested_key(ticket, request.args.get("suggested"))
    entries = referrals.suggested_first(referrals.directory(), key)
    return render_template("routing/referral_refer.html", ticket=ticket, form=form, entries=entries,
                           suggested=key, live_call=referrals.live_call(ticket),
                           may_refer=ticket.status in referrals.REFERABLE, sms_for=texts.sms_for,
                           action=action, transfer_action=transfer_action, carry=carry, kept=kept,
                           unsaved_draft=unsaved_draft, back=back)


@twilio_webhook
def transfer_twiml(ticket_id, key):
    """What the transferred caller hears: the entry's script, then the entry's number."""
    entry, ticket = referrals.entry_by_key(key, active_only=False), db.session.get(Ticket, ticket_id)
    response, voice = VoiceResponse(), current_app.config.get("VOICE_NAME", "Polly.Zhiyu")
    if entry is None or ticket is None:
        response.say(texts.TRANSFER_UNAVAILABLE, language="zh-CN", voice=voice)
        response.hangup()
        return twiml(response)
    if entry.caller_script:
        response.say(entry.caller_script, language="zh-CN", voice=voice)
    number = referrals.dial_number(entry)
    if number:
        response.dial(number, timeout=30)
    response.say(texts.TRANSFER_GOODBYE.format(hotline=number or ""), language="zh-CN", voice=voice)
    response.hangup()
    return twiml(response)


# Twilio's webhooks all live under /twilio/, where the route walk (tests/core/test_access.py)
# proves each refuses unsigned requests; a blueprint can only add routes under its own prefix.
bp.record_once(lambda state: state.app.add_url_rule(
    "/twilio/referrals/transfer/<int:ticket_id>/<key>", f"{state.name}.transfer_twiml", transfer_twiml,
    methods=["POST"],
))


# --- appeals ----------------------------------------------------------------------------


@bp.route("/tickets/<number>/appeal", methods=["POST"])
@roles_required(*CASE_ROLES)
def appeal(number):
    ticket, form = _ticket(number), AppealForm()
    if not form.validate_on_submit():
        return render_template("routing/appeal_form.html", ticket=ticket, form=form), 400
    try:
        referrals.open_appeal(ticket, form.channel.data, form.reason.data.strip(), current_user,
                              target=form.target.data)
    except referrals.AppealRefused:
        db.session.rollback()
        flash(_("Only a resolved or closed case can be appealed."), "error")
        return render_template("routing/appeal_form.html", ticket=ticket, form=form), 409
    db.session.commit()
    flash(_("Appeal recorded; the case is reopened."), "success")
    return redirect(url_for("console.ticket", number=ticket.number))


@bp.route("/appeals")
@roles_required(Role.SUPERVISOR)
def appeals():
    start_day, end_day, error = _period()
    tz = current_app.config["HOTLINE_TIMEZONE"]
    start = timeutil.local_to_utc(_midnight(start_day), tz)
    end = timeutil.local_to_utc(_midnight(end_day + timedelta(days=1)), tz)
    # A period that cannot be read: the page with the last 30 days, saying why, the dates as typed.
    typed = {name: request.args.get(name, "")[:MAX_TYPED_DAY] for name in ("start", "end")} if error else {}
    return render_template("routing/appeals.html", start=start_day, end=end_day, error=error, typed=typed,
                           counts=referrals.appeal_counts(start, end),
                           appeals=referrals.appeals_between(start, end),
                           channels=APPEAL_CHANNEL_LABELS, targets=APPEAL_TARGET_LABELS), 400 if error else 200


MAX_TYPED_DAY = 40  # what of a refused date is shown back


def _period():
    """?start=&end= as local dates (both included), the last 30 days by default, and why the
    period asked for could not be used (then the default) or None."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    today = timeutil.local_today(tz)
    end = inputs.parse_typed_date(request.args.get("end") or today.isoformat())
    start = end and inputs.parse_typed_date(request.args.get("start") or (end - timedelta(days=29)).isoformat())
    error = None
    if start is None:
        error = _("Dates are written YYYY-MM-DD.")
    elif start > end or (end - start).days > 3660:
        error = _("The period must start before it ends and span at most ten years.")
    if error:
        return today - timedelta(days=29), today, error
    return start, end, None


def _midnight(day):
    return datetime.combine(day, time())


# --- the directory ----------------------------------------------------------------------


@bp.route("/directory")
@roles_required(Role.SUPERVISOR)
def directory():
    return render_template("routing/referral_directory.html", entries=referrals.directory(active_only=False),
                           toggle_form=ConfirmForm())


@bp.route("/directory/new", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def new_entry():
    return _edit(None, NewEntryForm())


@bp.route("/directory/<int:entry_id>", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def edit_entry(entry_id):
    entry = db.get_or_404(ReferralEntry, entry_id)
    return _edit(entry, EntryForm(obj=entry))


@bp.route("/directory/<int:entry_id>/active", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def toggle_entry(entry_id):
    entry = db.get_or_404(ReferralEntry, entry_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    referrals.set_active(entry, not entry.active, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(_("Entry activated.") if entry.active else _("Entry deactivated."), "success")
    return redirect(url_for("referrals.directory", _anchor=f"entry-{entry.id}"))


def _edit(entry, form):
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("routing/referral_form.html", entry=entry, form=form), status
    saved = referrals.save_entry(entry, current_user, form.changes(), ip=request.remote_addr)
    db.session.commit()
    flash(_("Referral entry saved."), "success")
    return redirect(url_for("referrals.directory", _anchor=f"entry-{saved.id}"))


def _ticket(number):
    found = get_ticket(number, current_user)
    if found is None:
        abort(404)
    return found


def entry_or_400(key):
    entry = referrals.entry_by_key(key)
    if entry is None:
        abort(400, _("That referral entry does not exist or is not active."))
    return entry
