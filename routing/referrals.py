"""Out-of-scope cases and unhappy complainants: the referral directory, referring a case
(with an SMS and, for a caller on the line, a call transfer), and appeals that reopen a case.

Services flush; the view, job or webhook that called them commits once.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import func, select
from twilio.base.exceptions import TwilioException

from hotline import access, audit, outbox, phones, sms_texts
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Appeal,
    Caller,
    Channel,
    ClockKind,
    Contact,
    Department,
    ReferralEntry,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from hotline.telephony.callcontrol import CallControlError, public_url
from hotline.tickets import IllegalTransition, change_status, record_event, update_fields
from hotline.timeutil import now
from routing import referral_texts as texts

KEY = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
E164 = re.compile(r"^\+[1-9][0-9]{4,14}$")
EDITABLE = ("agency_zh", "agency_en", "hotline", "scope", "caller_script", "sms_text",
            "transfer_number", "position", "active")
# An entry's limits, as the console's form and the API take them (EntryForm, routing/api.py).
MAX_AGENCY, MAX_HOTLINE, MAX_SCOPE, MAX_CALLER_SCRIPT, MAX_SMS_TEXT = 200, 32, 2000, 2000, 500
MAX_POSITION = 100_000
REFERABLE = (TicketStatus.NEW, TicketStatus.ACCEPTED)
# What a referral writes onto the case beside its status: whatever the intake form held when the
# operator referred (identity, facts, the business, the demand), complete or not.
INTAKE_FIELDS = frozenset({
    "kind", "complainant_name", "complainant_phone", "complainant_address", "identity_level",
    "id_number_masked", "id_number_hash", "anonymous", "confidential", "category_id", "problem_type_id",
    "respondent_name", "respondent_address", "respondent_region", "respondent_division", "platform",
    "seller", "order_number", "facts", "demand", "amount", "purchase_date", "answers", "answer",
})
APPEALABLE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
APPEAL_TARGETS = ("department", "supervisor")
APPEAL_CHANNELS = ("voice", "sms", "callback", "console")
# The channels staff record an appeal from (the console's form, the API); "sms" is the caller's own text.
STAFF_APPEAL_CHANNELS = tuple(c for c in APPEAL_CHANNELS if c != "sms")
MAX_APPEAL_REASON = 2000


class ReferralError(ValueError):
    """The referral cannot be made as asked (inactive entry, no live call); nothing changed."""


class AppealRefused(ValueError):
    """The case cannot be appealed now (it has no result to appeal); nothing changed."""


# --- the directory ----------------------------------------------------------------------


def seed_referral_directory():
    """Add the default entries whose key is missing; rows that exist stay as edited."""
    existing = set(db.session.scalars(select(ReferralEntry.key)))
    added = 0
    for position, default in enumerate(texts.DEFAULT_DIRECTORY, start=1):
        if default.key in existing:
            continue
        db.session.add(ReferralEntry(
            key=default.key, agency_zh=default.agency_zh, agency_en=default.agency_en,
            hotline=default.hotline, scope=default.scope, caller_script=default.caller_script,
            sms_text=default.sms_text, position=position * 10, active=default.active,
        ))
        added += 1
    db.session.flush()
    return added


def directory(active_only=True):
    """The entries in display order."""
    stmt = select(ReferralEntry).order_by(ReferralEntry.position, ReferralEntry.id)
    if active_only:
        stmt = stmt.where(ReferralEntry.active.is_(True))
    return db.session.scalars(stmt).all()


def entry_by_key(key, active_only=True):
    """The entry with this key, or None."""
    if not KEY.match(key or ""):
        return None
    entry = db.session.scalar(select(ReferralEntry).where(ReferralEntry.key == key))
    return None if entry is None or (active_only and not entry.active) else entry


def suggested_first(entries, key):
    """The entries with the suggested one moved to the top (order otherwise kept)."""
    return sorted(entries, key=lambda entry: entry.key != key)


def suggested_key(ticket, requested=None):
    """The referral the suggestion engine proposed: the intake form's ?suggested= value, else
    the case's last "suggestion" event (data {"referral": {"key": ...}} or {"referral": "key"})."""
    if requested and KEY.match(requested):
        return requested
    event = ticket.events.filter(TicketEvent.type == "suggestion").order_by(TicketEvent.id.desc()).first()
    referral = (event.data or {}).get("referral") if event is not None else None
    key = referral.get("key") if isinstance(referral, dict) else referral
    return key if isinstance(key, str) and KEY.match(key) else None


def snapshot(entry):
    """The audited fields of an entry."""
    return {"key": entry.key, **{field: getattr(entry, field) for field in EDITABLE}}


def save_entry(entry, user, changes, ip=None):
    """Create (entry None; changes carry the key) or edit an entry, audited before and after."""
    before = None if entry is None else snapshot(entry)
    if entry is None:
        entry = ReferralEntry(key=changes["key"])
        db.session.add(entry)
    for field in EDITABLE:
        if field in changes:
            setattr(entry, field, changes[field])
    db.session.flush()
    audit.record(user, "referral_entry_changed", "referral_entry", entry.id, ip=ip,
                 before=before, after=snapshot(entry))
    return entry


def set_active(entry, active, user, ip=None):
    """Switch an entry on or off (audited); an inactive entry is kept for cases that used it."""
    return save_entry(entry, user, {"active": bool(active)}, ip=ip)


def key_taken(key):
    """Whether an entry (active or not) already has this key."""
    return db.session.scalar(select(ReferralEntry.id).where(ReferralEntry.key == key)) is not None


# --- referring a case -------------------------------------------------------------------


def refer(ticket, entry, actor, note=None, intake_values=None):
    """Close the case as REFERRED to `entry`: recorded, the caller texted, its clocks cancelled.

    `intake_values`: what the intake form held, as ticket columns with checked, plain values
    (text, Decimal, date, category ids, TicketKind, IdentityLevel; keys in INTAKE_FIELDS). They
    are written first, each change on the case's history, so a referred case keeps what the
    caller said even though a referral needs no complete complaint. Intake builds them
    (intake.services.refer_with_intake); routing never reads the intake form itself.

    Raises IllegalTransition (from anything but NEW or ACCEPTED) or ReferralError, changing nothing.
    """
    if not entry.active:
        raise ReferralError(f"referral entry {entry.key} is not active")
    if ticket.status not in REFERABLE:
        raise IllegalTransition(ticket, TicketStatus.REFERRED)
    _keep_intake(ticket, intake_values or {}, actor)
    change_status(ticket, TicketStatus.REFERRED, actor, reason=note)
    ticket.referral = entry
    message = _referral_sms(ticket, entry, actor)
    record_event(
        ticket, "referred", actor, to_value=_entry_name(entry), reason=note,
        data={"key": entry.key, "entry_id": entry.id, "hotline": entry.hotline,
              "outbox_id": getattr(message, "id", None)},
    )
    clocks.cancel_clocks(ticket, actor=actor, reason="referred")
    db.session.flush()
    return ticket


def _keep_intake(ticket, values, actor):
    unknown = set(values) - INTAKE_FIELDS
    if unknown:
        raise ValueError(f"not intake fields: {', '.join(sorted(unknown))}")
    values = dict(values)
    # Only the keyed hash of an ID number is kept, and never on the history.
    if "id_number_hash" in values:
        ticket.id_number_hash = values.pop("id_number_hash")
    update_fields(ticket, values, actor)


def refer_call(ticket, entry, actor, control, note=None, intake_values=None):
    """Refer the case (unless it already is, to this entry) and move the caller's live call to
    the entry's script and number. Raises as refer and transfer_call do."""
    if ticket.referral_id != entry.id:
        refer(ticket, entry, actor, note=note, intake_values=intake_values)
    return transfer_call(ticket, entry, actor, control)


def _referral_sms(ticket, entry, actor):
    # Where every notice of the case goes (access.notice_phone): the complainant's own number,
    # else the one that called; a case filed on the web or by API has only the former.
    phone = access.notice_phone(ticket)
    if phone is None or not entry.sms_text:
        return None
    body = sms_texts.with_case_number(texts.sms_for(entry.sms_text, ticket.number), ticket.number)
    return outbox.queue_sms(phone, body, "referral", ticket=ticket, actor=actor)


def _entry_name(entry):
    return f"{entry.agency_zh} {entry.hotline}" if entry.hotline else entry.agency_zh


def live_call(ticket):
    """The case's voice call that an operator answered and that has not ended, or None."""
    return db.session.scalar(
        select(Contact)
        .where(Contact.ticket_id == ticket.id, Contact.channel == Channel.VOICE,
               Contact.answered_at.is_not(None), Contact.ended_at.is_(None), Contact.sid.is_not(None))
        .order_by(Contact.answered_at.desc(), Contact.id.desc())
        .limit(1)
    )


def dial_number(entry):
    """Where a transferred call is dialled: the entry's transfer number, else its hotline."""
    return entry.transfer_number or entry.hotline


def transfer_call(ticket, entry, actor, control):
    """Move the caller's live call to TwiML that reads the entry's script and dials it.

    Raises ReferralError when no call is live, CallControlError when Twilio refuses.
    """
    contact = live_call(ticket)
    if contact is None:
        raise ReferralError(f"case {ticket.number} has no live call to transfer")
    url = public_url("referrals.transfer_twiml", ticket_id=ticket.id, key=entry.key)
    _redirect(control, contact, url)
    record_event(ticket, "call_transferred", actor, to_value=_entry_name(entry),
                 data={"key": entry.key, "contact_id": contact.id, "dialled": dial_number(entry)})
    db.session.flush()
    return contact


def _redirect(control, contact, url):
    """hotline.telephony.callcontrol only connects operators; sending a call to other TwiML
    is the same REST update, done here on the control's client (or noted by the sandbox)."""
    client = getattr(control, "client", None)
    if client is None:
        control.performed.append({"call": contact.sid, "update": {"url": url, "method": "POST"}})
        return
    try:
        client.calls(contact.sid).update(url=url, method="POST")
    except (TwilioException, requests.RequestException) as exc:
        raise CallControlError(str(exc)) from exc


# --- appeals ----------------------------------------------------------------------------


def open_appeal(ticket, channel, reason, actor, target="department"):
    """Reopen a RESOLVED or CLOSED case on the complainant's appeal: back to its department
    (FORWARDED) or to the supervisors' triage (ACCEPTED), with an APPEAL clock.

    A case without a department goes to the supervisors whatever `target` says.
    Raises AppealRefused (or ValueError for an unknown channel or target), changing nothing.
    """
    if channel not in APPEAL_CHANNELS or target not in APPEAL_TARGETS:
        raise ValueError(f"appeal channel {channel!r} / target {target!r} unknown")
    if ticket.status not in APPEALABLE:
        raise AppealRefused(f"case {ticket.number} is {ticket.status}: only a result can be appealed")
    if ticket.department_id is None:
        target = "supervisor"
    _reopen(ticket, target, actor)
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    appeal = Appeal(ticket=ticket, department_id=ticket.department_id, channel=channel,
                    reason=reason, target=target, raised_by_id=getattr(actor, "id", None))
    db.session.add(appeal)
    db.session.flush()
    record_event(ticket, "appeal_opened", actor, to_value=target, reason=reason,
                 data={"channel": channel, "appeal_id": appeal.id, "reopen_count": ticket.reopen_count})
    clocks.start_clock(ticket, ClockKind.APPEAL, actor=actor)
    db.session.flush()
    return appeal


def _reopen(ticket, target, actor):
    if target == "supervisor":
        change_status(ticket, TicketStatus.ACCEPTED, actor, reason="appeal")
        return
    if ticket.status == TicketStatus.CLOSED:
        # The lifecycle reopens a closed case only into triage; from there it goes back out.
        change_status(ticket, TicketStatus.ACCEPTED, actor, reason="appeal")
    change_status(ticket, TicketStatus.FORWARDED, actor, reason="appeal")


def close_appeals(ticket, outcome, actor=None, at=None):
    """The case has a new result: its open appeals end with `outcome` and the APPEAL clock is met.
    For the desk's record_result; returns the appeals closed."""
    at = at or now()
    open_ = db.session.scalars(
        select(Appeal).where(Appeal.ticket_id == ticket.id, Appeal.closed_at.is_(None))).all()
    for appeal in open_:
        appeal.closed_at, appeal.outcome = at, outcome
    if open_:
        clocks.stop_clock(ticket, ClockKind.APPEAL, at=at, actor=actor)
    db.session.flush()
    return open_


def appeal_from_sms(caller_phone, body, at):
    """An appeal word texted by a caller whose case got its result within the window opens an
    appeal on that case (channel "sms") and tells the caller; None when the text is no appeal.

    The SMS webhook calls this before treating a text as a new message.
    """
    reason = texts.appeal_reason(body)
    if reason is None:
        return None
    ticket = _recently_resolved(caller_phone, at)
    if ticket is None:
        return None
    appeal = open_appeal(ticket, "sms", reason or body.strip(), None)
    appeal.created_at = at
    outbox.queue_sms(ticket.caller.phone, texts.APPEAL_RECEIVED.format(number=ticket.number), "appeal",
                     ticket=ticket)
    return appeal


def on_sms_received(_app, contact):
    """events.sms_received receiver: the case an appeal text reopened, or None to treat it as a message."""
    appeal = appeal_from_sms(contact.caller.phone, contact.body or "", now())
    return appeal.ticket if appeal else None


def _recently_resolved(caller_phone, at):
    try:
        phone = phones.normalise(caller_phone, current_app.config["DEFAULT_PHONE_REGION"])
    except phones.InvalidPhone:
        return None
    days = current_app.config.get("APPEAL_SMS_WINDOW_DAYS", 30)
    return db.session.scalar(
        select(Ticket)
        .join(Caller, Ticket.caller_id == Caller.id)
        .where(Caller.phone == phone, Ticket.status.in_(APPEALABLE),
               Ticket.resolved_at.is_not(None), Ticket.resolved_at >= at - timedelta(days=days),
               Ticket.resolved_at <= at)
        .order_by(Ticket.resolved_at.desc(), Ticket.id.desc())
        .limit(1)
    )


@dataclass
class AppealCount:
    department: Department | None  # None: cases that had no department (supervisors' triage)
    appeals: int
    cases: int  # distinct cases reopened


def appeal_counts(start, end):
    """Appeals opened in [start, end) (naive UTC) per department, most appealed first."""
    rows = db.session.execute(
        select(Appeal.department_id, func.count(Appeal.id), func.count(func.distinct(Appeal.ticket_id)))
        .where(Appeal.created_at >= start, Appeal.created_at < end)
        .group_by(Appeal.department_id)
    ).all()
    departments = {d.id: d for d in db.session.scalars(
        select(Department).where(Department.id.in_([row[0] for row in rows if row[0] is not None])))}
    counts = [AppealCount(departments.get(dept_id), appeals, cases) for dept_id, appeals, cases in rows]
    return sorted(counts, key=lambda c: (-c.appeals, c.department.name if c.department else ""))


def appeals_between(start, end, limit=200):
    """The appeals opened in [start, end), newest first."""
    return db.session.scalars(
        select(Appeal)
        .where(Appeal.created_at >= start, Appeal.created_at < end)
        .order_by(Appeal.created_at.desc(), Appeal.id.desc())
        .limit(limit)
    ).all()

