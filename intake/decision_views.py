"""Intake decisions: one-time codes, accept or reject, repeat flags, hot respondents."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from hotline import phones
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.models import RejectGround, Role, Ticket, TicketStatus
from hotline.templating import word_list
from intake import decisions, repeats, verification

bp = Blueprint("intake_decision", __name__)

DECIDERS = (Role.OPERATOR, Role.SUPERVISOR)

GROUND_LABELS = {
    RejectGround.OUT_OF_SCOPE: _l("Outside our duties or jurisdiction"),
    RejectGround.ALREADY_HANDLED: _l(
        "Already handled by a court, arbitrator, agency, consumers' association or mediator"),
    RejectGround.NOT_CONSUMPTION: _l("Not personal consumption, or no provable dispute"),
    RejectGround.TIME_BARRED: _l("More than 3 years since the consumer knew of the harm"),
    RejectGround.INFORMATION_MISSING: _l("Required information missing"),
    RejectGround.FALSE_MATERIALS: _l("False materials, or identity verification refused"),
    RejectGround.OTHER_LEGAL: _l("Other legal grounds"),
}
OTP_MESSAGES = {
    verification.NotNeeded: _l("There is no other number on the form to verify."),
    verification.SendLimit: _l("Too many codes sent for this case. Wait a few minutes before sending another."),
    verification.NoCode: _l("No code was sent to the number on the form. Send one first."),
    verification.Expired: _l("The code has expired. Send a new one."),
    verification.Locked: _l("Too many wrong tries: this code no longer works. Send a new one."),
}
REFUSALS = {
    "kind": _l("Only a complaint or a report can be accepted or rejected."),
    "status": _l("This case has already been decided."),
    "ground": _l("Choose a ground for not accepting."),
    "reason": _l("Give the reason for not accepting."),
}


class CodeForm(FlaskForm):
    code = StringField(_l("Code read back"), validators=[
        DataRequired(message=_l("Type the 6 digits of the code.")),
        Regexp(r"^\s*\d{6}\s*$", message=_l("Type the 6 digits of the code.")),
    ])


class RejectForm(FlaskForm):
    ground = SelectField(_l("Ground"), choices=[SelectChoice(g.value, label) for g, label in GROUND_LABELS.items()])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=REFUSALS["reason"]),
        Length(max=decisions.MAX_REJECT_REASON, message=_l("The reason may be at most %(max)d characters."))])


def template_helpers():
    """What the decision and verification partials need when another page includes them."""
    return {"intake_identity": verification.state, "intake_decision": _panel,
            "reject_ground_label": lambda g: GROUND_LABELS.get(g, g)}


def _panel(ticket):
    """Everything templates/intake/_decision.html shows for a case."""
    may_decide = current_user.is_authenticated and current_user.role in DECIDERS
    return {
        "may_decide": may_decide,
        "blocked": decisions.decidable(ticket),
        "missing": decisions.missing_labels(ticket),
        "telecom": decisions.is_telecom(ticket),
        "reject_form": RejectForm(formdata=None),
        "repeats": repeats.find_repeats(ticket) if may_decide else repeats.Repeats(),
        "window_days": current_app.config.get("REPEAT_WINDOW_DAYS", 30),
    }


@bp.route("/tickets/<number>/otp/send", methods=["POST"])
@roles_required(*DECIDERS)
def otp_send(number):
    ticket = _ticket(number, ConfirmForm())
    try:
        challenge = verification.send_code(ticket, current_user)
    except verification.OtpError as exc:
        flash(str(OTP_MESSAGES[type(exc)]), "error")
        return _back(ticket)
    db.session.commit()
    flash(_("Code sent to %(phone)s.", phone=phones.mask(challenge.phone)), "success")
    return _back(ticket)


@bp.route("/tickets/<number>/otp/verify", methods=["POST"])
@roles_required(*DECIDERS)
def otp_verify(number):
    form = CodeForm()
    ticket = _ticket(number, form, fields_ok=True)
    if form.errors:
        flash(form.errors["code"][0], "error")
        return _back(ticket)
    try:
        verification.verify_code(ticket, form.code.data, current_user)
        flash(_("Phone number verified."), "success")
    except verification.WrongCode as exc:
        flash(_("Wrong code. %(n)s tries left.", n=exc.tries_left), "error")
    except verification.OtpError as exc:
        flash(str(OTP_MESSAGES[type(exc)]), "error")
    db.session.commit()  # a wrong try counts even though nothing else changed
    return _back(ticket)


@bp.route("/tickets/<number>/accept", methods=["POST"])
@roles_required(*DECIDERS)
def accept(number):
    ticket = _ticket(number, ConfirmForm())
    return _decide(ticket, lambda: decisions.accept_ticket(ticket, current_user), lambda: _accepted(ticket))


def _accepted(ticket):
    """What accepting did: the routing rules may have forwarded the case at once, and the
    operator should not have to read the status badge to learn where it went."""
    if ticket.status == TicketStatus.FORWARDED and ticket.department is not None:
        return _("Case accepted and forwarded by the routing rules to %(department)s.",
                 department=ticket.department.name)
    return _("Case accepted. No routing rule matched: it waits on the triage list for a department.")


@bp.route("/tickets/<number>/reject", methods=["POST"])
@roles_required(*DECIDERS)
def reject(number):
    form = RejectForm()
    ticket = _ticket(number, form, fields_ok=True)
    if form.errors:
        flash(str(form.errors["reason"][0] if "reason" in form.errors else REFUSALS["ground"]), "error")
        return _back(ticket)
    return _decide(ticket, lambda: decisions.reject_ticket(ticket, form.ground.data, form.reason.data, current_user),
                   _("Case not accepted; the complainant will be told."))


@bp.route("/tickets/<number>/duplicate-of/<other>", methods=["POST"])
@roles_required(*DECIDERS)
def duplicate_of(number, other):
    ticket = _ticket(number, ConfirmForm())
    original = db.first_or_404(select(Ticket).where(Ticket.number == other))
    try:
        repeats.link_duplicate(ticket, original, current_user)
    except repeats.DuplicateRefused:
        flash(_("A case cannot be a duplicate of itself or of its own duplicate."), "error")
        return _back(ticket)
    db.session.commit()
    flash(_("Linked as a duplicate of %(number)s.", number=original.number), "success")
    return _back(ticket)


@bp.route("/hot-respondents")
@roles_required(Role.SUPERVISOR)
def hot_respondents():
    config = current_app.config
    return render_template(
        "intake/hot_respondents.html", hot=repeats.hot_respondents(),
        threshold=config.get("HOT_RESPONDENT_THRESHOLD", 5), days=config.get("HOT_RESPONDENT_DAYS", 7),
    )


def _ticket(number, form, fields_ok=False):
    """The case by number (404) once the form's CSRF token checks out (400); field errors stay on the form."""
    ticket = db.first_or_404(select(Ticket).where(Ticket.number == number))
    if not form.validate_on_submit() and (not fields_ok or "csrf_token" in form.errors):
        abort(400)
    return ticket


def _decide(ticket, decide, done):
    """Run an accept/reject service; a refusal or a concurrent change is flashed, nothing saved."""
    try:
        decide()
        db.session.commit()
    except decisions.DecisionRefused as exc:
        db.session.rollback()
        message = REFUSALS.get(exc.why) or _("Cannot accept yet. Missing: %(fields)s.", fields=word_list(
            decisions.missing_labels(ticket, exc.missing)))
        flash(str(message), "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this case meanwhile. Look again before deciding."), "error")
    else:
        flash(done() if callable(done) else done, "success")
    return _back(ticket)


def _back(ticket):
    """Back to the page the form was on (same site only), else the case page."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target:
        target = url_for("console.ticket", number=ticket.number)
    return redirect(target, code=303)
