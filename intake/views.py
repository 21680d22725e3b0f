"""Intake pages: the intake form operators fill during a call, and the keyword rules behind
the suggestion (supervisors)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from hotline import access, audit
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.inputs import WholeNumberField
from hotline.knowledge import answers
from hotline.models import Role, SuggestionRule, SuggestionTarget, TicketStatus
from hotline.telephony.callcontrol import CallControlError, call_control
from hotline.templating import word_list
from hotline.tickets import IllegalTransition
from hotline.timeutil import to_local
from intake import decisions
from intake import services as intake_services
from intake import suggestion_rules as services
from intake.api import MAX_TEXT
from intake.forms import KINDS, PARTIAL_KINDS, IntakeForm
from routing import divisions, referral_views
from routing.referrals import ReferralError

bp = Blueprint("intake", __name__)

TARGET_LABELS = {
    SuggestionTarget.KIND: _l("Kind"),
    SuggestionTarget.CATEGORY: _l("Category"),
    SuggestionTarget.PROBLEM: _l("Problem type"),
    SuggestionTarget.REFERRAL: _l("Referral"),
}


class TryForm(FlaskForm):
    """Paste a description, see what the saved rules suggest."""

    sample = TextAreaField(_l("Try it: paste a case description"),
                           validators=[DataRequired(), Length(max=MAX_TEXT)])
    try_it = SubmitField(_l("Try"))


class RuleForm(TryForm):
    """What a supervisor edits on a rule, with a sample to try the change on before saving."""

    sample = TextAreaField(_l("Try it: paste a case description"), validators=[Length(max=MAX_TEXT)])
    keywords = TextAreaField(_l("Keywords, one per line"), validators=[Length(max=services.MAX_KEYWORDS)])
    weight = WholeNumberField(_l("Weight per keyword"), default=1, validators=[InputRequired(), NumberRange(0, services.MAX_WEIGHT)])
    position = WholeNumberField(_l("Position (ties go to the lower)"), default=0,
                            validators=[InputRequired(), NumberRange(0, services.MAX_POSITION)])
    active = BooleanField(_l("Active"), default=True)
    save = SubmitField(_l("Save"))

    def changes(self):
        return {"keywords": self.keywords.data or "", "weight": self.weight.data,
                "position": self.position.data, "active": self.active.data}


class NewRuleForm(RuleForm):
    target = SelectField(_l("Target"), choices=[SelectChoice(t.value, label) for t, label in TARGET_LABELS.items()])
    value = StringField(_l("Value (kind, category code or referral key)"),
                        validators=[DataRequired(), Length(max=services.MAX_VALUE)])

    def validate_value(self, field):
        if self.target.errors:  # checked first; a value means nothing without a valid target
            return
        why = services.invalid_value(self.target.data, field.data.strip())
        if why:
            raise ValidationError(_("Not a valid value for this target: %(why)s.", why=why))

    def changes(self):
        return {**super().changes(), "target": self.target.data, "value": self.value.data.strip()}


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def rules():
    form = TryForm()
    suggestion = services.suggestion_for(form.sample.data) if form.validate_on_submit() else None
    return render_template("intake/rules.html", grouped=services.all_rules(), form=form,
                           suggestion=suggestion, labels=TARGET_LABELS, names=services.category_names())


@bp.route("/rules/new", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def new_rule():
    return _edit(None, NewRuleForm())


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def edit_rule(rule_id):
    rule = db.get_or_404(SuggestionRule, rule_id)
    return _edit(rule, RuleForm(obj=rule))


def _edit(rule, form):
    """Try the draft on the sample (nothing saved), or save it and go back to the list."""
    tried = None
    if form.validate_on_submit():
        if form.save.data:
            saved = services.save_rule(rule, current_user, form.changes(), ip=request.remote_addr)
            db.session.commit()
            flash(_("Rule saved."), "success")
            return redirect(url_for("intake.rules", _anchor=f"rule-{saved.id}"))
        if form.sample.data:
            tried = {"saved": services.suggestion_for(form.sample.data),
                     "draft": services.suggestion_for(form.sample.data, services.draft_rules(rule, form.changes()))}
    return render_template("intake/rule_form.html", rule=rule, form=form, tried=tried,
                           labels=TARGET_LABELS, names=services.category_names())


# ---- the intake form --------------------------------------------------------------------

FORM_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
REFUSALS = {
    "consultation_past_intake": _l("A case already past intake cannot become a consultation."),
    "answered_consultation": _l("An answered consultation cannot become a complaint or report: open a new case."),
    "already_split": _l("This case was already split: edit the linked report on its own page."),
    "report_past_intake": _l("A report already past intake stays a report: the reporter was not named to "
                             "the department. If they agree to be named, open a new complaint."),
    "confidential_past_intake": _l("The reporter asked for confidentiality and the case is past intake: it "
                                   "stays confidential (it may still be made anonymous)."),
}

@bp.route("/tickets/<number>", methods=["GET", "POST"])
@roles_required(*FORM_ROLES)
def form(number):
    ticket = _intake_ticket(number)
    if request.method == "POST":
        return _submit(ticket, _intake_form(ticket))
    divisions.warm_up()  # the respondent's address is read on save
    draft = intake_services.get_draft(ticket, current_user)
    if draft is not None:
        return _form_page(ticket, _intake_form(ticket, formdata=MultiDict(draft.data)), draft=draft)
    return _form_page(ticket, _intake_form(ticket, formdata=None, data=intake_services.initial_values(ticket)))


def call_opens_form(ticket):
    """An answered call on a case still being taken opens its intake form (hotline.calls),
    whatever kind the caller chose in the voice menu: a consultation is answered on the form too."""
    if ticket.status == TicketStatus.NEW:
        return url_for("intake.form", number=ticket.number)
    return None


def _intake_form(ticket, **kwargs):
    return IntakeForm(answers=ticket.answers, phones_on_file=intake_services.phones_on_file(ticket), **kwargs)


@bp.route("/tickets/<number>/reveal-phone", methods=["POST"])
@roles_required(*FORM_ROLES)
def reveal_phone(number):
    """The calling number in full, for this operator, written to the audit log (as on the case
    page). With JavaScript the form asks for JSON and keeps what is typed; without, the form is
    shown again from its saved draft or the case."""
    ticket = _intake_ticket(number)
    if ticket.caller is None or not access.can_reveal_phone(current_user, ticket):
        abort(403)
    audit.record(current_user, "reveal_phone", "ticket", ticket.number, ip=request.remote_addr)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return {"phone": ticket.caller.phone}
    draft = intake_services.get_draft(ticket, current_user)
    form = (_intake_form(ticket, formdata=MultiDict(draft.data)) if draft is not None
            else _intake_form(ticket, formdata=None, data=intake_services.initial_values(ticket)))
    return _form_page(ticket, form, draft=draft, revealed_phone=ticket.caller.phone)


@bp.route("/tickets/<number>/suggestion", methods=["POST"])
@roles_required(*FORM_ROLES)
def live_suggestion(number):
    """The suggestion panel for the facts as typed so far (the form asks as the operator types,
    debounced): the same service as POST /api/v1/suggest, rendered as the form shows it."""
    ticket = _intake_ticket(number)
    text = (request.form.get("facts") or "").strip()[:MAX_TEXT]
    suggestion = intake_services.suggestion_with_keyed_kind(ticket, services.suggestion_for(text) if text else None)
    return render_template("intake/_live_suggestion.html", ticket=ticket, suggestion=suggestion,
                           articles=answers.suggested(text), chosen_article=None)


@bp.route("/tickets/<number>/draft", methods=["POST"])
@roles_required(*FORM_ROLES)
def save_draft(number):
    ticket = _intake_ticket(number)
    data = intake_services.draft_data(request.form)
    if data is None:
        return {"error": _("The draft is too large to keep.")}, 413
    at = intake_services.save_draft(ticket, current_user, data)
    db.session.commit()
    return {"saved_at": to_local(at, current_app.config["HOTLINE_TIMEZONE"]).strftime("%H:%M:%S")}


@bp.route("/tickets/<number>/draft/discard", methods=["POST"])
@roles_required(*FORM_ROLES)
def discard_draft(number):
    ticket = _intake_ticket(number)
    intake_services.discard_draft(ticket, current_user)
    db.session.commit()
    flash(_("Draft discarded."), "info")
    return redirect(url_for("intake.form", number=ticket.number))


@bp.route("/tickets/<number>/refer", methods=["POST"])
@roles_required(*FORM_ROLES)
def refer(number):
    """Out of scope: refer the caller, keeping what the form holds. Posted from the intake form
    (no referral chosen yet: the referral page, carrying the typed values) or with the choice
    (`entry`, `note`; ?transfer=1 also moves a live call): everything saved in one request."""
    ticket = _intake_ticket(number)
    form = _intake_form(ticket)
    if not (form.is_submitted() and form.validate(complete=False)):
        return _form_page(ticket, form), 400
    conflict = intake_services.changes_since(ticket, form.expected_version(), form.seen_event_id())
    if conflict is not None:
        return _conflict(ticket, form, conflict)
    choice = referral_views.ReferForm()
    if not request.form.get("entry"):
        return _referral_page(ticket, form, choice), 200
    if not choice.validate():
        return _referral_page(ticket, form, choice), 400
    entry = referral_views.entry_or_400(choice.entry.data)
    transfer = request.args.get("transfer") == "1"
    try:
        intake_services.refer_with_intake(ticket, form.values(for_referral=True), entry, current_user,
                                          note=(choice.note.data or "").strip() or None,
                                          control=call_control(current_app.config) if transfer else None,
                                          claim=True)
    except (IllegalTransition, ReferralError, CallControlError) as exc:
        db.session.rollback()
        flash(referral_views.transfer_error(exc), "error")
        return _referral_page(ticket, form, choice), 502 if isinstance(exc, CallControlError) else 409
    db.session.commit()
    flash(_("Case referred to %(agency)s; the caller is sent an SMS. What you typed is kept on the case.",
            agency=entry.agency(get_locale())), "success")
    return redirect(url_for("console.ticket", number=ticket.number))


def _referral_page(ticket, form, choice):
    """The referral page, posting back here with the intake form's fields carried along. What
    was typed is kept as the operator's draft too (as the form's autosave keeps it), so going
    back to the form instead of referring loses nothing, typed a second before Alt+R or not."""
    carry = [(name, value) for name, value in request.form.items(multi=True)
             if name not in ("csrf_token", "entry", "note", "save", "confirm")]
    kept = [(form[name].label.text, form[name].data.strip()) for name in REFERRAL_SUMMARY
            if (form[name].data or "").strip()]
    data = intake_services.draft_data(request.form)
    if data is not None:
        intake_services.save_draft(ticket, current_user, data)
        db.session.commit()
    return referral_views.refer_page(
        ticket, choice, url_for("intake.refer", number=ticket.number),
        url_for("intake.refer", number=ticket.number, transfer="1"), carry=carry, kept=kept,
        back=url_for("intake.form", number=ticket.number))


# What the referral page lists as kept with the referral (the phone stays off: it is on the case).
REFERRAL_SUMMARY = ("complainant_name", "respondent_name", "respondent_address", "platform", "seller", "facts",
                    "demand")


def _submit(ticket, form):
    """Check, then show a conflict or the edit confirmation, or save."""
    if request.form.get("use_article"):
        return _use_article(ticket, form, request.form["use_article"])
    if "apply_suggestion" in request.form:
        return _apply_suggestion(ticket, form, request.form["apply_suggestion"])
    if request.form.get("find_articles"):
        # Without JavaScript: the form comes back with the suggestion and articles for the facts typed.
        return _form_page(ticket, form)
    # Kept incomplete only while new: once accepted, a save keeps the case complete.
    partial = (request.form.get("kind") or "") in PARTIAL_KINDS and ticket.status == TicketStatus.NEW
    if not (form.is_submitted() and form.validate(complete=not partial)):
        return _form_page(ticket, form), 400
    conflict = intake_services.changes_since(ticket, form.expected_version(), form.seen_event_id())
    if conflict is not None:
        return _conflict(ticket, form, conflict)
    values = form.values(for_referral=not form.kind.data)
    why = intake_services.refusal(ticket, values)
    if why:
        return _refused(ticket, form, why)
    if intake_services.needs_confirmation(ticket) and not form.confirm.data:
        pending = intake_services.pending_changes(ticket, values)
        if not pending and values.get("article") is None:
            flash(_("Nothing was changed."), "info")
            return redirect(url_for("console.ticket", number=ticket.number))
        if pending:
            return _form_page(ticket, form, pending=pending)
        # Only an article chosen for an answer already given: nothing to confirm, the use to record.
    return _save(ticket, form, values)


def _use_article(ticket, form, article_id):
    """An article's button without JavaScript: the form comes back with its short answer in the
    reply and the article chosen, as Alt+1..3 does in the browser. Nothing is saved yet."""
    article = answers.offered_article(article_id)
    if article is None:
        form.article_id.errors = [  # not validated yet: the field's errors are still an empty tuple
            _("The chosen knowledge article is no longer offered: choose another or answer in your own words.")]
        return _form_page(ticket, form), 400
    typed = (form.answer.data or "").strip()
    short = article.short_answer.strip()
    form.answer.data = short if not typed else typed if short in typed else f"{typed}\n{short}"
    form.article_id.data = str(article.id)
    # An answer from the knowledge base makes the case a consultation, whatever kind it had (the
    # caller's menu key or the suggestion), as Alt+1..3 does in the browser; the operator can
    # still choose another kind before saving.
    form.kind.data = "consultation"
    return _form_page(ticket, form, chosen_article=article)


def _apply_suggestion(ticket, form, posted):
    """The suggestion's button without JavaScript: the form comes back with the suggested kind,
    category and problem type chosen and everything else as typed, as Alt+A does in the browser.
    The button carries what its panel showed ("kind|category|problem type", a part empty when
    nothing was suggested for it), so the operator gets what they read even if the facts changed
    since. An empty part leaves the field as it was. Nothing is saved yet."""
    parts = posted.split("|")
    kind, category, problem = parts if len(parts) == 3 else ("?", "", "")
    group = form.category_group_of(category)
    if (kind and kind not in KINDS) or (category and not group) or (
            problem and problem not in {c.code for c in form.classes["problem"]}):
        # A tampered value, or a category switched off since the panel was drawn.
        form.kind.errors = [  # not validated yet: the field's errors are still an empty tuple
            _("The suggestion can no longer be applied: choose the kind and classification yourself.")]
        return _form_page(ticket, form), 400
    if kind:
        form.kind.data = kind
    if category:
        form.category.data, form.category_group.data = category, group
    if problem:
        form.problem_type.data = problem
    return _form_page(ticket, form)


def _refused(ticket, form, why):
    """The form again, the reason under the field that cannot change so (400); nothing saved."""
    field = form.confidential if why == "confidential_past_intake" else form.kind
    field.errors = [*field.errors, str(REFUSALS.get(why, why))]
    return _form_page(ticket, form), 400


def _save(ticket, form, values):
    seen = form.seen_event_id()
    try:
        saved = intake_services.save_intake(ticket, values, current_user, claim=True)
        db.session.commit()
    except intake_services.IntakeRefused as exc:
        db.session.rollback()
        return _refused(ticket, form, str(exc))
    except StaleDataError:
        # Someone saved between our check and our write: nothing of ours was written.
        db.session.rollback()
        return _conflict(ticket, form, intake_services.changes_since(ticket, None, seen) or [])
    missing = intake_services.missing_before_acceptance(saved.ticket)
    if missing:
        # Kept, not finished: back to the form, saying what acceptance still needs.
        flash(_("Case %(number)s saved. Still needed before it can be accepted: %(fields)s.",
                number=saved.ticket.number, fields=word_list(missing)), "warning")
        return redirect(url_for("intake.form", number=ticket.number))
    flash(_saved_message(saved), "success")
    if saved.answered is not None and saved.answered.no_phone:
        flash(_("No text was sent: the caller's number is withheld or unknown. Give the answer on the phone."),
              "warning")
    return redirect(url_for("console.ticket", number=ticket.number))


def _conflict(ticket, form, changes):
    form.refresh(ticket.version, intake_services.last_event_id(ticket))
    return _form_page(ticket, form, conflict=changes), 409


def _saved_message(saved):
    if saved.report is not None:
        return _("Case %(number)s saved as a complaint; the report was opened as case %(report)s and linked.",
                 number=saved.ticket.number, report=saved.report.number)
    if saved.ticket.kind == "consultation" and saved.answered is not None and saved.answered.message is not None:
        return _("Consultation %(number)s answered and closed; the answer and its link are texted to the caller.",
                 number=saved.ticket.number)
    if saved.ticket.kind == "consultation":
        return _("Consultation %(number)s answered and closed.", number=saved.ticket.number)
    return _("Case %(number)s saved.", number=saved.ticket.number)


def _form_page(ticket, form, **extra):
    text = form.facts.data or ticket.facts
    chosen = extra.pop("chosen_article", None) or (
        answers.offered_article(form.article_id.data) if form.article_id.data and not form.article_id.errors else None)
    if form.article_id.errors:
        form.article_id.data = ""  # refused: the next save goes without it, the typed answer stays
    return render_template(
        "intake/form.html", ticket=ticket, form=form,
        suggestion=intake_services.suggestion_with_keyed_kind(ticket, services.suggestion_for(text) if text else None),
        articles=answers.suggested(text), chosen_article=chosen,
        answer_phone=access.notice_phone(ticket) is not None,
        other_cases=access.other_cases(ticket, current_user),
        submitted=intake_services.is_submitted(ticket),
        may_reveal=ticket.caller is not None and access.can_reveal_phone(current_user, ticket),
        needed=_needed_inputs(ticket),
        **{"conflict": None, "pending": None, "revealed_phone": None, **extra},
    )


def _needed_inputs(ticket):
    """The form's input names of what a case kept incomplete still needs (its questions are q_<code>)."""
    prefix = decisions.ANSWER_PREFIX
    return [f"q_{name.removeprefix(prefix)}" if name.startswith(prefix) else name
            for name in intake_services.still_needed(ticket)]


def _intake_ticket(number):
    found = access.get_ticket(number, current_user)
    if found is None:
        abort(404)
    return found
