"""REST API /api/v1: tickets for other systems, bearer tokens, JSON everywhere."""

from flask import Blueprint, abort, current_app, g, jsonify, make_response, request, url_for
from flask_babel import force_locale

from hotline import access, audit, calls, inputs, outbox, phones, sms_texts, tickets
from hotline.api import openapi, schemas, services
from hotline.authz import public
from hotline.console import outbox as console_outbox
from hotline.console import words
from hotline.extensions import db
from hotline.models import Caller, OutboxMessage, Role
from hotline.rest import (
    api_roles,
    error_response,
    json_object,
    reader_language,
    refuse,
    text_field,
    unknown_fields,
)

bp = Blueprint("api", __name__)

# Admins manage accounts, not cases: they neither read nor open one (hotline.access.CASE_ROLES).
READ_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
WRITE_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
# As the console: a note from anyone who handles the case (console.add_note), an SMS reply from
# those who talk to callers (outbox.reply).
NOTE_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
SMS_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
CALL_ROLES = (Role.OPERATOR, Role.SUPERVISOR)  # the callback list's (hotline.console.calls)
NOT_FOUND = "no such case, or not one you may see"


def _tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def _case(number):
    """The case the token's user may see; else the API's 404 answer, raised."""
    ticket = access.get_ticket(number, g.api_user)
    if ticket is None:
        abort(make_response(error_response(404, "Not Found", NOT_FOUND)))
    return ticket


def _reader_rules(ticket):
    """(show_identity, show_links) for the token's user on this case (hotline.access)."""
    return access.api_shows_identity(g.api_user, ticket), access.may_see_links(g.api_user)


def _detail(ticket, show_identity=True, show_links=False):
    """The case as JSON, its history labelled in reader_language(), said in Content-Language."""
    events, contacts = services.ticket_history(ticket)
    language = reader_language()
    with force_locale(language):
        body = schemas.ticket_detail(ticket, events, contacts, _tz(), show_identity, show_links,
                                     words=words.event_labels)
    return body, {"Content-Language": language}


@bp.errorhandler(schemas.ValidationFailed)
def _validation_failed(exc):
    return error_response(422, "validation failed", exc.message, fields=exc.fields)




@bp.get("/openapi.json")
@public
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/tickets")
@api_roles(*READ_ROLES)
def list_tickets():
    flt, page, per_page = schemas.parse_list_query(request.args, _tz())
    items, total, capped = services.list_tickets(flt, page, per_page, g.api_user)
    return jsonify(
        items=[schemas.ticket_summary(t, _tz(), access.api_shows_identity(g.api_user, t)) for t in items],
        page=page, per_page=per_page,
        total=total, total_capped=capped,
    )


@bp.get("/tickets/<number>")
@api_roles(*READ_ROLES)
def get_ticket(number):
    ticket = _case(number)
    body, headers = _detail(ticket, *_reader_rules(ticket))
    return jsonify(body), 200, headers


@bp.post("/tickets/<number>/notes")
@api_roles(*NOTE_ROLES)
def add_note(number):
    """{"text": ...}: a note on the case's timeline, as the console's note form; the case as the
    reader sees it."""
    ticket = _case(number)
    body = json_object()
    errors = unknown_fields(body, ("text",))
    text = text_field(body, "text", tickets.MAX_NOTE, errors, required=True)
    if errors:
        return refuse(errors)
    tickets.add_note(ticket, text, g.api_user)
    db.session.commit()
    body, headers = _detail(ticket, *_reader_rules(ticket))
    return jsonify(body), 201, headers


@bp.post("/tickets/<number>/sms")
@api_roles(*SMS_ROLES)
def reply_by_sms(number):
    """{"body": ...}: an SMS to the case's caller, as the console's reply: queued with the case
    number added, on the case's history; not sent to a number that opted out (status suppressed)."""
    ticket = _case(number)
    body = json_object()
    errors = unknown_fields(body, ("body",))
    text = text_field(body, "body", sms_texts.MAX_REPLY, errors, required=True)
    if errors:
        return refuse(errors)
    try:
        message = outbox.reply_to_caller(ticket, text, g.api_user)
    except outbox.NoRecipient:
        db.session.rollback()
        return error_response(409, "Conflict", "the case has no number to text (no caller, or anonymous)")
    db.session.commit()
    shown = access.api_shows_identity(g.api_user, ticket)
    return jsonify(schemas.queued_sms(message, ticket, _tz(), shown)), 201


@bp.post("/tickets/<number>/reveal-phone")
@api_roles(*READ_ROLES)
def reveal_phone(number):
    """The case's numbers in full (the calling one, and the complainant's own when it is another:
    access.revealable_phones), written to the audit log (`reveal_phone`), as the console's
    "show full number". Who may: hotline.access.can_reveal_phone, and never a confidential
    reporter's number through the API (api_shows_identity), as the case's JSON hides it."""
    ticket = _case(number)
    errors = unknown_fields(json_object(required=False), ())
    if errors:
        return refuse(errors)
    if not (access.can_reveal_phone(g.api_user, ticket) and access.api_shows_identity(g.api_user, ticket)):
        return error_response(403, "Forbidden", "you may not see this case's calling number")
    numbers = access.revealable_phones(ticket)
    if not numbers:
        return error_response(409, "Conflict", "the case has no phone number")
    audit.record(g.api_user, "reveal_phone", "ticket", ticket.number, ip=request.remote_addr, via="api")
    db.session.commit()
    caller, own = numbers.get("caller"), numbers.get("complainant")
    return jsonify(number=ticket.number, phone=caller, phone_masked=phones.mask(caller) or None,
                   complainant_phone=own, complainant_phone_masked=phones.mask(own) or None)


@bp.get("/callback-requests")
@api_roles(*CALL_ROLES)
def list_callback_requests():
    """The callback list: voicemails and callback requests not yet handled, oldest first."""
    links = access.may_see_links(g.api_user)
    return jsonify(items=[schemas.callback_request(ticket, event, _tz(), access.api_shows_identity(g.api_user, ticket),
                                                   links)
                          for ticket, event in calls.pending_callback_requests()])


@bp.post("/callback-requests/<number>/done")
@api_roles(*CALL_ROLES)
def callback_request_done(number):
    """{"note"?}: the callback was made (the console's "Done"): a `callback_done` line on the case's
    history, off the list. 409 when the case has none waiting, so a second answer writes nothing."""
    ticket = _case(number)
    body = json_object(required=False)
    errors = unknown_fields(body, ("note",))
    note = text_field(body, "note", calls.MAX_CALLBACK_NOTE, errors)
    if errors:
        return refuse(errors)
    event = calls.close_callback_request(ticket, g.api_user, note)
    if event is None:
        return error_response(409, "Conflict", "the case has no voicemail or callback request waiting")
    db.session.commit()
    return jsonify(schemas.callback_done(ticket, event, _tz()))


@bp.get("/blocklist")
@api_roles(Role.SUPERVISOR)
def list_blocked():
    """The block list (supervisors, as the console's), most recent first, numbers masked."""
    return jsonify(items=[schemas.blocked_caller(caller, _tz()) for caller in calls.blocked_callers()])


@bp.post("/blocklist")
@api_roles(Role.SUPERVISOR)
def block_number():
    """{"phone", "reason"}: calls from the number hear a notice and open no case; audited."""
    body = json_object()
    errors = unknown_fields(body, ("phone", "reason"))
    phone = text_field(body, "phone", calls.MAX_BLOCK_PHONE, errors, required=True)
    reason = text_field(body, "reason", calls.MAX_BLOCK_REASON, errors, required=True)
    if not errors:
        try:
            caller = calls.block_number(phone, reason, g.api_user, ip=request.remote_addr)
        except phones.InvalidPhone:
            errors["phone"] = "not a phone number"
    if errors:
        db.session.rollback()
        return refuse(errors)
    db.session.commit()
    return jsonify(schemas.blocked_caller(caller, _tz())), 201


@bp.delete("/blocklist/<caller_id>")
@api_roles(Role.SUPERVISOR)
def unblock_number(caller_id):
    """The number off the block list; audited. 404 for a number not on it."""
    found = inputs.parse_int(caller_id, 1)  # ASCII digits that fit the id column, else no number
    caller = db.session.get(Caller, found) if found is not None else None
    if caller is None or caller.blocked_at is None:
        return error_response(404, "Not Found", "no such number on the block list")
    calls.unblock(caller, g.api_user, ip=request.remote_addr)
    db.session.commit()
    return "", 204


def _message_json(message):
    """An outbox message as the console's failed-messages page shows it (console.outbox's filters)."""
    text = None if message.purpose in console_outbox.SECRET_PURPOSES else message.body
    return schemas.outbox_message(message, _tz(), text, console_outbox.sms_error(message.last_error))


@bp.get("/outbox/failed")
@api_roles(Role.SUPERVISOR)
def list_failed_messages():
    """The SMS the dispatcher gave up on, newest first (supervisors, as /outbox/failed); the failure
    in the reader's language (Content-Language)."""
    language = reader_language()
    with force_locale(language):
        items = [_message_json(m) for m in outbox.failed_messages()]
    return jsonify(items=items), 200, {"Content-Language": language}


@bp.post("/outbox/messages/<message_id>/retry")
@api_roles(Role.SUPERVISOR)
def retry_message(message_id):
    """No body (or {}): a failed message back in the queue with fresh attempts; audited
    (outbox_retry). 409 for a message that has not failed."""
    found = inputs.parse_int(message_id, 1)
    message = db.session.get(OutboxMessage, found) if found is not None else None
    if message is None:
        return error_response(404, "Not Found", "no such message")
    errors = unknown_fields(json_object(required=False), ())
    if errors:
        return refuse(errors)
    if not outbox.retry(message, g.api_user):
        return error_response(409, "Conflict", f"only a failed message is retried; this one is {message.status.value}")
    db.session.commit()
    language = reader_language()
    with force_locale(language):
        body = _message_json(message)
    return jsonify(body), 200, {"Content-Language": language}


@bp.post("/tickets")
@api_roles(*WRITE_ROLES)
def create_ticket():
    clean = services.validate_new_ticket(json_object(), current_app.config["DEFAULT_PHONE_REGION"])
    ticket = services.create_ticket(clean, g.api_user)
    db.session.commit()
    body, headers = _detail(ticket)
    return jsonify(body), 201, {**headers, "Location": url_for("api.get_ticket", number=ticket.number, _external=True)}
