"""Intake pages. For now: supervisors maintain the keyword rules behind the suggestion."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from hotline.authz import roles_required
from hotline.extensions import db
from hotline.models import Role, SuggestionRule, SuggestionTarget
from intake import rules as services
from intake.api import MAX_TEXT

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
    keywords = TextAreaField(_l("Keywords, one per line"), validators=[Length(max=20_000)])
    weight = IntegerField(_l("Weight per keyword"), default=1, validators=[InputRequired(), NumberRange(0, 100)])
    position = IntegerField(_l("Position (ties go to the lower)"), default=0,
                            validators=[InputRequired(), NumberRange(0, 100_000)])
    active = BooleanField(_l("Active"), default=True)
    save = SubmitField(_l("Save"))

    def changes(self):
        return {"keywords": self.keywords.data or "", "weight": self.weight.data,
                "position": self.position.data, "active": self.active.data}


class NewRuleForm(RuleForm):
    target = SelectField(_l("Target"), choices=[SelectChoice(t.value, label) for t, label in TARGET_LABELS.items()])
    value = StringField(_l("Value (kind, category code or referral key)"),
                        validators=[DataRequired(), Length(max=32)])

    def validate_value(self, field):
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
