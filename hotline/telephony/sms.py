"""Twilio SMS webhooks (/twilio/sms...): a text becomes a Contact and a case (or answers a
command), every reply goes through the outbox, and delivery reports update it.

Views first; below them the services they call, which take plain values and never see
the request.
"""

import logging
import re
from datetime import timedelta

from flask import Blueprint, abort, current_app, request
from sqlalchemy import or_, select
from twilio.twiml.messaging_response import MessagingResponse

from hotline import events, inputs, outbox, sms_texts, timeutil
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, Ticket, TicketStatus
from hotline.phones import InvalidPhone
from hotline.telephony.signature import twilio_webhook, twiml
from hotline.tickets import adopt, claim_caller, dialect_statements, open_ticket

bp = Blueprint("sms", __name__)
log = logging.getLogger("hotline.sms")

_SID = re.compile(r"[A-Za-z0-9]{2,64}")
MAX_MEDIA = 10  # Twilio delivers at most ten media per MMS
JOIN_WINDOW = timedelta(hours=24)


@bp.route("", methods=["POST"])
@twilio_webhook
def incoming():
    """A caller's text: recorded once per MessageSid; replies are queued, TwiML stays empty."""
    form = request.form
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not _SID.fullmatch(sid) or not sender:
        log.warning("sms webhook: missing or malformed MessageSid/From, ignored")
        abort(400)
    try:
        receive_sms(sid, sender, form.get("To", ""), form.get("Body", ""), media_from(form))
    except InvalidPhone:
        db.session.rollback()
        log.warning("sms webhook %s: From is not a phone number, ignored", sid)
        return twiml(MessagingResponse())
    db.session.commit()
    return twiml(MessagingResponse())


@bp.route("/status", methods=["POST"])
@twilio_webhook
def status():
    """Twilio's delivery report for a message the outbox sent; unknown SIDs change nothing."""
    form = request.form
    sid, state = form.get("MessageSid", ""), form.get("MessageStatus", "").strip().lower()
    if not _SID.fullmatch(sid) or not state or len(state) > 32:
        log.warning("sms status callback: missing or malformed MessageSid/MessageStatus")
        abort(400)
    outbox.apply_status(sid, state, form.get("ErrorCode", "")[:16] or None)
    db.session.commit()
    return twiml(MessagingResponse())


def media_from(form):
    """MMS media as evidence links [{url, content_type}], bounded however many are claimed."""
    try:
        count = min(max(int(form.get("NumMedia", "0")), 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = []
    for n in range(count):
        url = form.get(f"MediaUrl{n}", "")
        if url.startswith(("https://", "http://")) and len(url) <= 500:
            media.append({"url": url, "content_type": form.get(f"MediaContentType{n}", "")[:100]})
    return media


# --- services ---------------------------------------------------------------------------


def receive_sms(sid, from_number, to_number, body, media):
    """Record an inbound text and act on it, once per MessageSid; None for a repeat.

    The caller row comes first (inserted, or read and locked): a repeat of a MessageSid then
    queues behind the first and finds its Contact. A number never seen before that texts a
    message (the usual case) takes the short path; commands and known callers the full one."""
    caller, new = claim_caller(from_number)
    text = _clean_body(sid, body)
    command = sms_texts.parse_command(text)
    if new and command.kind == "message":
        return first_text(sid, caller, to_number, text, media)
    contact = record_contact(sid, caller, to_number, text, media)
    if contact is None:
        return None
    if contact.blocked and command.kind in ("query", "message"):
        return contact
    _HANDLERS[command.kind](contact, command)
    return contact


def first_text(sid, caller, to_number, text, media):
    """A message from a number never seen: a new SMS case, its Contact written already linked and
    answered, and the acknowledgement in the outbox, in four INSERTs after the caller's. Nothing
    the full path asks can be true of a new number (an open survey, a resolved case to appeal,
    a recent case to join, an opt-out, a block), so it is not asked and sms_received is not
    offered. Returns the Contact's row (its columns as attributes, not a Contact object); None
    (everything rolled back) when the MessageSid is already recorded."""
    ticket = open_ticket(Channel.SMS, caller=caller, summary=_summary(text))
    moment = timeutil.now()  # the text and its reply, the same instant: first reply in 0 s
    contact = _insert_contact(
        sid, caller, to_number, text, media, ticket_id=ticket.id, first_reply_at=moment, created_at=moment,
        updated_at=moment,
    )  # the row only: the webhook needs nothing of it, so no Contact object is made
    if contact is None:  # only a MessageSid re-sent from another number can get here
        db.session.rollback()
        return None
    # Not outbox.queue_sms: a new number has not opted out, and first_reply_at is set above.
    outbox.add_sms(caller.phone, sms_texts.ACK_NEW.format(number=ticket.number), "ack", ticket_id=ticket.id)
    return contact


def _clean_body(sid, body):
    text, cut_from = sms_texts.clean_body(body)
    if cut_from:
        log.warning("sms %s: body of %s characters truncated to %s", sid, cut_from, len(text))
        text += f"\n[已截断：原文 {cut_from} 字]"
    return text


def record_contact(sid, caller, to_number, text, media):
    """The inbound SMS Contact; None when this MessageSid is already recorded."""
    row = _insert_contact(sid, caller, to_number, text, media, blocked=caller.blocked_at is not None)
    return None if row is None else adopt(row, Contact)


def _insert_contact(sid, caller, to_number, text, media, **values):
    """INSERT ... ON CONFLICT (sid) DO NOTHING RETURNING the Contact's columns (a row): a repeat
    writes nothing and gives None. The statement is built once per dialect."""
    values = dict(
        sid=sid, channel=Channel.SMS, direction=Direction.INBOUND, caller_id=caller.id,
        from_number=caller.phone, to_number=to_number[:32] or None, status="received",
        body=text, media=media or None, **values,
    )
    inputs.check_lengths(Contact, values)  # what the flush-time check would have refused
    return db.session.execute(dialect_statements()["contact"], values).one_or_none()


def handle_opt_out(contact, command):
    """STOP / 退订: no more SMS but legal notices; the confirmation itself still goes out."""
    outbox.opt_out(contact.caller, via="sms", reference=contact.sid)
    outbox.queue_sms(contact.caller.phone, sms_texts.OPTED_OUT, "optout", legal=True)


def handle_opt_in(contact, command):
    """START / 订阅: notices again."""
    outbox.opt_in(contact.caller, via="sms", reference=contact.sid)
    outbox.queue_sms(contact.caller.phone, sms_texts.OPTED_IN, "optin")


def handle_query(contact, command):
    """CX / 查询 <case>: the status, only for a case this number filed; a bare 查询 / CX, the
    status of the latest case it filed (what a caller who lost the number means)."""
    ticket = latest_own_ticket(contact.caller) if command.latest else own_ticket(contact.caller, command.case_number)
    if ticket is None:
        template = sms_texts.NO_SUCH_CASE if command.case_number else sms_texts.NO_SUCH_CASE_UNREADABLE
        outbox.queue_sms(contact.caller.phone, template.format(number=command.case_number), "status")
        return
    link_to_ticket(contact, ticket)
    tz = current_app.config["HOTLINE_TIMEZONE"]
    body = sms_texts.STATUS_REPLY.format(
        number=ticket.number,
        label=sms_texts.status_label(ticket.status),
        updated=timeutil.to_local(ticket.updated_at or ticket.created_at, tz).strftime("%Y-%m-%d"),
    )
    outbox.queue_sms(contact.caller.phone, body, "status", ticket=ticket)


def handle_message(contact, command):
    """Any other text: first offered to the features (events.sms_received: a survey answer, an
    appeal word reopening a resolved case), else it joins the caller's new SMS case of the last
    24 h, or opens one."""
    claimed = events.first_taker(events.sms_received, contact=contact)
    if claimed is not None:
        link_to_ticket(contact, claimed)
        return
    ticket = recent_sms_ticket(contact.caller)
    template = sms_texts.ACK_JOINED
    if ticket is None:
        ticket = open_ticket(Channel.SMS, caller=contact.caller, summary=_summary(contact.body))
        template = sms_texts.ACK_NEW
    link_to_ticket(contact, ticket)
    outbox.queue_sms(contact.caller.phone, template.format(number=ticket.number), "ack", ticket=ticket,
                     opted_out=contact.caller.opted_out_at is not None)


def own_ticket(caller, number):
    """The case with this number if `caller` filed it or is its complainant's phone (the number
    the status page's last four digits come from); otherwise None, whoever's it is. Texting
    from the phone proves holding it, so this answer is never rate-limited."""
    if not number:
        return None
    return db.session.scalar(
        select(Ticket).where(
            Ticket.number == number, or_(Ticket.caller_id == caller.id, Ticket.complainant_phone == caller.phone)
        )
    )


def latest_own_ticket(caller):
    """The latest case `caller` filed or is the complainant's phone of; None when there is none."""
    return db.session.scalar(
        select(Ticket).where(or_(Ticket.caller_id == caller.id, Ticket.complainant_phone == caller.phone))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1))


def recent_sms_ticket(caller):
    """The caller's SMS case still NEW and opened within 24 h, if any."""
    return db.session.scalar(
        select(Ticket)
        .where(
            Ticket.caller_id == caller.id,
            Ticket.channel == Channel.SMS,
            Ticket.status == TicketStatus.NEW,
            Ticket.created_at >= timeutil.now() - JOIN_WINDOW,
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def link_to_ticket(contact, ticket):
    """Attach the text to the case (the case's timeline lists its contacts)."""
    contact.ticket = ticket
    db.session.flush()


def _summary(text):
    line = " ".join((text or "").split())
    return line[:60] or None


_HANDLERS = {
    "optout": handle_opt_out,
    "optin": handle_opt_in,
    "query": handle_query,
    "message": handle_message,
}
