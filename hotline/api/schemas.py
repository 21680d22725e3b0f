"""What the API accepts and returns: request checking and JSON shapes, no Flask, no session.

The limits here are the single source for both the checks and the OpenAPI document.
"""

from datetime import UTC, datetime, time, timedelta

from hotline import access, inputs, phones
from hotline.models import Channel, Ticket, TicketKind, TicketStatus
from hotline.rest import MAX_AMOUNT, ValidationFailed
from hotline.rest import storable as _storable
from hotline.search import PHONE_LIKE, TicketFilter
from hotline.timeutil import local_to_utc, to_local

# Longest accepted string per create field (the column size, or a sane cap for Text columns).
MAX_LENGTHS = {
    "phone": 40,
    "name": 120,
    "address": 500,
    "category": 32,
    "problem_type": 32,
    "facts": 10_000,
    "demand": 2_000,
    "respondent_name": 200,
    "respondent_address": 500,
    "respondent_region": 100,
}
REQUIRED = ("phone", "kind", "facts")
CREATE_KINDS = (TicketKind.COMPLAINT, TicketKind.REPORT, TicketKind.CONSULTATION)
CREATE_CHANNELS = (Channel.API, Channel.WEB)
CREATE_FIELDS = (*MAX_LENGTHS, "kind", "amount", "channel")

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
MAX_PAGE = inputs.MAX_PAGE  # keeps OFFSET inside what both databases accept
MAX_QUERY_TEXT = 200


def _string(value, max_length):
    """The stripped string (None when blank), or an error message."""
    if not isinstance(value, str):
        return None, "must be a string"
    if len(value) > max_length:
        return None, f"must be at most {max_length} characters"
    if not _storable(value):
        return None, "contains characters that are not text"
    return value.strip() or None, None


def _choice(value, choices):
    allowed = [c.value for c in choices]
    if not isinstance(value, str) or value not in allowed:
        return None, "must be one of " + ", ".join(allowed)
    return value, None


def _amount(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, "must be a non-negative number"
    amount = inputs.parse_decimal(value, *inputs.numeric_limits(Ticket.amount))
    if amount is None:
        return None, f"must be a non-negative number up to {MAX_AMOUNT}"
    return amount, None


def _check_field(name, value, phone_region):
    if name == "kind":
        return _choice(value, CREATE_KINDS)
    if name == "channel":
        return _choice(value, CREATE_CHANNELS)
    if name == "amount":
        return _amount(value)
    clean, error = _string(value, MAX_LENGTHS[name])
    if name == "phone" and clean:
        try:
            clean = phones.normalise(clean, phone_region)
        except phones.InvalidPhone:
            return None, "not a valid phone number"
    return clean, error


def parse_new_ticket(body, phone_region):
    """A create request's JSON object as clean values, and a dict naming every bad field."""
    errors = {name: "unknown field" for name in body if name not in CREATE_FIELDS}
    clean = {}
    for name in CREATE_FIELDS:
        value = body.get(name)
        if value is not None:
            clean[name], error = _check_field(name, value, phone_region)
            if error:
                errors[name] = error
        if name in REQUIRED and name not in errors and clean.get(name) is None:
            errors[name] = "required"
    clean["channel"] = clean.get("channel") or Channel.API.value
    return clean, errors


def _int_arg(raw, low, high, default):
    if raw is None:
        return default, None
    value = inputs.parse_int(raw, low, high)
    if value is None:
        return None, f"must be a whole number from {low} to {high}"
    return value, None


def _moment_arg(raw, tz_name, end_of_day):
    """An ISO 8601 date or datetime as naive UTC; a date-only upper bound takes in its whole day."""
    if "T" not in raw and " " not in raw.strip():
        day = inputs.parse_date(raw)
        if day is None:
            return None, "must be an ISO 8601 date or datetime"
        local = datetime.combine(day, time())
        return local_to_utc(local + timedelta(days=1) if end_of_day else local, tz_name), None
    moment = inputs.parse_datetime(raw)
    if moment is None:
        return None, "must be an ISO 8601 date or datetime"
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None), None
    return local_to_utc(moment, tz_name), None


def _statuses_arg(raw):
    names = [part.strip() for part in raw.split(",") if part.strip()]
    allowed = {s.value for s in TicketStatus}
    if not names or any(name not in allowed for name in names):
        return None, "must be a comma-separated list of: " + ", ".join(s.value for s in TicketStatus)
    return [TicketStatus(name) for name in names], None


def _list_arg(name, raw, tz_name):
    if name == "status":
        return _statuses_arg(raw)
    if name == "kind":
        value, error = _choice(raw, tuple(TicketKind))
        return (TicketKind(value) if value else None), error
    if name in ("created_from", "created_to"):
        return _moment_arg(raw, tz_name, end_of_day=name == "created_to")
    if name == "phone" and not PHONE_LIKE.match(raw.strip()):
        return None, "must be a phone number or at least its last 4 digits"
    if len(raw) > MAX_QUERY_TEXT or not _storable(raw):
        return None, f"must be text of at most {MAX_QUERY_TEXT} characters"
    return raw.strip() or None, None


FILTER_ARGS = ("status", "kind", "category", "department", "phone", "created_from", "created_to", "text")


def parse_list_query(args, tz_name):
    """Query arguments (a Werkzeug MultiDict) as (TicketFilter, page, per_page), or ValidationFailed."""
    errors, values = {}, {}
    for name in FILTER_ARGS:
        raw = ",".join(args.getlist(name)) if name == "status" else args.get(name)
        if raw:
            values[name], error = _list_arg(name, raw, tz_name)
            if error:
                errors[name] = error
    page, errors["page"] = _int_arg(args.get("page"), 1, MAX_PAGE, 1)
    per_page, errors["per_page"] = _int_arg(args.get("per_page"), 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)
    errors = {name: error for name, error in errors.items() if error}
    if errors:
        raise ValidationFailed(errors, "some query parameters are invalid")
    return TicketFilter(**values), page, per_page


def _time(moment, tz_name):
    return to_local(moment, tz_name).isoformat() if moment else None


def _code(category):
    return category.code if category else None


def callback_request(ticket, event, tz_name, show_identity=True, show_links=True):
    """One line of the callback list (voicemails and callback requests not yet handled)."""
    return {
        "number": ticket.number,
        "phone_masked": phones.mask(ticket.caller.phone) if ticket.caller and show_identity else None,
        "request": event.type,
        "at": _time(event.at, tz_name),
        "recording_url": event.to_value if event.type == "voicemail" and show_links else None,
    }


def blocked_caller(caller, tz_name):
    """One number on the block list, masked as on the console's list."""
    return {"id": caller.id, "phone_masked": phones.mask(caller.phone), "reason": caller.blocked_reason,
            "blocked_at": _time(caller.blocked_at, tz_name)}


def callback_done(ticket, event, tz_name):
    """The answer to a callback marked done: the case, when, and the note kept with it."""
    return {"number": ticket.number, "done_at": _time(event.at, tz_name), "note": event.reason}


def ticket_summary(ticket, tz_name, show_identity=True):
    """A ticket as a list item. Phone numbers leave the API masked only, and only to readers
    who may know who filed the case."""
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "kind": ticket.kind.value,
        "channel": ticket.channel.value,
        "category": _code(ticket.category),
        "problem_type": _code(ticket.problem_type),
        "department": ticket.department.code if ticket.department else None,
        "summary": access.summary_for(ticket, show_identity),
        "respondent_name": ticket.respondent_name,
        "phone_masked": phones.mask(ticket.caller.phone) if ticket.caller and show_identity else None,
        "created_at": _time(ticket.created_at, tz_name),
        "updated_at": _time(ticket.updated_at, tz_name),
        "closed_at": _time(ticket.closed_at, tz_name),
    }


def event_json(event, tz_name, show_identity=True, show_links=True, words=None):
    """A history line; identity values withheld or masked as hotline.access says. `words(event,
    from, to)` gives the labels beside its codes (hotline.console.words.event_labels)."""
    shown_from, shown_to = access.event_values(event, show_identity, show_links)
    return {
        "at": _time(event.at, tz_name),
        "type": event.type,
        "field": event.field,
        "from": shown_from,
        "to": shown_to,
        "reason": event.reason,
        "actor": event.actor.username if event.actor else None,
        **(words(event, shown_from, shown_to) if words else {}),
    }


def contact_json(contact, tz_name, show_words=True):
    times = ("created_at", "queued_at", "answered_at", "abandoned_at", "ended_at")
    return {
        "channel": contact.channel.value,
        "direction": contact.direction.value,
        "status": contact.status,
        **{name: _time(getattr(contact, name), tz_name) for name in times},
        "queue_seconds": contact.queue_seconds,
        "talk_seconds": contact.talk_seconds,
        "queue_result": contact.queue_result,
        # A caller's own texts may say who they are: only to readers who may know (hotline.access).
        "body": contact.body if contact.channel == Channel.SMS and show_words else None,
    }


def ticket_detail(ticket, events, contacts, tz_name, show_identity=True, show_links=False, words=None):
    """A ticket with its facts, caller (masked), timeline (with `words` beside its codes, see
    event_json) and contacts."""
    caller = ticket.caller
    return {
        **ticket_summary(ticket, tz_name, show_identity),
        "facts": ticket.facts,
        "demand": ticket.demand,
        "amount": float(ticket.amount) if ticket.amount is not None else None,
        "respondent_address": ticket.respondent_address,
        "respondent_region": ticket.respondent_region,
        "caller": {
            "phone_masked": phones.mask(caller.phone) if show_identity else None,
            "name": caller.name if show_identity else None,
            "address": caller.address if show_identity else None,
        } if caller else None,
        "events": [event_json(e, tz_name, show_identity, show_links, words) for e in events],
        "contacts": [contact_json(c, tz_name, show_identity) for c in contacts],
    }


def queued_sms(message, ticket, tz_name, show_identity=True):
    """An SMS written to the outbox: never the full number; masked only to readers who may know
    who filed the case (as ticket_summary)."""
    return {
        "id": message.id,
        "number": ticket.number,
        "purpose": message.purpose,
        "status": message.status.value,
        "to_masked": phones.mask(message.to) if show_identity else None,
        "body": message.body,
        "created_at": _time(message.created_at, tz_name),
        "send_after": _time(message.next_attempt_at, tz_name),
    }


def outbox_message(message, tz_name, text, error):
    """A message as the failed-messages page shows it: the number masked, a secret text (a
    one-time code) withheld as `text` None, the failure in the reader's words."""
    phone = message.channel.value != "webhook"  # an SMS's or a call's number; a webhook's is a URL
    return {
        "id": message.id, "channel": message.channel.value,
        "case": message.ticket.number if message.ticket is not None else None,
        "to_masked": phones.mask(message.to) if phone else None, "purpose": message.purpose,
        "legal": bool(message.legal), "text": text, "status": message.status.value,
        "attempts": message.attempts or 0, "error": error or None,
        "created_at": _time(message.created_at, tz_name), "updated_at": _time(message.updated_at, tz_name),
    }
