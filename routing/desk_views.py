"""The department desk: the department's queue, take up or return, mediation, results."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from hotline import inputs
from hotline.access import can_reveal_phone, can_see_identity, notice_phone
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm, TypedDateField
from hotline.knowledge import replies
from hotline.models import CaseResult, ReplyScope, Role, TicketKind
from hotline.tickets import IllegalTransition
from hotline.timeutil import local_today, now
from routing import desk

bp = Blueprint("desk", __name__)

DESK_ROLES = (Role.DEPARTMENT, Role.SUPERVISOR)
TAB_LABELS = {
    "new": _l("Not yet taken up"), "in_progress": _l("In progress"), "due_soon": _l("Due soon"), "overdue": _l("Overdue"),
}
RETURN_REASONS = {
    "wrong_department": _l("Wrong department"), "missing_information": _l("Information missing"), "other": _l("Other"),
}
STEP_KINDS = {"business_contact": _l("Contact with the business"), "mediation": _l("Mediation step")}
# A report is checked, not mediated: the same step codes in a report's words.
REPORT_STEP_KINDS = {**STEP_KINDS, "mediation": _l("Handling step")}
RESULT_LABELS = {
    CaseResult.MEDIATED: _l("Mediated"),
    CaseResult.MEDIATION_FAILED: _l("Mediation failed"),
    CaseResult.TERMINATED: _l("Mediation terminated"),
    CaseResult.CASE_OPENED: _l("Investigation opened"),
    CaseResult.CASE_NOT_OPENED: _l("No investigation opened"),
}
OUTCOMES = {
    "refund": _l("Refund"), "exchange": _l("Exchange"), "repair": _l("Repair"),
    "compensation": _l("Compensation"), "other": _l("Other"),
}
TERMINATION_REASONS = {
    "withdrawn": _l("The complainant withdrew"),
    "refused": _l("A party refused mediation"),
    "unreachable": _l("A party could not be reached"),
    "handled_elsewhere": _l("Handled by a court, arbitrator or another agency"),
    "other": _l("Other (explain in the note)"),
}
CLOCK_LABELS = {
    "mediation": _l("Mediation"), "notify_end": _l("Notify end of mediation"),
    "reporter_notice": _l("Notify reporter"), "appeal": _l("Appeal"),
}


def step_kinds(kind):
    """The names of a case's steps: a report's words for a report, mediation's otherwise."""
    return REPORT_STEP_KINDS if kind == TicketKind.REPORT else STEP_KINDS


def _choices(table):
    return [(key, str(text)) for key, text in table.items()]


class ReturnForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=lambda: _choices(RETURN_REASONS))
    text = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=desk.MAX_RETURN_TEXT)])


class StepForm(FlaskForm):
    kind = SelectField(_l("Step"), choices=lambda: _choices(STEP_KINDS))
    # Most steps are logged the day they happen: today is filled in. InputRequired, not
    # DataRequired: DataRequired hides "not a date" behind "required".
    on = TypedDateField(_l("Date"), validators=[InputRequired()], default=lambda: local_today(
        current_app.config["HOTLINE_TIMEZONE"]))
    text = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=desk.MAX_STEP_TEXT)])


class ResultForm(FlaskForm):
    result = HiddenField(validators=[DataRequired()])
    outcome = SelectField(_l("What the consumer got"), choices=lambda: [("", "—"), *_choices(OUTCOMES)],
                          validate_choice=False)
    amount = StringField(_l("Amount (yuan)"), validators=[Optional(), Length(max=16)])
    reason = SelectField(_l("Reason"), choices=lambda: [("", "—"), *_choices(TERMINATION_REASONS)],
                         validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=desk.MAX_RESULT_NOTE)])

    def detail(self):
        """The choices as record_result checks them (absent fields come back None)."""
        return {"outcome": self.outcome.data, "amount": (self.amount.data or "").strip(), "reason": self.reason.data}


@bp.context_processor
def _desk_labels():
    return {"desk_labels": {
        "tabs": TAB_LABELS, "returns": RETURN_REASONS, "steps": STEP_KINDS, "results": RESULT_LABELS,
        "outcomes": OUTCOMES, "terminations": TERMINATION_REASONS, "clocks": CLOCK_LABELS,
    }, "desk_now": now()}


@bp.route("")
@roles_required(*DESK_ROLES)
def index():
    tab = request.args.get("tab", "new")
    tab = tab if tab in desk.TABS else "new"
    department_id = desk.desk_department(current_user, inputs.int_arg("department"))
    page = desk.queue(department_id, tab, inputs.page_arg())
    return render_template(
        "routing/desk.html", tab=tab, page=page, counts=desk.tab_counts(department_id),
        deadlines=desk.next_deadlines(page.items), department_id=department_id,
        departments=desk.departments() if current_user.role == Role.SUPERVISOR else [],
    )


@bp.route("/tickets/<number>")
@roles_required(*DESK_ROLES)
def ticket(number):
    return _ticket_page(_ticket(number))


@bp.route("/tickets/<number>/take-up", methods=["POST"])
@roles_required(Role.DEPARTMENT)
def take_up(number):
    found = _own_ticket(number)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _act(found, lambda: desk.take_up(found, current_user), _("Case taken up."))


@bp.route("/tickets/<number>/return", methods=["POST"])
@roles_required(Role.DEPARTMENT)
def return_ticket(number):
    found, form = _own_ticket(number), ReturnForm()
    if not form.validate_on_submit():
        return _ticket_page(found, 400, return_form=form)
    action = lambda: desk.return_to_triage(found, form.reason.data, form.text.data, current_user)  # noqa: E731
    return _act(found, action, _("Case returned to the hotline."), url_for("desk.index"), return_form=form)


@bp.route("/tickets/<number>/steps", methods=["POST"])
@roles_required(Role.DEPARTMENT)
def add_step(number):
    found, form = _own_ticket(number), StepForm()
    # A canned reply picked without JavaScript: "Insert" shows the case again with it filled in
    # for this case; recording with an empty text records it.
    picked = replies.picked_text(request.form.get("canned_reply"), found, ReplyScope.DESK)
    if "insert_reply" in request.form:  # never records, even with nothing picked
        form.text.data = "\n".join(t for t in ((form.text.data or "").rstrip(), picked) if t)
        return _ticket_page(found, step_form=form)
    if picked and not (form.text.data or "").strip():
        form.text.data = picked
    if not form.validate_on_submit():
        return _ticket_page(found, 400, step_form=form)
    action = lambda: desk.record_step(found, form.kind.data, form.text.data, form.on.data, current_user)  # noqa: E731
    return _act(found, action, _("Step recorded."), step_form=form)


@bp.route("/tickets/<number>/result", methods=["POST"])
@roles_required(Role.DEPARTMENT)
def record_result(number):
    found, form = _own_ticket(number), ResultForm()
    if not form.validate_on_submit():
        return _ticket_page(found, 400, result_form=form)
    action = lambda: desk.record_result(found, form.result.data, form.detail(), form.note.data, current_user)  # noqa: E731
    return _act(found, action, _("Result recorded; the notice is queued."), result_form=form)


def _ticket(number):
    found = desk.get_ticket(number, current_user)
    if found is None:
        abort(404)
    return found


def _own_ticket(number):
    found = _ticket(number)
    if not desk.may_act(current_user, found):
        abort(403)
    return found


def _act(found, action, done, next_url=None, **forms):
    """Run a desk service; commit and go on, or show the case again with the refusal."""
    try:
        action()
    except (desk.DeskError, IllegalTransition) as exc:
        db.session.rollback()
        message = str(exc) if isinstance(exc, desk.DeskError) else _("The case's status does not allow this.")
        flash(message, "error")
        return _ticket_page(found, 409 if isinstance(exc, IllegalTransition) else 400, **forms)
    db.session.commit()
    flash(done, "success")
    return redirect(next_url or url_for("desk.ticket", number=found.number))


def _ticket_page(found, status=200, return_form=None, step_form=None, result_form=None):
    result_forms = {r: ResultForm(formdata=None, result=r.value) for r in desk.RESULTS.get(found.kind, ())}
    if result_form is not None and result_form.result.data in result_forms:
        result_forms[result_form.result.data] = result_form
    identity = can_see_identity(current_user, found)
    step_form = step_form or StepForm(formdata=None)
    step_form.kind.choices = _choices(step_kinds(found.kind))
    return render_template(
        "routing/desk_ticket.html", ticket=found, may_act=desk.may_act(current_user, found),
        shows_identity=identity, notice_phone=notice_phone(found) if identity else None,
        may_reveal=identity and found.caller is not None and can_reveal_phone(current_user, found),
        steps=desk.steps(found), step_labels=step_kinds(found.kind), deadlines=desk.deadlines(found),
        confirm_form=ConfirmForm(), return_form=return_form or ReturnForm(formdata=None), step_form=step_form,
        result_forms=result_forms,
    ), status
