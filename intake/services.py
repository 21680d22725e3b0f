"""Saving the intake form: classify and fill in a case, answer a consultation, split a
complaint-and-report, record every change, keep drafts. Services flush; the view commits once."""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from hotline import calls, phones, sms_texts, tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.knowledge import answers
from hotline.models import (
    Channel,
    Clock,
    ClockKind,
    Contact,
    Direction,
    IdentityLevel,
    IntakeDraft,
    OtpChallenge,
    Role,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import now
from intake import decisions
from routing import divisions, referrals

# Copied from the complaint onto the report split off it: same caller, business and classification.
SHARED_WITH_REPORT = (
    "category_id", "problem_type_id", "respondent_name", "respondent_address", "respondent_region",
    "respondent_division", "platform", "seller", "order_number", "complainant_name", "complainant_phone",
    "complainant_address", "id_number_hash", "id_number_masked", "identity_level", "confidential",
    "assigned_to_id",
)
CLOCKED_KINDS = (TicketKind.COMPLAINT, TicketKind.REPORT)
# Who takes an unowned case by saving its intake form.
OWNER_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
# What a draft never keeps: the ID number is stored only hashed, never in clear.
DRAFT_SKIPS = frozenset({"csrf_token", "id_number", "save", "confirm", "use_article", "find_articles",
                         "apply_suggestion"})
DRAFT_MAX_KEYS = 100
DRAFT_MAX_VALUE = 20_000


class IntakeRefused(ValueError):
    """The form cannot be saved on this case as it stands; the message is a reason code
    (consultation_past_intake, answered_consultation, already_split, report_past_intake,
    confidential_past_intake) the view words."""


@dataclass
class Saved:
    ticket: object
    changed: list = field(default_factory=list)
    report: object = None  # the report split off a complaint-and-report
    answered: object = None  # a consultation answered with an article (hotline.knowledge.answers.Answered)


def is_submitted(ticket):
    """Whether the intake form was already saved on this case (it has a kind)."""
    return ticket.kind != TicketKind.UNKNOWN


KEYED_KINDS = (TicketKind.COMPLAINT.value, TicketKind.REPORT.value, TicketKind.CONSULTATION.value)


def keyed_kind(ticket):
    """The kind the caller chose with the voice menu's key (1 complaint, 2 report, 3 consultation,
    hotline.calls.MENU_KINDS) on the latest call of this case that chose one, else None."""
    return db.session.scalar(
        select(Contact.menu_choice).where(Contact.ticket_id == ticket.id, Contact.channel == Channel.VOICE,
                                          Contact.menu_choice.in_(KEYED_KINDS))
        .order_by(Contact.id.desc()).limit(1))


def suggestion_with_keyed_kind(ticket, suggestion):
    """The form's suggestion, whose kind is the caller's menu key when they pressed one: the
    caller said what they call about, which the words' classifier (or its default) only guesses.
    Applying the suggestion then leaves the kind as the operator has it; they may still change it."""
    kind = keyed_kind(ticket) if suggestion else None
    if kind is None:
        return suggestion
    return {**suggestion, "kind": {"value": kind, "score": 1.0, "source": "caller", "keywords": [],
                                   "reason": "the caller's menu key", "alternatives": []}}


def needs_confirmation(ticket):
    """Whether a save lists its changes for confirmation first: only once the case is past
    intake (accepted, forwarded, ...), where a change reaches others. Saving a case still
    being taken, the first time or the fifth, asks nothing."""
    return is_submitted(ticket) and ticket.status != TicketStatus.NEW


def missing_before_acceptance(ticket):
    """What a kept-incomplete complaint or report still needs before it can be accepted, as
    the form labels it; empty for other kinds and complete cases."""
    missing = still_needed(ticket)
    return decisions.missing_labels(ticket, missing) if missing else []


def still_needed(ticket):
    """missing_before_acceptance as field names (decisions.missing_fields), in no language."""
    if ticket.kind not in (TicketKind.COMPLAINT, TicketKind.REPORT) or ticket.status != TicketStatus.NEW:
        return []
    return decisions.missing_fields(ticket)


def last_event_id(ticket):
    """The newest history line, so a later save can tell what others changed in between."""
    return db.session.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id)
                             .order_by(TicketEvent.id.desc()).limit(1)) or 0


def changes_since(ticket, version, seen_event_id):
    """The history written since the operator opened the form if the case changed meanwhile
    (a form without a version counts as stale), else None."""
    if version == ticket.version:
        return None
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.id > (seen_event_id or 0))
    return list(db.session.scalars(stmt.order_by(TicketEvent.id)))


def sms_text(ticket):
    """The caller's inbound text messages on an SMS case, oldest first, as the facts to start from.
    Commands the caller texted (查询 / CX, 退订, 申诉, a survey score) are the hotline's business,
    not the caller's account of the case: they are left out (hotline.sms_texts.is_command)."""
    bodies = db.session.scalars(
        select(Contact.body).where(Contact.ticket_id == ticket.id, Contact.channel == Channel.SMS,
                                   Contact.direction == Direction.INBOUND, Contact.body.is_not(None))
        .order_by(Contact.id)
    )
    return "\n".join(b.strip() for b in bodies if b.strip() and not sms_texts.is_command(b)) or None


def phones_on_file(ticket):
    """The numbers the intake form may show masked and take back: the form's, the calling one."""
    return (ticket.complainant_phone, ticket.caller.phone if ticket.caller and not ticket.anonymous else None)


def initial_values(ticket):
    """The form's starting values: what the case already says, else what the call or SMS told us."""
    caller = ticket.caller
    values = {name: getattr(ticket, name) for name in (
        "complainant_name", "complainant_address", "respondent_name", "respondent_address",
        "respondent_region", "platform", "seller", "order_number", "demand", "answer", "anonymous",
        "confidential")}
    phone = ticket.complainant_phone or (caller.phone if caller and not ticket.anonymous else None)
    if caller and not ticket.anonymous:
        values["complainant_name"] = values["complainant_name"] or caller.name
        values["complainant_address"] = values["complainant_address"] or caller.address
    chain = [d.code for d in divisions.chain(ticket.respondent_division)]
    values.update(dict(zip(("respondent_province", "respondent_city", "respondent_district"), chain, strict=False)))
    values.update(
        kind=ticket.kind.value if is_submitted(ticket) else "",
        complainant_phone=phones.mask(phone) if phone else None,  # the full number: an audited reveal
        category=ticket.category.code if ticket.category else "",
        category_group=ticket.category.group.value if ticket.category else "",
        problem_type=ticket.problem_type.code if ticket.problem_type else "",
        facts=ticket.facts or (sms_text(ticket) if ticket.channel == Channel.SMS else None),
        amount=str(ticket.amount) if ticket.amount is not None else "",
        purchase_date=ticket.purchase_date.isoformat() if ticket.purchase_date else "",
        online=bool(ticket.platform or ticket.seller or ticket.order_number),
        version=ticket.version,
        seen_event=last_event_id(ticket),
    )
    return values


def identity_level_for(ticket, phone):
    """How sure we are of who the complainant is, given the phone on the form (E.164 or None)."""
    if phone is None:
        return IdentityLevel.NONE
    if _otp_verified(ticket, phone):
        return IdentityLevel.OTP
    if ticket.caller is not None and ticket.caller.phone == phone:
        return IdentityLevel.CALLER_ID
    return IdentityLevel.NONE


def _otp_verified(ticket, phone):
    if ticket.identity_level == IdentityLevel.OTP and ticket.complainant_phone == phone:
        return True
    return db.session.scalar(select(OtpChallenge.id).where(
        OtpChallenge.ticket_id == ticket.id, OtpChallenge.phone == phone,
        OtpChallenge.verified_at.is_not(None)).limit(1)) is not None


def planned_changes(ticket, values):
    """The ticket columns the form would set, kind and identity level included (a referral
    may have no kind yet: the case keeps its own)."""
    kind = values["kind"]
    fields = dict(values["fields"])
    if kind:
        fields["kind"] = TicketKind.COMPLAINT if kind == "mixed" else TicketKind(kind)
    if kind == "mixed":
        # "Keep the reporter's identity confidential" is the report half's (split_report): the
        # complaint is mediated by a department that must know who complains.
        fields["confidential"] = False
    if "complainant_phone" in fields:
        fields["identity_level"] = identity_level_for(ticket, fields["complainant_phone"])
    if "respondent_division" in fields:
        fields.update(respondent_division(ticket, fields, values.get("division_manual", False)))
    return fields


def respondent_division(ticket, fields, manual=False):
    """Where the business is: {"respondent_division": code, "respondent_region": its full name}.

    The operator's own pick from the list stands. Otherwise a new or changed address decides
    (read by the address parser, namesakes settled toward HOME_DIVISION); else the division
    already known; else a region typed as text (the API's respondent_region) if it names one.
    """
    picked, address = fields.get("respondent_division"), fields.get("respondent_address")
    home = current_app.config.get("HOME_DIVISION") or None
    if address and not (manual and picked) and (picked is None or address != ticket.respondent_address):
        picked = divisions.from_address(address, home) or picked
    text = fields.get("respondent_region")
    if picked is None and text:
        picked = divisions.from_name(text, home)
    return {"respondent_division": picked,
            "respondent_region": divisions.full_name(picked) if picked else text}


def pending_changes(ticket, values):
    """The names of the fields a save would change (what the edit confirmation counts)."""
    return [name for name, new in planned_changes(ticket, values).items()
            if name != "id_number_hash" and _text(getattr(ticket, name)) != _text(new)]


def save_intake(ticket, values, actor, claim=False):
    """Apply the checked form to the case: every change recorded, a consultation answered and
    closed, a complaint-and-report split, the accept clock started, after-call work ended.
    `claim` (the intake form): an unowned case becomes the saving operator's or supervisor's."""
    kind = values["kind"]
    why = refusal(ticket, values)
    if why:
        raise IntakeRefused(why)
    old_kind = ticket.kind
    fields = planned_changes(ticket, values)
    id_hash = fields.pop("id_number_hash", ticket.id_number_hash)
    if claim:
        fields.update(_first_owner(ticket, actor))
    changed = tickets.update_fields(ticket, fields, actor)
    ticket.id_number_hash = id_hash
    if "anonymous" in changed and ticket.anonymous:  # only then: no identity is recorded while anonymous
        _forget_identity_in_history(ticket)
    _remember_caller(ticket)
    report = answered = None
    if kind == "consultation":
        _answer(ticket, old_kind, actor)
        if values.get("article") is not None:
            answered = answers.answer_with(ticket, values["article"], actor, values.get("text_answer", False))
    if kind == "mixed":
        report = split_report(ticket, values["report_facts"], actor,
                              confidential=bool(values["fields"].get("confidential")))
    for case in filter(None, (ticket, report)):
        if case.kind in CLOCKED_KINDS:
            start_accept_clock(case, actor)
    end_wrapup(ticket, actor)
    discard_draft(ticket, actor)
    db.session.flush()
    return Saved(ticket=ticket, changed=changed, report=report, answered=answered)


# The history lines that would keep who filed an anonymous report (the values, not that they changed).
IDENTITY_HISTORY = ("complainant_name", "complainant_phone", "complainant_address", "id_number_masked")


def _forget_identity_in_history(ticket):
    """An anonymous report keeps no identity: the lines that recorded the name, phone, address
    and ID number typed before it was made anonymous lose their values (the change stays)."""
    db.session.execute(
        TicketEvent.__table__.update()
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "field",
               TicketEvent.field.in_(IDENTITY_HISTORY),
               (TicketEvent.from_value.is_not(None)) | (TicketEvent.to_value.is_not(None)))
        .values(from_value=None, to_value=None))
    db.session.expire(ticket, ["events"])


def refer_with_intake(ticket, values, entry, actor, note=None, control=None, claim=False):
    """Refer an out-of-scope case keeping what the intake form held (IntakeForm.values(for_referral=True),
    checked for format only: a referral needs no complete complaint). The values are written
    through routing's referral, in the same transaction and history, then the operator's draft is
    dropped and after-call work ends as a save would end it. With `control` (a live call), the
    caller is transferred to the agency too. `claim` (the intake form): an unowned case becomes
    the referring operator's or supervisor's, as a save of the form makes it (the case page
    then names who told the caller where to go)."""
    fields = planned_changes(ticket, values)
    owner = _first_owner(ticket, actor) if claim else {}
    if owner:
        # Routing's referral writes only what the caller said (INTAKE_FIELDS); the owner is ours.
        tickets.update_fields(ticket, owner, actor)
    if control is None:
        referrals.refer(ticket, entry, actor, note=note, intake_values=fields)
    else:
        referrals.refer_call(ticket, entry, actor, control, note=note, intake_values=fields)
    _remember_caller(ticket)
    end_wrapup(ticket, actor)
    discard_draft(ticket, actor)
    db.session.flush()
    return ticket


def _first_owner(ticket, actor):
    """A case nobody answered (an SMS) belongs to the first operator or supervisor who saves
    its intake form or refers it from there: the case page then names who took it. An owner stays; old cases are not
    backfilled. Not for API saves: an integration's token would own every case it files."""
    if ticket.assigned_to_id is None and getattr(actor, "role", None) in OWNER_ROLES:
        return {"assigned_to_id": actor.id}
    return {}


def refusal(ticket, values):
    """Why the checked form cannot be saved on this case as it stands (an IntakeRefused code),
    or None. The form asks it before its edit confirmation too: nobody confirms a change that
    will be refused."""
    kind = values["kind"]
    if kind == "consultation" and ticket.status not in (TicketStatus.NEW, TicketStatus.ANSWERED):
        return "consultation_past_intake"
    if kind != "consultation" and ticket.status == TicketStatus.ANSWERED:
        return "answered_consultation"
    if kind == "mixed" and ticket.linked_ticket_id is not None:
        return "already_split"
    return _exposing(ticket, kind, values["fields"])


def _exposing(ticket, kind, fields):
    """Past intake, a save may not name a reporter to those who were not told who they are: a
    report that became a complaint, or a confidential reporter no longer confidential, would
    show the filer to the department already holding the case (hotline.access.can_see_identity)
    and to API readers. Hiding more (a complaint made a report, a report made anonymous) stays
    allowed. A reporter who agrees to be named files a new complaint."""
    if ticket.status == TicketStatus.NEW:
        return None
    if ticket.kind == TicketKind.REPORT and kind != "report":
        return "report_past_intake"
    if ticket.confidential and not (fields.get("confidential") or fields.get("anonymous")):
        return "confidential_past_intake"
    return None


def _remember_caller(ticket):
    """The calling number's owner gave their name and address: know them next time they call."""
    caller = ticket.caller
    if caller is None or ticket.identity_level == IdentityLevel.NONE or ticket.complainant_phone != caller.phone:
        return
    caller.name = ticket.complainant_name or caller.name
    caller.address = ticket.complainant_address or caller.address


def _answer(ticket, old_kind, actor):
    """A consultation is answered on the spot: the case closes as answered."""
    if old_kind in CLOCKED_KINDS:
        clocks.cancel_clocks(ticket, actor=actor, reason="reclassified as a consultation")
    if ticket.status == TicketStatus.NEW:
        tickets.change_status(ticket, TicketStatus.ANSWERED, actor, reason="answered on the spot")


def split_report(complaint, report_facts, actor, confidential=False):
    """Open the report half of a complaint-and-report as its own case, linked both ways;
    `confidential`: the reporter asked that their identity be kept (the report's alone)."""
    shared = {name: getattr(complaint, name) for name in SHARED_WITH_REPORT} | {"confidential": confidential}
    report = tickets.open_ticket(complaint.channel, caller=complaint.caller, actor=actor, kind=TicketKind.REPORT,
                                 facts=report_facts, linked_ticket_id=complaint.id, **shared)
    complaint.linked_ticket_id = report.id
    tickets.record_event(complaint, "split", actor, to_value=report.number, reason="complaint and report")
    tickets.record_event(report, "split", actor, to_value=complaint.number, reason="complaint and report")
    db.session.flush()
    return report


def start_accept_clock(ticket, actor):
    """Start the accept-or-reject clock from when the case came in, once per case."""
    if db.session.scalar(select(Clock.id).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.ACCEPT).limit(1)):
        return None
    return clocks.start_clock(ticket, ClockKind.ACCEPT, start=ticket.created_at, actor=actor)


def end_wrapup(ticket, user, at=None):
    """After-call work ends when the form is saved: mark the operator's call on this case.
    A save during the call is superseded by the first save after hang-up; later edits change nothing."""
    contact = db.session.scalar(
        select(Contact).where(Contact.ticket_id == ticket.id, Contact.channel == Channel.VOICE,
                              Contact.answered_by_id == user.id, Contact.answered_at.is_not(None))
        .order_by(Contact.answered_at.desc(), Contact.id.desc()).limit(1))
    if contact is None:
        return None
    return calls.end_wrapup(contact, at)


def _text(value):
    return None if value is None else str(getattr(value, "value", value))


# ---- drafts ------------------------------------------------------------------------------

def draft_data(formdata):
    """The typed values worth keeping from a posted form, or None when it is too big to be one."""
    data = {k: v for k, v in formdata.items() if k not in DRAFT_SKIPS}
    if len(data) > DRAFT_MAX_KEYS or any(len(v) > DRAFT_MAX_VALUE for v in data.values()):
        return None
    return data


def save_draft(ticket, user, data):
    """Keep what the operator typed, one draft per operator and case (insert or replace)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    at = now()
    stmt = dialect.insert(IntakeDraft).values(ticket_id=ticket.id, user_id=user.id, data=data, updated_at=at)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["ticket_id", "user_id"],
                                                  set_={"data": data, "updated_at": at}))
    return at


def get_draft(ticket, user):
    """The operator's unsaved draft for this case, or None."""
    return db.session.get(IntakeDraft, {"ticket_id": ticket.id, "user_id": user.id})


def discard_draft(ticket, user):
    """Forget the operator's draft (after a save, or when they throw it away)."""
    draft = get_draft(ticket, user)
    if draft is not None:
        db.session.delete(draft)
    return draft
