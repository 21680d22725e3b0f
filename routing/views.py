"""Routing pages: departments and routing rules (supervisors), the rule tester, the triage
list and the one-click forward (operators and supervisors).

Department staff reach nothing here: they get their cases at /desk.
"""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from hotline import inputs, phones
from hotline.access import get_ticket
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.models import Category, CategoryGroup, Department, Role, RoutingRule, RuleAction, TicketKind
from hotline.tickets import IllegalTransition
from routing import divisions, services
from routing import rule_matching as matching

bp = Blueprint("routing", __name__)

HOURS = services.WORKING_HOURS
KINDS = [SelectChoice("", _l("Any kind")), SelectChoice(TicketKind.COMPLAINT.value, _l("Complaint")),
         SelectChoice(TicketKind.REPORT.value, _l("Report")),
         SelectChoice(TicketKind.CONSULTATION.value, _l("Consultation"))]
ACTIONS = [SelectChoice(RuleAction.AUTO.value, _l("Forward at once")),
           SelectChoice(RuleAction.ASK.value, _l("Operator confirms"))]
CONDITIONS = {
    "kind": _l("Kind"), "category": _l("Category"), "problem_type": _l("Problem type"),
    "region": _l("Respondent's region"), "keywords": _l("Keywords"), "respondent": _l("Respondent"),
}
LEVELS = {"province": _l("Province"), "city": _l("City"), "district": _l("District")}
FIELD_NAMES = {
    "name": lazy_pgettext("thing", "Name"), "position": _l("Position"), "active": _l("Active"), "kind": _l("Kind"),
    "category_id": _l("Category"), "problem_type_id": _l("Problem type"), "region": _l("Respondent's region"),
    "division": _l("Respondent's division"), "keywords": _l("Keywords"), "respondent": _l("Respondent"), "department_id": _l("Department"),
    "action": _l("Action"),
}


_optional_int = inputs.coerce_id


def _category_choices(*groups, blank):
    rows = db.session.scalars(
        select(Category).where(Category.group.in_(groups), Category.active.is_(True))
        .order_by(Category.group, Category.parent_id.is_not(None), Category.code)
    )
    return [SelectChoice(None, blank)] + [
        SelectChoice(c.id, f"{c.code} {c.name_zh}" if c.parent_id else f"[{c.name_zh}]") for c in rows]


class TesterForm(FlaskForm):
    """A sample case (or a past one by number) to run the rules on."""

    test_text = TextAreaField(_l("Case description"), validators=[Length(max=5000)])
    test_number = StringField(_l("…or a past case number"), validators=[Length(max=20)])
    test_kind = SelectField(_l("Kind"), choices=KINDS, default="")
    test_category = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    test_problem = SelectField(_l("Problem type"), coerce=_optional_int, validate_choice=False)
    test_region = StringField(_l("Respondent's address or region"), validators=[Length(max=200)])
    test_respondent = StringField(_l("Respondent"), validators=[Length(max=200)])
    test_platform = StringField(_l("Platform"), validators=[Length(max=100)])
    try_it = SubmitField(_l("Test"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.test_category.choices = _category_choices(CategoryGroup.GOODS, CategoryGroup.SERVICES, blank="—")
        self.test_problem.choices = _category_choices(CategoryGroup.PROBLEM, blank="—")

    def case(self):
        """The case to test, or None when the number names no case."""
        number = (self.test_number.data or "").strip()
        if number:
            ticket = get_ticket(number, current_user)
            return services.case_of(ticket) if ticket else None
        return services.sample_case(
            self.test_text.data, kind=self.test_kind.data,
            category=db.session.get(Category, self.test_category.data or 0),
            problem_type=db.session.get(Category, self.test_problem.data or 0),
            region=self.test_region.data, respondent=self.test_respondent.data,
            platform=self.test_platform.data)


class RuleForm(TesterForm):
    """A routing rule as supervisors edit it, with the tester beside it."""

    name = StringField(lazy_pgettext("thing", "Name"), validators=[DataRequired(), Length(max=services.MAX_RULE_NAME)])
    kind = SelectField(_l("Kind"), choices=KINDS, default="")
    category_id = SelectField(_l("Category"), coerce=_optional_int)
    problem_type_id = SelectField(_l("Problem type"), coerce=_optional_int)
    division_province = StringField(_l("Province"), validators=[Length(max=6)])
    division_city = StringField(_l("City"), validators=[Length(max=6)])
    division_district = StringField(_l("District"), validators=[Length(max=6)])
    # A region rule written as text before division codes, which no division was found for.
    region = StringField(_l("Respondent's region as text (an old rule's)"), validators=[Length(max=services.MAX_RULE_REGION)])
    keywords = TextAreaField(_l("Keywords in the facts, one per line (any one matches)"),
                             validators=[Length(max=services.MAX_RULE_KEYWORDS)])
    respondent = StringField(_l("Respondent (part of the business's name)"),
                             validators=[Length(max=services.MAX_RULE_RESPONDENT)])
    department_id = SelectField(_l("Department"), coerce=_optional_int)
    action = SelectField(_l("Action"), choices=ACTIONS, default=RuleAction.AUTO.value)
    active = BooleanField(_l("Active"), default=True)
    reason = StringField(_l("Reason for this change"), validators=[Length(max=services.MAX_RULE_REASON)])
    save = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = _category_choices(CategoryGroup.GOODS, CategoryGroup.SERVICES, blank=_("Any"))
        self.problem_type_id.choices = _category_choices(CategoryGroup.PROBLEM, blank=_("Any"))
        self.department_id.choices = [SelectChoice(None, _("Triage queue (no department)"))] + [
            SelectChoice(d.id, f"{d.code} {d.name}") for d in services.departments()]
        rule = kwargs.get("obj")
        if rule is not None and not self.is_submitted():
            levels = [d.code for d in divisions.chain(rule.division)]
            for field, code in zip((self.division_province, self.division_city, self.division_district), levels,
                                   strict=False):
                field.data = code

    def validate_division_district(self, field):
        try:
            self.division = divisions.pick(self.division_province.data, self.division_city.data, field.data)
        except divisions.UnknownDivision as exc:
            raise ValidationError(_("Not a division on the list: choose again.")) from exc

    def changes(self):
        values = {name: getattr(self, name).data for name in services.RULE_FIELDS
                  if name not in ("position", "division")}
        return {**values, "division": getattr(self, "division", None)}


class QuickForm(FlaskForm):
    """Reorder or (de)activate from the list; the reason is still required."""

    op = SelectField(choices=[SelectChoice(op) for op in ("up", "down", "activate", "deactivate")])
    reason = StringField(_l("Reason"), validators=[Length(max=services.MAX_RULE_REASON)])


class DepartmentForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=services.MAX_DEPARTMENT_CODE),
                                               Regexp(services.DEPARTMENT_CODE)])
    name = StringField(lazy_pgettext("thing", "Name"),
                       validators=[DataRequired(), Length(max=services.MAX_DEPARTMENT_NAME)])
    region = StringField(_l("Region"), validators=[Length(max=services.MAX_DEPARTMENT_REGION)])
    categories = inputs.ChoicesField(_l("Categories handled"), coerce=int)
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=services.MAX_DEPARTMENT_PHONE)])
    working_hours = StringField(_l("Working hours (HH:MM-HH:MM)"), validators=[Optional(), Regexp(HOURS)])
    description = TextAreaField(_l("Description"), validators=[Length(max=services.MAX_DEPARTMENT_DESCRIPTION)])
    sms_lead = BooleanField(_l("Text the department's leads when a case runs late"))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, department=None, *args, **kwargs):
        super().__init__(*args, obj=department, **kwargs)
        self.department = department
        self.categories.choices = [SelectChoice(c.id, f"{c.code} {c.name_zh}") for c in services.handled_categories()]
        if department is not None and not self.is_submitted():
            self.categories.data = [c.id for c in department.categories]

    def validate_code(self, field):
        if services.code_taken(field.data, self.department):
            raise ValidationError(_("Another department already uses this code."))

    def validate_contact_phone(self, field):
        try:
            field.data and phones.normalise(field.data)
        except phones.InvalidPhone as exc:
            raise ValidationError(_("Not a phone number.")) from exc

    def changes(self):
        return {name: getattr(self, name).data for name in services.DEPARTMENT_FIELDS}


class ParseForm(FlaskForm):
    address = StringField(validators=[DataRequired(), Length(max=500)])


class ForwardForm(FlaskForm):
    department = inputs.WholeNumberField(validators=[DataRequired()])
    instructions = TextAreaField(_l("Instructions to the department"),
                                 validators=[Length(max=services.MAX_INSTRUCTIONS)])
    next = HiddenField()


# --- rules -------------------------------------------------------------------------------


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def rules():
    form = TesterForm()
    tried = _try(form, None) if form.validate_on_submit() else None
    return render_template("routing/rules.html", rules=services.all_rules(), form=form, tried=tried,
                           quick=QuickForm(formdata=None), **_names())


@bp.route("/rules/new", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def new_rule():
    return _edit(None, RuleForm())


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def edit_rule(rule_id):
    rule = db.get_or_404(RoutingRule, rule_id)
    return _edit(rule, RuleForm(obj=rule, kind=rule.kind.value if rule.kind else ""))


def _edit(rule, form):
    """Test the draft beside the saved rules (nothing stored), or save it with its reason."""
    tried = None
    if form.validate_on_submit():
        if form.save.data:
            saved = _save(rule, form)
            if saved is not None:
                return saved
        else:
            tried = _try(form, services.draft_of(rule, form.changes()))
    history = services.history(rule) if rule is not None else []
    return render_template("routing/rule_form.html", rule=rule, form=form, tried=tried, history=history,
                           **_names())


def _save(rule, form):
    try:
        if rule is None:
            rule = services.create_rule(form.changes(), current_user, form.reason.data)
        elif services.update_rule(rule, form.changes(), current_user, form.reason.data) is None:
            flash(_("Nothing changed."), "info")
            return redirect(url_for("routing.edit_rule", rule_id=rule.id))
    except services.ReasonRequired:
        form.reason.errors = [*form.reason.errors, _("Say why you change the rule.")]
        return None
    db.session.commit()
    flash(_("Rule saved (version %(version)s).", version=rule.version), "success")
    return redirect(url_for("routing.rules", _anchor=f"rule-{rule.id}"))


def _try(form, draft):
    """Where the tested case goes with the saved rules, and with the draft when there is one."""
    case = form.case()
    if case is None:
        form.test_number.errors = [*form.test_number.errors, _("No case with this number.")]
        return None
    saved_rules = services.all_rules()
    result = {"saved": services.decide(case, saved_rules)}
    if draft is not None:
        result["draft"] = services.decide(case, matching.with_draft(saved_rules, draft))
    return result


@bp.route("/rules/<int:rule_id>/quick", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def quick(rule_id):
    rule = db.get_or_404(RoutingRule, rule_id)
    form = QuickForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.op.data in ("up", "down"):
            if not services.move_rule(rule, -1 if form.op.data == "up" else 1, current_user, form.reason.data):
                flash(_("The rule is already first.") if form.op.data == "up" else _("The rule is already last."),
                      "info")
                return redirect(url_for("routing.rules", _anchor=f"rule-{rule.id}"))
        else:
            services.set_active(rule, form.op.data == "activate", current_user, form.reason.data)
    except services.ReasonRequired:
        flash(_("Say why you change the rule."), "error")
        return redirect(url_for("routing.rules", _anchor=f"rule-{rule.id}"))
    db.session.commit()
    flash(_("Rule saved (version %(version)s).", version=rule.version), "success")
    return redirect(url_for("routing.rules", _anchor=f"rule-{rule.id}"))


def _names():
    """Lookups the templates use to show ids by name."""
    return {
        "categories": {c.id: c for c in db.session.scalars(select(Category))},
        "department_names": {d.id: d for d in services.departments()},
        "conditions": CONDITIONS,
        "field_names": FIELD_NAMES,
        "platforms": {name: divisions.full_name(matching.platform_division(value)) or value
                      for name, value in services.platform_regions().items()},
    }


# --- departments -------------------------------------------------------------------------


@bp.route("/departments")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def departments():
    return render_template("routing/departments.html", departments=services.departments())


@bp.route("/departments/new", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def new_department():
    return _edit_department(None)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def edit_department(department_id):
    return _edit_department(db.get_or_404(Department, department_id))


def _edit_department(department):
    form = DepartmentForm(department)
    if form.validate_on_submit():
        chosen = [db.session.get(Category, i) for i in form.categories.data or []]
        saved = services.save_department(department, form.changes(), [c for c in chosen if c],
                                         current_user, ip=request.remote_addr)
        db.session.commit()
        flash(_("Department saved."), "success")
        return redirect(url_for("routing.departments", _anchor=f"department-{saved.id}"))
    return render_template("routing/department_form.html", department=department, form=form)


# --- triage and forwarding ---------------------------------------------------------------


@bp.route("/triage", methods=["GET", "POST"])
@roles_required(Role.OPERATOR, Role.SUPERVISOR)
def triage():
    """The list; a row's forward posts here, so a refused one (no department chosen) answers 422
    with this page as it was, the typed instructions kept, at the list's own address: its other
    controls and a reload still work."""
    refused = None
    if request.method == "POST":
        ticket = get_ticket(request.form.get("number"), current_user) or abort(404)
        form = ForwardForm()
        department, why = _chosen(form)
        if department is not None:
            return _forward(ticket, department, form) or redirect(url_for("routing.triage"))
        refused = {"number": ticket.number, "message": why, "department": form.department.data,
                   "instructions": form.instructions.data or ""}
    page = render_template("routing/triage.html", rows=services.triage_cases(),
                           departments=services.active_departments(),
                           departments_by_id=services.department_names(),
                           max_instructions=services.MAX_INSTRUCTIONS, refused=refused)
    return page, 422 if refused else 200


@bp.route("/tickets/<number>/forward", methods=["GET", "POST"])
@roles_required(Role.OPERATOR, Role.SUPERVISOR)
def forward(number):
    """The case page's forward boxes post here. A refused forward answers 422 with the boxes again
    on a page of their own (this address also answers a GET, so the language switch and a reload
    work): why, the box that was sent under the cursor, the typed instructions in it."""
    ticket = get_ticket(number, current_user) or abort(404)
    kept = None
    if request.method == "POST":
        form = ForwardForm()
        department, why = _chosen(form)
        if department is not None:
            return _forward(ticket, department, form) or redirect(_back(form.next.data, ticket))
        kept = {"box": "suggested" if request.form.get("box") == "suggested" else "other", "message": why,
                "instructions": form.instructions.data or ""}
    page = render_template("routing/forward.html", ticket=ticket, forward_kept=kept)
    return page, 422 if kept else 200


def _chosen(form):
    """(the active department the form names, None) or (None, why it is refused)."""
    if not form.validate_on_submit():
        if form.department.errors and not form.instructions.errors:
            return None, _("Choose a department to forward the case to.")
        return None, _("Choose an active department; instructions are at most %(max)d characters.",
                       max=services.MAX_INSTRUCTIONS)
    department = db.session.get(Department, form.department.data)
    if department is None or not department.active:
        return None, _("This department does not take cases any more: choose another.")
    return department, None


def _forward(ticket, department, form):
    """Forward and commit; None when done (the caller says where to go next), else the answer."""
    try:
        services.forward_chosen(ticket, department, current_user, instructions=form.instructions.data)
    except IllegalTransition:
        flash(_("This case cannot be forwarded in its current status."), "error")
        return redirect(url_for("console.ticket", number=ticket.number))
    db.session.commit()
    flash(_("Case %(number)s forwarded to %(department)s.", number=ticket.number, department=department.name),
          "success")
    return None


def _back(target, ticket):
    """Back to the triage list or the case; never off the site."""
    if target == url_for("routing.triage"):
        return target
    return url_for("console.ticket", number=ticket.number)


# --- the division list --------------------------------------------------------------------


@bp.route("/divisions")
@roles_required(Role.OPERATOR, Role.SUPERVISOR)
def division_children():
    """The divisions under ?parent= (none: the provinces), for the cascading choice."""
    parent = request.args.get("parent") or None
    if parent is not None and divisions.get(parent) is None:
        abort(404)
    return jsonify([{"code": d.code, "name": d.name} for d in divisions.children(parent)])


@bp.route("/divisions/parse", methods=["POST"])
@roles_required(Role.OPERATOR, Role.SUPERVISOR)
def parse_address():
    """Where an address lies, as the intake form will derive it: {"code", "levels": [codes]}."""
    if not ParseForm().validate_on_submit():
        abort(400)
    # Reading nothing more from the database: end the transaction before the parser runs (its
    # first use loads for seconds, and on SQLite an open transaction holds the write lock).
    db.session.commit()
    code = divisions.from_address(request.form["address"].strip(), current_app.config.get("HOME_DIVISION") or None)
    return jsonify({"code": code, "name": divisions.full_name(code),
                    "levels": [d.code for d in divisions.chain(code)]})


def division_levels(province=None, city=None, district=None):
    """The three selects of a cascading division choice: (level, label, options, chosen code)."""
    chosen = [province or None, city or None, district or None]
    parents = [None, chosen[0], chosen[1]]
    return [
        (level, LEVELS[level], divisions.children(parent) if (parent or level == "province") else [], code)
        for level, parent, code in zip(LEVELS, parents, chosen, strict=True)
    ]


def forward_panel(ticket, kept=None):
    """What the forward box shows: the pending suggestion, the departments, and what a refused
    forward kept (`kept`: the box sent, why it was refused, the instructions typed)."""
    if ticket.status.value != "accepted":
        return None
    suggestion = services.latest_suggestion(ticket) or services.current_suggestion(ticket)
    return {"suggestion": suggestion, "departments": services.departments_for(ticket), "kept": kept}
