"""The outbox: every outbound SMS is a row written in the transaction of the change that
caused it; the scheduler's dispatcher sends due rows with retries and backoff.

Delivery is at least once. A dispatcher claims a row (PENDING -> SENDING, committed) before
sending and records Twilio's SID in the commit after. If it dies between the two, the row
stays SENDING; after OUTBOX_STALE_SECONDS it goes back to PENDING and is sent again. That
can duplicate a text only when the crash fell in the instant after Twilio accepted it, and a
duplicate notice is a smaller harm than a lost one (legal notices must arrive).
"""

import logging
import time
from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import insert, select, update

from hotline import access, audit, phones, sms_texts, timeutil
from hotline.extensions import db
from hotline.models import Caller, Channel, Contact, Direction, OutboxChannel, OutboxMessage, OutboxStatus
from hotline.tickets import record_event

log = logging.getLogger("hotline.outbox")

DELIVERED_STATES = frozenset({"delivered", "read"})
FAILED_STATES = frozenset({"failed", "undelivered"})


class PermanentSendError(Exception):
    """The provider refused this message for good (bad number, bad request): no retry. Its text
    is the failure's code (failure_code), its cause the provider's own error."""


# An SMS's failure is stored (OutboxMessage.last_error) as a code the pages put in words
# (hotline.console.outbox.sms_error), never as the provider's message: Twilio's quotes the number
# in full ("The 'To' number +86138... is not valid") and is English. The log keeps the message.
def failure_code(exc):
    """provider:<Twilio error code>, http:<status> when the provider gave no code, else outage."""
    code, status = getattr(exc, "code", None), getattr(exc, "status", None)
    if isinstance(code, int):
        return f"provider:{code}"
    if isinstance(status, int):
        return f"http:{status}"
    return "outage"


INTERRUPTED = "interrupted"  # a dispatcher died while sending: the row is sent again


class NoRecipient(ValueError):
    """The case has no number to text: no caller, or an anonymous case."""


def queue_sms(to, body, purpose, ticket=None, legal=False, actor=None, urgent=None, opted_out=None):
    """Write one SMS to the outbox (flushed, not committed); SUPPRESSED when the number
    opted out and the message is neither legally required nor a reply to the caller's own
    request (SMS_REPLY_PURPOSES: a status query is answered even after 退订). `opted_out`: what
    the caller already read from the number's Caller row, saving the look-up.

    A notice that is not urgent waits for the end of quiet hours (QUIET_HOURS): urgent by
    default are the purposes in SMS_URGENT_PURPOSES, the answers to what the caller has
    just done (acknowledgements, status replies, codes, opt-out confirmations).
    """
    config = current_app.config
    phone = phones.normalise(to, config["DEFAULT_PHONE_REGION"])
    reply = purpose in config.get("SMS_REPLY_PURPOSES", ())
    suppressed = not legal and not reply and (is_opted_out(phone) if opted_out is None else opted_out)
    moment = timeutil.now()
    message = OutboxMessage(
        channel=OutboxChannel.SMS,
        to=phone,
        body=body,
        purpose=purpose,
        ticket=ticket,
        legal=legal,
        status=OutboxStatus.SUPPRESSED if suppressed else OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=_due(purpose, urgent, moment),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(message)
    if ticket is not None and purpose in FIRST_REPLY_PURPOSES:
        _mark_first_reply(ticket, moment)
    db.session.flush()
    return message


def add_sms(phone, body, purpose, ticket_id=None, urgent=None):
    """One PENDING SMS in a plain INSERT, for a hot path that has already settled what queue_sms
    checks: `phone` normalised, not opted out, the first reply recorded if it is one."""
    moment = timeutil.now()
    db.session.execute(_INSERT_SMS, {
        "channel": OutboxChannel.SMS, "to": phone, "body": body, "purpose": purpose, "ticket_id": ticket_id,
        "legal": False, "status": OutboxStatus.PENDING, "attempts": 0,
        "next_attempt_at": _due(purpose, urgent, moment), "created_at": moment, "updated_at": moment,
    })


# Built once: a Core INSERT executed with a parameter dict (no per-request values() building).
_INSERT_SMS = insert(OutboxMessage.__table__)


def _due(purpose, urgent, moment):
    if urgent is None:
        urgent = purpose in current_app.config["SMS_URGENT_PURPOSES"]
    return moment if urgent else not_before(moment)


# What counts as the first reply to a caller's text (docs/DOMAIN.md, "Call-centre figures").
FIRST_REPLY_PURPOSES = frozenset({"ack", "reply", "status"})


def not_before(moment):
    """The earliest time (naive UTC) a non-urgent notice written at `moment` may be sent."""
    config = current_app.config
    tz = config["HOTLINE_TIMEZONE"]
    local = timeutil.to_local(moment, tz).replace(tzinfo=None)
    until = sms_texts.quiet_until(local, config["QUIET_HOURS"])
    return moment if until is None else timeutil.local_to_utc(until, tz)


def _mark_first_reply(ticket, moment):
    db.session.execute(
        update(Contact)
        .where(
            Contact.ticket_id == ticket.id,
            Contact.channel == Channel.SMS,
            Contact.direction == Direction.INBOUND,
            Contact.first_reply_at.is_(None),
        )
        .values(first_reply_at=moment)
    )


def is_opted_out(phone):
    """Whether the number texted STOP (and not START since)."""
    opted_out_at = db.session.scalar(select(Caller.opted_out_at).where(Caller.phone == phone))
    return opted_out_at is not None


def opt_out(caller, via, reference=None):
    """Record that the caller wants no more SMS but legally required notices."""
    caller.opted_out_at = timeutil.now()
    audit.record(None, "sms_opt_out", "caller", caller.id, via=via, reference=reference)


def opt_in(caller, via, reference=None):
    """Record that the caller wants SMS notices again."""
    caller.opted_out_at = None
    audit.record(None, "sms_opt_in", "caller", caller.id, via=via, reference=reference)


def reply_to_caller(ticket, text, actor):
    """An operator's SMS to the case's caller, carrying the case number, on the timeline. It goes
    where the case's notices go (access.notice_phone): never for an anonymous case, whose
    reporter asked that nobody be texted about it."""
    phone = access.notice_phone(ticket)
    if phone is None:
        raise NoRecipient(ticket.number)
    body = sms_texts.with_case_number(text.strip(), ticket.number)
    message = queue_sms(phone, body, "reply", ticket=ticket, actor=actor)
    record_event(
        ticket, "sms_reply", actor, to_value=body,
        data={"outbox_id": message.id, "status": message.status.value},
    )
    return message


def messages_of(ticket):
    """The case's outbound messages, oldest first."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.channel == OutboxChannel.SMS)
        .order_by(OutboxMessage.id)
    ).all()


def failed_messages(limit=200):
    """Messages the dispatcher gave up on, newest first: a supervisor's to-do list."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.channel == OutboxChannel.SMS)
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()


def retry(message, actor):
    """Put a FAILED message back in the queue with a fresh set of attempts (audited)."""
    if message.status != OutboxStatus.FAILED:
        return False
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = timeutil.now()
    audit.record(actor, "outbox_retry", "outbox_message", message.id, last_error=message.last_error)
    return True


# --- the dispatcher ---------------------------------------------------------------------


def dispatch_due(sender, now=None, batch=100, channel=OutboxChannel.SMS, max_seconds=None):
    """Send up to `batch` due messages of `channel` (SMS by default; outbound webhooks use the
    same queue with their own sender), one claimed row at a time; returns counts by outcome.

    Unlike other services this commits: the claim must be visible to other dispatchers
    before the send, and the SID must be stored as soon as Twilio returns it.
    """
    moment = now or timeutil.now()
    # The scheduler runs this every few seconds: stopping at `max_seconds` keeps one run from
    # overlapping the next, while a large `batch` lets a backlog drain at the sender's speed.
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    counts = Counter(released=release_stale(moment))
    db.session.commit()
    for _ in range(batch):
        if deadline is not None and time.monotonic() >= deadline:
            break
        message = claim_next(moment, channel)
        db.session.commit()
        if message is None:
            break
        counts[send_one(sender, message, moment)] += 1
        db.session.commit()
    return {outcome: n for outcome, n in counts.items() if n}


def claim_next(moment, channel=OutboxChannel.SMS):
    """Mark the oldest due PENDING message of `channel` as SENDING (one more attempt) and
    return it, or None.

    SKIP LOCKED (PostgreSQL) lets two dispatchers pass each other; the status guard in
    the UPDATE keeps them apart where row locks do not exist (SQLite).
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.channel == channel,
            OutboxMessage.next_attempt_at <= moment,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    for _ in range(3):
        message_id = db.session.scalar(due)
        if message_id is None:
            return None
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1, updated_at=moment)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            message = db.session.get(OutboxMessage, message_id)
            db.session.refresh(message)
            return message
    return None


def send_one(sender, message, moment):
    """Hand one claimed message to the sender and record the outcome. A sender may set
    message.provider_status itself (a webhook receiver's HTTP status)."""
    message.provider_status = None
    try:
        sid = sender.send(message)
    except PermanentSendError as exc:
        log.warning("outbox %s refused for good: %s", message.id, exc.__cause__ or exc)
        message.status, message.last_error = OutboxStatus.FAILED, str(exc)[:100]
        return "failed"
    except Exception as exc:  # noqa: BLE001  (an outage of any kind: the row waits and retries)
        log.warning("outbox %s attempt %s failed: %s", message.id, message.attempts, exc)
        return retry_later(message, failure_code(exc), moment)
    message.status, message.provider_sid, message.sent_at = OutboxStatus.SENT, sid, moment
    message.last_error = None
    return "sent"


def retry_later(message, error, moment):
    """Schedule the next attempt after the backoff, or FAILED when attempts are used up."""
    config = current_app.config
    message.last_error = error[:1000]
    if message.attempts >= config.get("OUTBOX_MAX_ATTEMPTS", 5):
        message.status = OutboxStatus.FAILED
        return "failed"
    wait = sms_texts.backoff_seconds(message.attempts, config.get("OUTBOX_BACKOFF_SECONDS", 30))
    message.status, message.next_attempt_at = OutboxStatus.PENDING, moment + timedelta(seconds=wait)
    return "retry"


def release_stale(moment):
    """Put rows left SENDING by a dispatcher that died back in the queue (see module doc)."""
    limit = moment - timedelta(seconds=current_app.config.get("OUTBOX_STALE_SECONDS", 300))
    stale = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.updated_at < limit
        )
    ).all()
    for message in stale:
        retry_later(message, INTERRUPTED, moment)
    return len(stale)


def apply_status(sid, provider_status, error_code=None):
    """Record Twilio's status callback; None for an unknown SID. DELIVERED is final, and
    a late callback never undoes a later state."""
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_sid == sid))
    if message is None or message.status == OutboxStatus.DELIVERED:
        return message
    if provider_status in DELIVERED_STATES:
        message.status, message.provider_status = OutboxStatus.DELIVERED, provider_status
    elif message.status == OutboxStatus.SENT:
        message.provider_status = provider_status
        if provider_status in FAILED_STATES:
            _undelivered(message, f"undelivered:{error_code or ''}")
    db.session.flush()
    return message


def _undelivered(message, error):
    """A legal notice is tried again (then flagged); any other notice fails at once."""
    if message.legal:
        retry_later(message, error, timeutil.now())
    else:
        message.status, message.last_error = OutboxStatus.FAILED, error
