"""The intake REST API's services: JSON in, the intake form's own checks, the intake form's own
save; JSON out with identity shown only to those who may see it. Services flush; views commit.

The JSON is type-checked here, then handed to intake.forms.IntakeForm as form data, so the API
and the operator's form refuse exactly the same things (one set of rules).
"""

import re
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from hotline import inputs, phones, questions, tickets
from hotline.access import api_shows_identity, get_ticket
from hotline.extensions import db
from hotline.models import Category, Channel, Ticket, TicketKind, TicketStatus
from hotline.rest import MAX_AMOUNT, ValidationFailed
from hotline.timeutil import to_local
from intake import decisions, verification
from intake.forms import PARTIAL_KINDS, IntakeForm
from intake.services import IntakeRefused, save_intake
from routing import divisions

# API field -> intake form field.
TEXT_FIELDS = {
    "phone": "complainant_phone", "name": "complainant_name", "address": "complainant_address",
    "category": "category", "problem_type": "problem_type", "respondent_name": "respondent_name",
    "respondent_address": "respondent_address", "respondent_region": "respondent_region",
    "platform": "platform", "seller": "seller", "order_number": "order_number", "facts": "facts",
    "demand": "demand", "answer": "answer", "purchase_date": "purchase_date", "id_number": "id_number",
    "respondent_division": "respondent_district",  # a GB/T 2260 code, spread over the form's three levels
}
FLAGS = ("anonymous", "confidential", "text_answer")
KINDS = ("complaint", "report", "consultation")
CHANNELS = (Channel.API.value, Channel.WEB.value)
CASE_FIELDS = (*TEXT_FIELDS, *FLAGS, "kind", "amount", "answers", "article_id")
API_NAME = {form: api for api, form in TEXT_FIELDS.items()}
MAX_ANSWERS = 50


class Conflict(Exception):
    """The case changed since the client read it, or cannot change this way now."""

    def __init__(self, message, version):
        super().__init__(message)
        self.message, self.version = message, version


# ---- reading the request ------------------------------------------------------------------

def _storable(value):
    """Text both databases can keep (PostgreSQL refuses NUL; lone surrogates cannot be encoded)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _type_error(name, value):
    """What is wrong with the JSON type of one field, or None."""
    if value is None:
        return None
    if name in TEXT_FIELDS or name in ("ground", "reason"):
        ok = isinstance(value, str) and _storable(value)
        return None if ok else "must be text"
    if name in FLAGS:
        return None if isinstance(value, bool) else "must be true or false"
    if name == "kind":
        return None if value in KINDS else "must be one of " + ", ".join(KINDS)
    if name == "article_id":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "must be the id of a published knowledge article"
    if name == "amount":
        return None if _amount(value) is not None else f"must be a number from 0 to {MAX_AMOUNT}"
    if name == "answers":
        ok = isinstance(value, dict) and len(value) <= MAX_ANSWERS and all(
            isinstance(v, str | None) and (v is None or _storable(v)) for v in value.values())
        return None if ok else f"must be an object of at most {MAX_ANSWERS} question codes with text answers"
    return None


def _amount(value):
    """A JSON number as the Decimal the amount column keeps, or None (wrong type, inf, nan, too big).
    A negative amount passes this type check: the form's own rule refuses it with its message."""
    if isinstance(value, Decimal):  # the stored amount, when a PATCH re-checks the whole case
        value = str(value)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return inputs.parse_decimal(value, *inputs.numeric_limits(Ticket.amount), low=-MAX_AMOUNT)


def parse_body(body, allowed):
    """The fields of a JSON object whose types are right, and what is wrong with the others."""
    errors = {name: "unknown field" for name in body if name not in allowed}
    errors.update({name: error for name in body if name in allowed
                   for error in [_type_error(name, body[name])] if error})
    return {name: value for name, value in body.items() if name not in errors}, errors


def _refuse(errors):
    raise ValidationFailed(errors, "invalid fields: " + ", ".join(sorted(errors)))


def expected_version(body, required):
    """The case version the client last saw, or None when it may leave it out."""
    version = body.get("version")
    if version is None and not required:
        return None
    if version is None:
        _refuse({"version": "required: the version of the case you last read"})
    # A version is a positive whole number (JSON, not a string); anything else is malformed, not stale.
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 2**31 - 1:
        _refuse({"version": "must be the case's version as read: a positive whole number, e.g. 3"})
    return version


# ---- the intake form's checks -------------------------------------------------------------

def _formdata(values, chosen_division=False):
    """API values as the intake form's posted fields; `chosen_division`: the client sent a
    respondent_division of its own, which an address then does not override."""
    data = MultiDict({"division_manual": "1"} if chosen_division else {})
    for name, value in values.items():
        if value is None or value is False:
            continue
        if name == "respondent_division":
            data.update(_division_levels(value))
        elif name in TEXT_FIELDS or name in ("ground", "reason"):
            data[TEXT_FIELDS[name]] = value
        elif name in FLAGS:
            data[name] = "y"
        elif name == "answers":
            data.update({f"q_{code}": answer for code, answer in value.items() if answer is not None})
        elif name == "amount":  # as cents, so the form reads 1e-05 or 12.5 as the JSON number it was
            data[name] = str(_amount(value))
        else:
            data[name] = str(value)
    return data


def _division_levels(code):
    """A division code as the form's province / city / district choices. An unknown code lands
    where a province goes, and the form refuses it."""
    chain = [d.code for d in divisions.chain(code)] or [code]
    return dict(zip(("respondent_province", "respondent_city", "respondent_district"), chain, strict=False))


def _extra_errors(values, form):
    """What the form lets pass silently but an API client should hear about."""
    errors = {}
    if values.get("anonymous") and values.get("kind") != "report":
        errors["anonymous"] = "only a report may be anonymous"
    if values.get("confidential") and (values.get("kind") != "report" or values.get("anonymous")):
        errors["confidential"] = "only a named report may be confidential"
    if values.get("article_id") is not None and values.get("kind") != "consultation":
        errors["article_id"] = "only a consultation is answered with a knowledge article"
    if values.get("text_answer") and values.get("article_id") is None:
        errors["text_answer"] = "texting the answer needs article_id: the article whose answer and link are sent"
    asked = {q["code"] for q in questions.questions_for(form.parsed.get("category"))}
    for code in values.get("answers") or {}:
        if code not in asked:
            errors[f"answers.{code}"] = "not a question of this category"
    return errors


def _sentences(messages):
    """A field's messages as one text: "At most 40 characters. Not a phone number." (they were
    joined with "; " after their own full stops)."""
    return " ".join(text if text.endswith((".", "。")) else text + "." for text in (str(m).strip() for m in messages))


def checked(values, errors=None, chosen_division=False, past_intake=False):
    """The intake form's values for these API values, or ValidationFailed naming every bad field
    (`errors`: those already found in the JSON types, which win over the form's word on the same field).
    As the console's save: a complaint or report (or a case of no kind yet) may be kept incomplete
    while it is new, every value given still checked; acceptance asks for the rest (`missing` in
    the answer). `past_intake`: the case was accepted (or further), so it stays complete."""
    found = errors or {}
    partial = (values.get("kind") or "") in PARTIAL_KINDS and not past_intake
    # The form's own words, in English as every other API message: under the request's locale
    # they came in Chinese beside "unknown field" in one answer.
    with force_locale("en"):
        form = IntakeForm(formdata=_formdata(values, chosen_division), meta={"csrf": False})
        form.validate(complete=not partial)
        errors = {API_NAME.get(name, name): _sentences(messages)
                  for name, messages in form.errors.items() if messages}
        errors.update({f"answers.{code}": _sentences(messages)
                       for code, messages in form.question_errors.items()})
    if "kind" not in errors:
        errors.update(_extra_errors(values, form))
    errors.update(found)
    if errors:
        _refuse(errors)
    return form.values(for_referral=not form.kind.data)


# ---- cases --------------------------------------------------------------------------------

def create_ticket(body, actor):
    """Open a case from another channel and save its intake in one step (no calling number:
    identity level none). Returns what save_intake saved (the case is its `ticket`)."""
    values, errors = parse_body(body, (*CASE_FIELDS, "channel"))
    channel = values.pop("channel", None) or Channel.API.value
    if channel not in CHANNELS:
        errors["channel"] = "must be one of " + ", ".join(CHANNELS)
    if not values.get("kind") and "kind" not in errors:
        # A case from another channel says what it is; only a call or a text opens one without.
        errors["kind"] = "required: one of " + ", ".join(KINDS)
    form_values = checked(values, errors, chosen_division="respondent_division" in values)
    ticket = tickets.open_ticket(Channel(channel), actor=actor)
    return save_intake(ticket, form_values, actor)


def text_answer_result(saved):
    """What came of texting the answer (queued, no_phone, already_sent); None when not asked."""
    return saved.answered.text_result if saved.answered is not None else None


def current_values(ticket):
    """The case as API values, the base a partial update is laid over."""
    values = {name: getattr(ticket, name if name == "respondent_division" else form)
              for name, form in TEXT_FIELDS.items()
              if form not in ("category", "problem_type", "purchase_date", "id_number")}
    values.update(
        kind=ticket.kind.value if ticket.kind != TicketKind.UNKNOWN else None,
        category=ticket.category.code if ticket.category else None,
        problem_type=ticket.problem_type.code if ticket.problem_type else None,
        purchase_date=ticket.purchase_date.isoformat() if ticket.purchase_date else None,
        amount=ticket.amount, answers=ticket.answers, anonymous=ticket.anonymous,
        confidential=ticket.confidential,
    )
    return values


# What intake.services.IntakeRefused's codes mean, in the API's words (the console's are in intake.views).
INTAKE_REFUSALS = {
    "consultation_past_intake": "a case already past intake cannot become a consultation",
    "answered_consultation": "an answered consultation cannot become a complaint or report: file a new case",
    "already_split": "this case was already split: change the linked report itself",
    "report_past_intake": "a report past intake stays a report: the reporter was not named to the department; "
                          "if they agree to be named, file a new complaint",
    "confidential_past_intake": "the reporter asked for confidentiality and the case is past intake: it stays "
                                "confidential (it may still be made anonymous)",
}


def update_ticket(ticket, body, actor):
    """Apply a partial update at the version the client read; each changed field becomes an event.
    Returns what save_intake saved."""
    changes, errors = parse_body(body, (*CASE_FIELDS, "version"))
    version = expected_version(changes, required=True)
    if version != ticket.version:
        raise Conflict("the case changed since you read it: read it again and reapply your change", ticket.version)
    changes.pop("version")
    if "kind" in changes and changes["kind"] is None and ticket.kind != TicketKind.UNKNOWN:
        # Was saved as "no change" with the version moved on: the client would believe it done.
        errors["kind"] = "cannot be emptied once chosen: send one of " + ", ".join(KINDS)
    current = current_values(ticket)
    if isinstance(changes.get("answers"), dict):
        # Answers sent are laid over those kept (null takes one away), as every other field is.
        kept = {code: answer for code, answer in (current.get("answers") or {}).items()
                if code in _asked_codes(changes.get("category", current.get("category")))}
        changes["answers"] = {code: answer for code, answer in {**kept, **changes["answers"]}.items()
                              if answer is not None}
    elif "category" in changes and current.get("answers"):
        # Another category asks other questions: the answers to the old one's are not its.
        current["answers"] = {code: answer for code, answer in current["answers"].items()
                              if code in _asked_codes(changes["category"])} or None
    form_values = checked({**current, **changes}, errors, chosen_division="respondent_division" in changes,
                          past_intake=ticket.status != TicketStatus.NEW)
    try:
        return save_intake(ticket, form_values, actor)
    except IntakeRefused as exc:
        raise Conflict(INTAKE_REFUSALS.get(str(exc), str(exc)), ticket.version) from exc


def _asked_codes(category_code):
    """The question codes the category (by code) asks; none for an unknown or no category."""
    if not isinstance(category_code, str):
        return set()
    category = db.session.scalar(select(Category).where(Category.code == category_code))
    return {q["code"] for q in questions.questions_for(category)}


def decision_body(ticket, body, allowed):
    """A decision's checked fields; its optional version must be the case's (Conflict otherwise)."""
    values, errors = parse_body(body, (*allowed, "version"))
    if isinstance(values.get("reason"), str) and len(values["reason"]) > decisions.MAX_REJECT_REASON:
        errors["reason"] = f"at most {decisions.MAX_REJECT_REASON} characters"
    if errors:
        _refuse(errors)
    version = expected_version(values, required=False)
    if version is not None and version != ticket.version:
        raise Conflict("the case changed since you read it: read it again", ticket.version)
    return values


def decision_errors(exc):
    """A refused decision as the fields to fix (None when it is a conflict with the case's state)."""
    if exc.why == "missing":
        return {API_NAME.get(name, name): "required before the case can be accepted" for name in exc.missing}
    return {
        "kind": {"kind": "only complaints and reports are accepted or rejected"},
        "ground": {"ground": "not a ground for not accepting"},
        "reason": {"reason": "required: why the case is not accepted"},
    }.get(exc.why)


def duplicate_body(ticket, body, user):
    """The case `ticket` repeats, named by the body's `of` (a case `user` may see, not `ticket`
    itself); ValidationFailed naming every bad field, Conflict for a stale optional version."""
    values, errors = parse_body(body, ("of", "version"))
    try:
        version = expected_version(values, required=False)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        version = None
    original = None
    if "of" not in errors:
        of = values.get("of")
        if not isinstance(of, str) or not _storable(of) or not of.strip():
            errors["of"] = "required: the number of the case this one repeats, e.g. 20261207-00042"
        else:
            original = get_ticket(of.strip(), user)
            if original is None:
                errors["of"] = "no such case, or not one you may see"
            elif original.id == ticket.id:
                errors["of"] = "a case cannot be a duplicate of itself"
    if errors:
        _refuse(errors)
    if version is not None and version != ticket.version:
        raise Conflict("the case changed since you read it: read it again", ticket.version)
    return original


OTP_CODE = re.compile(rf"\s*[0-9]{{{verification.CODE_DIGITS}}}\s*")


def otp_code(body):
    """The code the caller read back from a verify body; ValidationFailed naming every bad field.
    A malformed code is refused here, before it uses one of the code's tries (as the console's form)."""
    errors = {name: "unknown field" for name in body if name != "code"}
    code = body.get("code")
    if not isinstance(code, str) or not OTP_CODE.fullmatch(code):
        errors["code"] = f"required: the {verification.CODE_DIGITS} digits the caller read back"
    if errors:
        _refuse(errors)
    return code.strip()


# Why a code cannot be sent or checked, as (status, code, message); the console flashes the same.
OTP_REFUSALS = {
    verification.NotNeeded: (409, "not_needed", "there is no number to verify: the form gives none (an anonymous "
                                                "case has none) or gives the number the caller calls from"),
    verification.SendLimit: (429, "send_limit", "too many codes sent for this case: wait before sending another"),
    verification.NoCode: (409, "no_code", "no code was sent to the number now on the form, or it was used: "
                                          "send one first"),
    verification.Expired: (409, "expired", "the code has expired: send a new one"),
    verification.Locked: (409, "locked", "too many wrong tries: this code no longer works; send a new one"),
}


def no_fields(body):
    """A body that takes no field: {} (or none at all); any field is refused by name."""
    if body:
        _refuse({name: "unknown field" for name in body})


# ---- the JSON shape -----------------------------------------------------------------------

def _time(moment, tz_name):
    return to_local(moment, tz_name).isoformat() if moment else None


def _complainant(ticket, user):
    # The same rule as the rest of the API: a confidential reporter never leaves through it.
    if ticket.anonymous or not api_shows_identity(user, ticket):
        return None
    return {
        "name": ticket.complainant_name,
        "phone_masked": phones.mask(ticket.complainant_phone) or None,
        "address": ticket.complainant_address,
        "id_number_masked": ticket.id_number_masked,
    }


def missing(ticket):
    """What a new complaint or report kept incomplete still needs before it can be accepted, as
    API field names ("kind" for a case whose kind is not chosen); empty for a complete case, a
    consultation and a case past intake. The accept refusal names the same fields."""
    if ticket.status != TicketStatus.NEW:
        return []
    if ticket.kind == TicketKind.UNKNOWN:
        return ["kind"]
    if ticket.kind not in (TicketKind.COMPLAINT, TicketKind.REPORT):
        return []
    return [API_NAME.get(name, name) for name in decisions.missing_fields(ticket)]


def ticket_json(ticket, user, tz_name):
    """A case as the intake API shows it to `user`: numbers masked, identity only if they may see it."""
    plain = ("respondent_name", "respondent_address", "respondent_region", "respondent_division", "platform", "seller",
             "order_number", "facts", "demand", "answer", "answers", "anonymous", "confidential",
             "reject_reason", "version", "number")
    return {
        **{name: getattr(ticket, name) for name in plain},
        "status": ticket.status.value,
        "kind": ticket.kind.value,
        "channel": ticket.channel.value,
        "category": ticket.category.code if ticket.category else None,
        "problem_type": ticket.problem_type.code if ticket.problem_type else None,
        "department": ticket.department.code if ticket.department else None,
        "amount": float(ticket.amount) if ticket.amount is not None else None,
        "purchase_date": ticket.purchase_date.isoformat() if ticket.purchase_date else None,
        "identity_level": ticket.identity_level.value,
        "missing": missing(ticket),
        "complainant": _complainant(ticket, user),
        "reject_ground": ticket.reject_ground.value if ticket.reject_ground else None,
        "accepted_at": _time(ticket.accepted_at, tz_name),
        "created_at": _time(ticket.created_at, tz_name),
        "updated_at": _time(ticket.updated_at, tz_name),
    }


def otp_json(ticket, user, tz_name):
    """Where the identity check of the case's phone stands after a code was sent: the number
    masked (null where the reader may not know who filed the case), never the code."""
    state = verification.state(ticket)
    challenge = state.challenge
    return {
        "number": ticket.number,
        "identity_level": ticket.identity_level.value,
        "phone_masked": phones.mask(state.phone) if state.phone and api_shows_identity(user, ticket) else None,
        "sent_at": _time(challenge.created_at, tz_name) if challenge else None,
        "expires_at": _time(challenge.expires_at, tz_name) if challenge else None,
        "tries_left": state.tries_left,
        "sends_left": state.sends_left,
    }
