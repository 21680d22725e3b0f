"""The intake form: what the operator types during a call, checked by kind of case.

The browser shows only the sections the chosen kind needs; the checks here apply regardless,
and `values()` hands the services only the fields that kind keeps.
"""


from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from hotline import inputs, phones, questions
from hotline.extensions import db
from hotline.knowledge import answers
from hotline.models import Category, CategoryGroup, Ticket
from hotline.timeutil import local_today
from intake import identity
from intake.decisions import complaint_fields, is_online
from routing import divisions

KINDS = {
    "complaint": _l("Complaint"),
    "report": _l("Report"),
    "consultation": _l("Consultation"),
    "mixed": _l("Complaint and report (two linked cases)"),
}
MAX_ANSWER = 500

# Which ticket fields each kind keeps; what a kind does not need is not saved.
IDENTITY = ("complainant_name", "complainant_phone", "complainant_address")
RESPONDENT = ("respondent_name", "respondent_address", "respondent_region", "respondent_division")
ONLINE = ("platform", "seller", "order_number")
PURCHASE = ("demand", "amount", "purchase_date")
KEPT = {
    "complaint": (*IDENTITY, *RESPONDENT, *ONLINE, *PURCHASE),
    "report": (*IDENTITY, *RESPONDENT, *ONLINE),
    "consultation": ("answer",),
    "mixed": (*IDENTITY, *RESPONDENT, *ONLINE, *PURCHASE),
}
# What a referral keeps: whatever was typed, whatever the kind (an out-of-scope case has none).
REFERRAL_KEPT = tuple(dict.fromkeys(name for kept in KEPT.values() for name in kept))
# What a complaint must contain before it can be accepted (docs/DOMAIN.md); an online purchase
# needs its platform and shop or order number instead of the street address (decisions).
COMPLAINT_REQUIRED = (*IDENTITY, "respondent_name", "respondent_address", "facts", "demand")
REQUIRED = {
    "complaint": COMPLAINT_REQUIRED,
    "mixed": (*COMPLAINT_REQUIRED, "report_facts"),
    "report": ("respondent_name", "facts"),
    "consultation": ("facts", "answer"),
}
NAMED_REPORTER_REQUIRED = ("complainant_name", "complainant_phone")
# Kinds a save may keep incomplete while the caller talks (the console's form and the intake
# API alike): completeness is asked at accept, reject and forward. A consultation closes on save
# and a mixed case splits, so they need it all. "" is a case whose kind is not chosen yet.
PARTIAL_KINDS = ("", "complaint", "report")


def _length(n):
    return Length(max=n, message=_l("At most %(max)d characters.", max=n))


def _text(label, n, **kw):
    return StringField(label, [_length(n)], **kw)


class IntakeForm(FlaskForm):
    version = HiddenField()
    seen_event = HiddenField()
    kind = SelectField(_l("Kind of case"), choices=[], validate_choice=False)
    anonymous = BooleanField(_l("Anonymous report (no identity recorded)"))
    confidential = BooleanField(_l("The reporter asks that their identity stay confidential"))
    complainant_name = _text(_l("Name"), 120)
    complainant_phone = _text(_l("Phone"), 40)
    complainant_address = _text(_l("Address"), 500)
    id_number = _text(_l("Resident ID number (optional)"), 40)
    category_group = SelectField(_l("Goods or services"), choices=[], validate_choice=False)
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    problem_type = SelectField(_l("Problem type"), choices=[], validate_choice=False)
    respondent_name = _text(_l("Respondent (business)"), 200)
    respondent_address = _text(_l("Respondent address"), 500)
    respondent_region = _text(_l("Respondent region"), 100)  # a region as text (API); the list below wins
    respondent_province = _text(_l("Province"), 6)
    respondent_city = _text(_l("City"), 6)
    respondent_district = _text(_l("District"), 6)
    # "1" once the operator picked the division by hand: a changed address then re-derives nothing.
    division_manual = HiddenField()
    online = BooleanField(_l("Bought online"))
    platform = _text(_l("Platform"), 100)
    seller = _text(_l("Seller (shop)"), 200)
    order_number = _text(_l("Order number"), 100)
    facts = TextAreaField(_l("Facts"), [_length(10_000)])
    demand = TextAreaField(_l("Demand"), [_length(2_000)])
    amount = _text(_l("Amount (yuan)"), 20)
    purchase_date = _text(_l("Purchase date"), 16)  # 2026年11月30日, or with spaces, then read as a date
    report_facts = TextAreaField(_l("What the report is about"), [_length(10_000)])
    answer = TextAreaField(_l("Answer given to the caller"), [_length(10_000)])
    # The knowledge-base article the answer came from (set by its key or button; a consultation only).
    article_id = HiddenField()
    text_answer = BooleanField(_l("Text the caller the answer and the link"))
    save = SubmitField(_l("Save case"))
    confirm = SubmitField(_l("Confirm and save the changes"))

    def __init__(self, *args, answers=None, phones_on_file=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The numbers the case already holds (E.164): the form shows them masked, and a masked
        # value posted back stands for the number it masks (the full one is an audited reveal).
        self.phones_on_file = tuple(n for n in phones_on_file if n)
        self.kind.choices = [("", _("— choose —"))] + [(k, str(v)) for k, v in KINDS.items()]
        self.classes = _classes()
        self.category_group.choices = [("", _("— all —")), ("goods", _("Goods")), ("services", _("Services"))]
        self.category.choices = [("", _("— choose —"))] + [(c.code, c.name_zh) for c in self.classes["category"]]
        self.problem_type.choices = [("", _("— choose —"))] + [(c.code, c.name_zh) for c in self.classes["problem"]]
        self.initial_answers = answers or {}
        self.question_errors = {}
        self.missing = []
        self.parsed = {}

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        self.raw = self.meta.wrap_formdata(self, formdata)
        super().process(self.raw, obj=obj, data=data, extra_filters=extra_filters, **kwargs)

    # ---- what the template needs -------------------------------------------------------
    def question_blocks(self, locale):
        """For every class with questions: (code, [(question, input name, value, errors)])."""
        blocks = []
        for category in self.classes["category"]:
            asked = questions.questions_for(category)
            if asked:
                blocks.append((category.code, [
                    (q, questions.label(q, locale), _qname(q), self.answer_value(q), self.question_errors.get(q["code"], []))
                    for q in asked
                ]))
        return blocks

    def answer_value(self, question):
        if self.raw is not None and _qname(question) in self.raw:
            return self.raw.get(_qname(question), "")
        return self.initial_answers.get(question["code"], "")

    def category_group_of(self, code):
        found = self._class("category", code)
        return found.group.value if found else ""

    # ---- checks ------------------------------------------------------------------------
    def validate(self, extra_validators=None, complete=True):
        """Check the form. `complete=False` (a referral) keeps the format checks but demands
        neither a kind nor the fields a case needs before it is accepted."""
        ok = super().validate(extra_validators)
        kind = self.kind.data
        if kind not in KINDS and (complete or kind):
            self.kind.errors.append(_("Choose the kind of case."))
            return False
        self.parsed = {
            "category": self._parse_class("category"),
            "problem_type": self._parse_class("problem"),
            "complainant_phone": self._parse_phone(),
            "amount": self._parse_amount(),
            "purchase_date": self._parse_date(),
            "id_number": self._parse_id(),
            "respondent_division": self._parse_division(),
            "article": self._parse_article(kind),
        }
        if complete:
            self._check_required(kind)
        self.parsed["answers"] = self._parse_answers(kind, complete)
        return ok and not self.errors and not self.question_errors

    @property
    def is_anonymous(self):
        return self.kind.data == "report" and self.anonymous.data

    @property
    def is_online(self):
        return is_online(self.platform.data, self.seller.data, self.order_number.data, self.online.data)

    def _check_required(self, kind):
        required = list(REQUIRED[kind])
        if kind in ("complaint", "mixed"):
            complaint = complaint_fields(self.is_online, bool((self.respondent_address.data or "").strip()))
            required = [*complaint, *(name for name in required if name not in COMPLAINT_REQUIRED)]
        if kind == "report" and not self.is_anonymous:
            required += NAMED_REPORTER_REQUIRED
        message = {"complaint": _("Required for a complaint."), "mixed": _("Required for a complaint.")}.get(
            kind, _("Required."))
        for name in required:
            field = self[name]
            if name == "seller" and (self.order_number.data or "").strip():
                continue  # an online purchase: the shop or the order number
            if not (field.data or "").strip():
                field.errors.append(_("Give the shop or the order number.") if name == "seller" else message)
                self.missing.append(_("Shop or order number") if name == "seller" else field.label.text)

    def _parse_article(self, kind):
        """The chosen article, for a consultation (other kinds are not answered with one)."""
        raw = (self.article_id.data or "").strip()
        if kind != "consultation" or not raw:
            return None
        found = answers.offered_article(raw)
        if found is None:
            self.article_id.errors.append(
                _("The chosen knowledge article is no longer offered: choose another or answer in your own words."))
        return found

    def _parse_division(self):
        """The respondent's division picked from the list (most specific level chosen), or None."""
        try:
            return divisions.pick(self.respondent_province.data, self.respondent_city.data,
                                  self.respondent_district.data)
        except divisions.UnknownDivision:
            self.respondent_district.errors.append(_("Not a division on the list: choose again."))
            return None

    def _class(self, which, code):
        return next((c for c in self.classes[which] if c.code == code), None)

    def _parse_class(self, which):
        field = self.category if which == "category" else self.problem_type
        if not field.data:
            return None
        found = self._class(which, field.data)
        if found is None:
            field.errors.append(_("Not a category on the list: choose one."))
        elif which == "category" and self.category_group.data and found.group.value != self.category_group.data:
            field.errors.append(_("This category does not belong to the chosen group."))
        return found

    def _parse_phone(self):
        raw = (self.complainant_phone.data or "").strip()
        if not raw:
            return None
        if "*" in raw:
            known = next((n for n in self.phones_on_file if phones.mask(n) == raw), None)
            if known is None:
                self.complainant_phone.errors.append(_("Type the whole number, or keep the masked one on file."))
            return known
        try:
            return phones.normalise(raw, current_app.config["DEFAULT_PHONE_REGION"])
        except phones.InvalidPhone:
            self.complainant_phone.errors.append(_("Not a phone number: check the digits."))
            return None

    def _parse_amount(self):
        raw = (self.amount.data or "").strip().replace(",", "").lstrip("¥￥")
        if not raw:
            return None
        value = inputs.parse_decimal(inputs.typed_digits(raw), *inputs.numeric_limits(Ticket.amount))
        if value is None:
            self.amount.errors.append(_("Enter the amount in yuan as a number, 0 or more (e.g. 1299.50)."))
            return None
        return value

    def _parse_date(self):
        raw = (self.purchase_date.data or "").strip()
        if not raw:
            return None
        day = inputs.parse_typed_date(raw)
        if day is None:
            self.purchase_date.errors.append(_("Enter the date as YYYY-MM-DD."))
            return None
        if day > local_today(current_app.config["HOTLINE_TIMEZONE"]):
            self.purchase_date.errors.append(_("The purchase date cannot be in the future."))
            return None
        return day

    def _parse_id(self):
        raw = (self.id_number.data or "").strip()
        if not raw or self.is_anonymous:
            return None
        try:
            return identity.validate(raw, today=local_today(current_app.config["HOTLINE_TIMEZONE"]))
        except identity.InvalidIdNumber as exc:
            self.id_number.errors.append(_id_message(exc))
            return None

    def _parse_answers(self, kind, complete=True):
        category = self._class("category", self.category.data)
        answers = {}
        for q in questions.questions_for(category) if kind != "consultation" else []:
            value = (self.raw.get(_qname(q), "") if self.raw is not None else "").strip()
            error = _answer_error(q, value, required=complete and kind in ("complaint", "mixed"))
            if error:
                self.question_errors[q["code"]] = [error]
                if not value:
                    self.missing.append(questions.label(q, str(get_locale())))
            elif value:
                typed_day = inputs.parse_typed_date(value) if q.get("type") == "date" else None
                answers[q["code"]] = typed_day.isoformat() if typed_day else value
        return answers

    # ---- the result ----------------------------------------------------------------------
    def values(self, for_referral=False):
        """The checked input as ticket columns for this kind, plus what the services decide on.
        A referral keeps every field typed, whatever the kind (which may not be chosen)."""
        kind = self.kind.data or None
        kept = REFERRAL_KEPT if for_referral else KEPT[kind]
        fields = {name: _blank_none(self[name].data) for name in kept if name != "respondent_division"}
        fields.update({k: self.parsed[k] for k in ("complainant_phone", "amount", "purchase_date") if k in fields})
        if "respondent_division" in kept:
            fields["respondent_division"] = self.parsed["respondent_division"]
        fields["facts"] = _blank_none(self.facts.data)
        fields["category_id"] = self.parsed["category"].id if self.parsed["category"] else None
        fields["problem_type_id"] = self.parsed["problem_type"].id if self.parsed["problem_type"] else None
        if kind != "consultation":
            fields["answers"] = self.parsed["answers"] or None
            fields["anonymous"] = self.is_anonymous
            fields["confidential"] = kind in ("report", "mixed") and not self.is_anonymous and self.confidential.data
        if self.is_anonymous:
            fields.update(dict.fromkeys(IDENTITY), id_number_masked=None, id_number_hash=None)
        if self.parsed["id_number"]:
            number = self.parsed["id_number"]
            fields["id_number_masked"] = identity.mask(number)
            fields["id_number_hash"] = identity.keyed_hash(number, current_app.config["SECRET_KEY"])
        article = self.parsed.get("article") if kind == "consultation" else None
        return {"kind": kind, "fields": fields, "report_facts": _blank_none(self.report_facts.data),
                "division_manual": self.division_manual.data == "1",
                "article": article, "text_answer": bool(article and self.text_answer.data)}

    def expected_version(self):
        return _int(self.version.data)

    def seen_event_id(self):
        return _int(self.seen_event.data)

    def refresh(self, version, seen_event):
        """Carry the case's current version, so the next save overwrites knowingly."""
        self.version.data, self.seen_event.data = version, seen_event
        return self

    def label_of(self, name):
        """The form's label for a ticket column, for confirmations and conflicts."""
        if name in self and name not in ("save", "confirm"):
            return self[name].label.text
        return FIELD_LABELS.get(name, name)


FIELD_LABELS = {
    "category_id": _l("Category"),
    "problem_type_id": _l("Problem type"),
    "id_number_masked": _l("Resident ID number (optional)"),
    "identity_level": _l("Identity check"),
    "answers": _l("Category questions"),
    "kind": _l("Kind of case"),
    "respondent_division": _l("Respondent's division"),
    "linked_ticket_id": _l("Linked case"),
    "status": _l("Status"),
}


def _int(raw):
    return inputs.parse_int(raw or "")


ID_MESSAGES = {
    "an ID number has 18 characters": _l("An ID number has 18 characters: 17 digits, then a digit or X."),
    "the birth date in the ID number does not exist": _l("The birth date in this ID number does not exist: check the 7th to 14th characters."),
    "the birth date in the ID number is not possible": _l("The birth date in this ID number is not possible (before 1900 or in the future)."),
    "the check digit does not match": _l("The last character (check digit) does not match: a character was misheard or mistyped."),
}


def _id_message(exc):
    text = str(exc)
    return next((str(msg) for key, msg in ID_MESSAGES.items() if text.startswith(key)), text)


def _answer_error(question, value, required):
    if not value:
        return _("Ask the caller: required for a complaint in this category.") if required and question.get("required") else None
    if question.get("type") == "yesno" and value not in ("yes", "no"):
        return _("Answer yes or no.")
    if question.get("type") == "date":
        day = inputs.parse_typed_date(value)
        if day is None:
            return _("Enter the date as YYYY-MM-DD.")
        if day > local_today(current_app.config["HOTLINE_TIMEZONE"]):  # asked about what happened
            return _("The date cannot be in the future.")
    if len(value) > MAX_ANSWER:
        return _("At most %(max)d characters.", max=MAX_ANSWER)
    return None


def _qname(question):
    return "q_" + question["code"]


def _blank_none(value):
    if isinstance(value, str):
        value = value.strip()
    return value if value not in ("", None) else None


def _classes():
    """Active second-level categories: goods and services classes, and problem types."""
    rows = db.session.scalars(
        select(Category).where(Category.parent_id.is_not(None), Category.active.is_(True))
        .order_by(Category.group, Category.position, Category.code)
    ).all()
    return {
        "category": [c for c in rows if c.group in (CategoryGroup.GOODS, CategoryGroup.SERVICES)],
        "problem": [c for c in rows if c.group == CategoryGroup.PROBLEM],
    }
