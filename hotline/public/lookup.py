"""What the public status page may say about a case, to whoever knows its number and the
last four digits of its phone number: status, who handles it, the next due date and the
notices we sent to that phone. Nothing personal beyond what the asker already typed."""

import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hotline import sms_texts
from hotline.console import labels
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import Department, OutboxChannel, OutboxMessage, OutboxStatus, Ticket
from hotline.scrub import scrub
from hotline.timeutil import to_local

SHOWN_STATES = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.DELIVERED)
# A one-time code must not be readable by someone who only knows four digits, and an
# operator's free-text reply may quote what the caller told them.
HIDDEN_PURPOSES = ("otp", "reply")
MASK = "***"
_NO_DIGITS = "\0\0\0\0"  # never matches: a case without a phone still costs one comparison


@dataclass
class Notice:
    at: datetime
    text: str
    pending: bool


@dataclass
class CaseStatus:
    number: str
    status: str
    status_label: str
    received: date
    handled_by: str | None
    next_due: date | None
    next_due_estimated: bool = False
    notices: list[Notice] = field(default_factory=list)


def find_ticket(number_text, digits):
    """The case whose number and phone's last four digits match, else None, whether the
    number exists or not, after the same single query and comparison."""
    number = sms_texts.parse_case_number(number_text or "") or ""
    ticket = db.session.scalar(select(Ticket).options(joinedload(Ticket.caller)).where(Ticket.number == number))
    given = (digits or "").encode()
    matched = False
    for last4 in _last_fours(ticket) or [_NO_DIGITS]:
        matched |= hmac.compare_digest(last4.encode(), given)
    return ticket if matched else None


def _phones(ticket):
    if ticket is None:
        return []
    numbers = {ticket.complainant_phone, ticket.caller.phone if ticket.caller else None}
    return sorted(n for n in numbers if n)


def _last_fours(ticket):
    return [digits[-4:] for digits in (re.sub(r"\D", "", n) for n in _phones(ticket)) if len(digits) >= 4]


def case_status(ticket, tz, locale="zh"):
    """The page's facts about `ticket`, dates in the hotline's time zone, words in `locale`'s
    language: in Chinese the status reads as the SMS notices word it, in English as the console's
    label; an agency by its name in that language (departments have one name only)."""
    return CaseStatus(
        number=ticket.number,
        status=str(ticket.status),
        status_label=labels.label(labels.STATUS, ticket.status) if locale.startswith("en") else sms_texts.status_label(ticket.status),
        received=to_local(ticket.created_at, tz).date(),
        handled_by=_handled_by(ticket, locale),
        **_next_due(ticket, tz),
        notices=_notices(ticket, tz),
    )


def _handled_by(ticket, locale):
    if ticket.department is not None:
        return ticket.department.name
    if ticket.referral is not None:
        entry = ticket.referral
        if locale.startswith("en"):
            return f"{entry.agency_en} ({entry.hotline})" if entry.hotline else entry.agency_en
        return f"{entry.agency_zh}（{entry.hotline}）" if entry.hotline else entry.agency_zh
    return None


def _next_due(ticket, tz):
    """The nearest running clock's day; for a case not yet decided whose accept clock has not
    started (a text, a call not yet saved as a complaint or report), the day acceptance is due,
    as the case page's time limits show it, and whether the calendar had to guess (the case
    page's `*`). Only a date: nothing else about the case."""
    due = clocks.next_due(ticket)
    return {"next_due": to_local(due[0], tz).date() if due else None, "next_due_estimated": bool(due and due[1])}


def _notices(ticket, tz):
    """SMS notices of the case sent (or about to be sent) to the case's own phone, oldest first."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.channel == OutboxChannel.SMS,
            OutboxMessage.status.in_(SHOWN_STATES),
            OutboxMessage.purpose.not_in(HIDDEN_PURPOSES),
            OutboxMessage.to.in_(_phones(ticket) or [""]),
        )
        .order_by(OutboxMessage.id)
    ).all()
    # Departments' contact phones are public (the forwarding notice tells the caller to ring one).
    public = db.session.scalars(select(Department.contact_phone).where(Department.contact_phone.is_not(None))).all()
    return [
        Notice(
            at=to_local(m.sent_at or m.created_at, tz),
            # Staff write some of it (a result's details): no phone, e-mail or ID number goes public.
            # Masked as a phone's digits are masked, in no language (the page may be either).
            text=scrub(m.body or "", keep=public, marker=MASK),
            pending=m.status in (OutboxStatus.PENDING, OutboxStatus.SENDING),
        )
        for m in messages
    ]
