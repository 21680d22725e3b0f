"""The OpenAPI 3.1 document of /api/v1, built from the same limits and enums the API checks."""

from flask import current_app

from hotline import calls, sms_texts, tickets
from hotline.api import schemas
from hotline.models import Channel, Direction, OutboxChannel, OutboxStatus, TicketKind, TicketStatus
from hotline.rest import (
    AUTH_ERRORS,
    ERROR,
    MAYBE_INT,
    MAYBE_MOMENT,
    MAYBE_STRING,
    MOMENT,
    STRING,
    json_content,
    obj,
    openapi_parts,
    ref,
    response_ref,
)

DESCRIPTION = """\
Tickets (cases) of the consumer-complaint hotline, for other systems: web forms, other hotline
systems, reporting tools.

**Authentication**: every endpoint except this document needs `Authorization: Bearer <token>`.
An admin makes a token with `flask hotline create-token USERNAME` (or `POST /admin/tokens`); it
acts with that user's role.
Operators and supervisors may list, read and create cases, note them and text their callers;
department users may list, read and note their own department's cases only (another department's
case answers 404) and may not create or text; admins manage accounts, tokens, Open311 keys and
outbound webhooks (`/admin/...`) and see no case. Each operation's summary names who may call it.

**Privacy**: phone numbers never leave through this API in this version. Every number appears
masked (`phone_masked`, e.g. `138****1234`). Who filed a report (name, address, masked phone)
is not shown to department users, and a reporter who asked for confidentiality is shown to no
API reader: those fields are null, as are identity values in the history.

**Times** are ISO 8601 with the hotline's UTC offset. Date filters without an offset are read in
the hotline's time zone.

**Codes and labels**: codes (statuses, kinds, event types, return reasons, ...) are stable values
to program against. A case's history carries beside them `label`, `field_label`, `from_label`,
`to_label` and `reason_label`: the same in words, in the language of the request's
`Accept-Language` (zh or en), else the token user's own language, else Chinese; the response's
`Content-Language` says which.
"""


def _values(enum_cls, members=None):
    return [m.value for m in (members or enum_cls)]


VALIDATION_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "const": "validation failed"},
        "message": STRING,
        "fields": {
            "type": "object",
            "description": "every bad field or query parameter, with what is wrong with it",
            "additionalProperties": STRING,
        },
    },
    "required": ["error", "message", "fields"],
}
SUMMARY_PROPERTIES = {
    "number": {"type": "string", "pattern": r"^\d{8}-\d{5}$", "examples": ["20261124-00042"]},
    "status": {"type": "string", "enum": _values(TicketStatus)},
    "kind": {"type": "string", "enum": _values(TicketKind)},
    "channel": {"type": "string", "enum": _values(Channel)},
    "category": {**MAYBE_STRING, "description": "category code, e.g. G01"},
    "problem_type": {**MAYBE_STRING, "description": "problem type code, e.g. P01"},
    "department": {**MAYBE_STRING, "description": "code of the department handling the case"},
    "summary": MAYBE_STRING,
    "respondent_name": MAYBE_STRING,
    "phone_masked": {**MAYBE_STRING, "examples": ["138****1234"]},
    "created_at": MOMENT,
    "updated_at": MAYBE_MOMENT,
    "closed_at": MAYBE_MOMENT,
}
EVENT = obj({
    "at": MOMENT,
    "type": {**STRING, "description": "created, status, field, note, contact, ..."},
    "field": MAYBE_STRING,
    "from": MAYBE_STRING,
    "to": MAYBE_STRING,
    "reason": MAYBE_STRING,
    "actor": {**MAYBE_STRING, "description": "username of the staff member, or null for the system"},
    "label": {**STRING, "description": "the kind of history line in words, e.g. 状态变更 / Status changed"},
    "field_label": {**MAYBE_STRING, "description": "the changed field's name in words; null when no field"},
    "from_label": {**MAYBE_STRING, "description": "`from` in words when it is a code (a status, a kind, a "
                   "category, a person, ...); null when withheld, empty or words already"},
    "to_label": {**MAYBE_STRING, "description": "`to` in words when it is a code (a status, a return reason, a "
                 "result, ...); null when withheld, empty or words already"},
    "reason_label": {**MAYBE_STRING, "description": "`reason` in words: a known code by name, a person's own "
                     "words as typed; null when no reason"},
})
CONTACT = obj({
    "channel": {"type": "string", "enum": _values(Channel)},
    "direction": {"type": "string", "enum": _values(Direction)},
    "status": MAYBE_STRING,
    "created_at": MOMENT,
    "queued_at": MAYBE_MOMENT,
    "answered_at": MAYBE_MOMENT,
    "abandoned_at": MAYBE_MOMENT,
    "ended_at": MAYBE_MOMENT,
    "queue_seconds": MAYBE_INT,
    "talk_seconds": MAYBE_INT,
    "queue_result": MAYBE_STRING,
    "body": {**MAYBE_STRING, "description": "the text of an SMS; null for calls"},
})
CALLER = obj({
    "phone_masked": {**MAYBE_STRING, "description": "null when the reader may not know who filed the case"},
    "name": {**MAYBE_STRING, "description": "null for a report when the reader is a department user"},
    "address": MAYBE_STRING,
})
DETAIL = obj({
    **SUMMARY_PROPERTIES,
    "facts": MAYBE_STRING,
    "demand": MAYBE_STRING,
    "amount": {"type": ["number", "null"]},
    "respondent_address": MAYBE_STRING,
    "respondent_region": MAYBE_STRING,
    "caller": {"oneOf": [ref("Caller"), {"type": "null"}]},
    "events": {"type": "array", "items": ref("Event")},
    "contacts": {"type": "array", "items": ref("Contact")},
})


def _new_ticket():
    lengths = schemas.MAX_LENGTHS
    props = {name: {"type": ["string", "null"], "maxLength": size} for name, size in lengths.items()}
    props["phone"] = {"type": "string", "maxLength": lengths["phone"],
                      "description": "the caller's number; national numbers are read in the hotline's region"}
    props["facts"] = {"type": "string", "minLength": 1, "maxLength": lengths["facts"]}
    props["name"]["description"] = "the caller's name, stored if not yet known"
    props["address"]["description"] = "the caller's address, stored if not yet known"
    props["category"]["description"] = "an active goods or services category code, e.g. G01"
    props["problem_type"]["description"] = "an active problem type code, e.g. P01"
    props["kind"] = {"type": "string", "enum": _values(TicketKind, schemas.CREATE_KINDS)}
    props["amount"] = {"type": ["number", "null"], "minimum": 0, "maximum": float(schemas.MAX_AMOUNT),
                       "description": "money at stake, rounded to cents"}
    props["channel"] = {"type": ["string", "null"], "enum": [*_values(Channel, schemas.CREATE_CHANNELS), None],
                        "default": Channel.API.value}
    return obj(props, required=list(schemas.REQUIRED))


NUMBER_PARAM = {"name": "number", "in": "path", "required": True, "schema": STRING,
                "description": "case number, e.g. 20261124-00042"}
NEW_NOTE = obj({"text": {"type": "string", "minLength": 1, "maxLength": tickets.MAX_NOTE,
                         "description": "the note, as typed; stripped"}})
NEW_SMS = obj({"body": {"type": "string", "minLength": 1, "maxLength": sms_texts.MAX_REPLY,
                        "description": "the reply; the case number is added to it"}})
QUEUED_SMS = obj({
    "id": {"type": "integer"},
    "number": {"type": "string", "description": "the case's number"},
    "purpose": {"type": "string", "enum": ["reply"], "description": "why the SMS is sent: an operator's reply"},
    "status": {"type": "string", "enum": _values(OutboxStatus, (OutboxStatus.PENDING, OutboxStatus.SUPPRESSED)),
               "description": "pending: queued for sending; suppressed: recorded but not sent, the number "
                              "opted out of SMS (退订)"},
    "to_masked": {**MAYBE_STRING, "examples": ["138****1234"],
                  "description": "the caller's number masked; null when the reader may not know who filed the case"},
    "body": {"type": "string", "description": "the text as sent, with the case number"},
    "created_at": MOMENT,
    "send_after": {**MOMENT, "description": "when the dispatcher may send it"},
})
REVEALED_PHONE = obj({
    "number": {"type": "string", "description": "the case's number"},
    "phone": {**MAYBE_STRING, "examples": ["+8613812341234"],
              "description": "the calling number in full (E.164); null for a case filed without a call"},
    "phone_masked": {**MAYBE_STRING, "examples": ["138****1234"]},
    "complainant_phone": {**MAYBE_STRING, "examples": ["+8613712345678"],
                          "description": "the complainant's own number in full (typed on the form or sent "
                                         "through the API) when it is not the calling number; else null"},
    "complainant_phone_masked": {**MAYBE_STRING, "examples": ["137****5678"]},
})
CALLBACK_REQUEST = obj({
    "number": {"type": "string", "description": "the case's number"},
    "phone_masked": {**MAYBE_STRING, "examples": ["138****1234"],
                     "description": "null for an anonymous call, or when the reader may not know who filed the case"},
    "request": {"type": "string", "enum": list(calls.CALLBACK_REQUESTS),
                "description": "voicemail: the caller left a message; callback_requested: pressed for a call back"},
    "at": MOMENT,
    "recording_url": {**MAYBE_STRING, "description": "the voicemail's recording (Twilio), null otherwise"},
})
CALLBACK_NOTE = obj({"note": {"type": "string", "maxLength": calls.MAX_CALLBACK_NOTE,
                              "description": "how the callback went"}}, required=[])
CALLBACK_DONE = obj({
    "number": {"type": "string"},
    "done_at": MOMENT,
    "note": {**MAYBE_STRING, "description": "the note sent, null without one"},
})
NEW_BLOCK = obj({
    "phone": {"type": "string", "minLength": 1, "maxLength": calls.MAX_BLOCK_PHONE, "examples": ["13700000001"]},
    "reason": {"type": "string", "minLength": 1, "maxLength": calls.MAX_BLOCK_REASON},
})
BLOCKED_CALLER = obj({
    "id": {"type": "integer"},
    "phone_masked": {"type": "string", "examples": ["137****0001"]},
    "reason": MAYBE_STRING,
    "blocked_at": MOMENT,
})
def _case_action(ok, conflict):
    """The answers of an action on one case: `ok` (200), its refusals, and 409 saying `conflict`."""
    return {"200": ok, "400": response_ref("BadRequest"), "404": response_ref("NotFound"),
            "409": json_content(ref("Error"), conflict), "422": response_ref("ValidationFailed"), **AUTH_ERRORS}


OUTBOX_MESSAGE = obj({
    "id": {"type": "integer"},
    "channel": {"type": "string", "enum": [c.value for c in OutboxChannel]},
    "case": {**MAYBE_STRING, "description": "the case number, null for a message of no case"},
    "to_masked": {**MAYBE_STRING, "description": "the number, masked; null for a webhook", "examples": ["138****1234"]},
    "purpose": {**STRING, "description": "what it is for: ack, status, referral, result, survey, otp, ..."},
    "legal": {"type": "boolean", "description": "a legally required notice: it needs another channel if it fails"},
    "text": {**MAYBE_STRING, "description": "null for a one-time code, which staff never read"},
    "status": {"type": "string", "enum": [s.value for s in OutboxStatus]},
    "attempts": {"type": "integer", "minimum": 0},
    "error": {**MAYBE_STRING, "description": "why the last try failed, in the reader's language"},
    "created_at": MOMENT,
    "updated_at": MAYBE_MOMENT,
})
CASE_CONFLICT = json_content(ref("Error"), "the case has no caller to text")


def _query(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or STRING}


LIST_PARAMETERS = [
    _query("status", "comma-separated statuses, e.g. new,accepted: " + ", ".join(_values(TicketStatus)),
           {"type": "string", "examples": ["new,accepted"]}),
    _query("kind", "the kind of case", {"type": "string", "enum": _values(TicketKind)}),
    _query("category", "category code, e.g. G01", {"type": "string", "maxLength": schemas.MAX_QUERY_TEXT}),
    _query("department", "department code", {"type": "string", "maxLength": schemas.MAX_QUERY_TEXT}),
    _query("phone", "the caller's full number or at least its last 4 digits",
           {"type": "string", "pattern": r"^\+?[\d\s\-]{4,20}$"}),
    _query("created_from", "ISO 8601 date or datetime, inclusive; without an offset, in the hotline's time zone",
           {"type": "string", "examples": ["2026-01-05", "2026-01-05T08:00:00+08:00"]}),
    _query("created_to", "ISO 8601 date (inclusive: the whole day) or datetime (exclusive); "
           "without an offset, in the hotline's time zone", {"type": "string"}),
    _query("text", "words in the facts, summary or respondent name",
           {"type": "string", "maxLength": schemas.MAX_QUERY_TEXT}),
    _query("page", "page number, from 1", {"type": "integer", "minimum": 1, "maximum": schemas.MAX_PAGE,
                                           "default": 1}),
    _query("per_page", "items per page", {"type": "integer", "minimum": 1, "maximum": schemas.MAX_PER_PAGE,
                                          "default": schemas.DEFAULT_PER_PAGE}),
]

CONTENT_LANGUAGE = {"schema": {"type": "string", "enum": ["zh", "en"]},
                    "description": "the language of the history's labels"}
RESPONSES = {
    "BadRequest": json_content(ref("Error"), "the body is not a JSON object (malformed JSON, not UTF-8, not an object)"),
    "Unauthorized": {
        **json_content(ref("Error"), "no token, or the token is invalid or revoked"),
        "headers": {"WWW-Authenticate": {"schema": STRING, "description": "Bearer challenge (RFC 6750)"}},
    },
    "Forbidden": json_content(ref("Error"), "the token's role may not do this"),
    "NotFound": json_content(ref("Error"), "no such case, or one of another department"),
    "ValidationFailed": json_content(ref("ValidationError"), "some fields or query parameters are invalid"),
    "Error": json_content(ref("Error"), "any other error, in the same shape"),
}


PATHS = {
    "/tickets": {
        "get": {
            "operationId": "listTickets",
            "summary": "List cases, newest first",
            "parameters": LIST_PARAMETERS,
            "responses": {
                "200": json_content(obj({
                    "items": {"type": "array", "items": ref("TicketSummary")},
                    "page": {"type": "integer", "minimum": 1},
                    "per_page": {"type": "integer", "minimum": 1},
                    "total": {"type": "integer", "minimum": 0, "maximum": 1000,
                              "description": "cases matching, counted up to 1000"},
                    "total_capped": {"type": "boolean",
                                     "description": "true when more than 1000 cases match"},
                }), "one page of cases and the number matching (up to 1000)"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "createTicket",
            "summary": "Open a case from another channel (operators, supervisors, admins)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewTicket")}}},
            "responses": {
                "201": {
                    **json_content(ref("TicketDetail"), "the case, opened with status new"),
                    "headers": {"Location": {"schema": STRING, "description": "URL of the new case"},
                                "Content-Language": CONTENT_LANGUAGE},
                },
                "400": response_ref("BadRequest"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/tickets/{number}": {
        "get": {
            "operationId": "getTicket",
            "summary": "One case with its timeline and contacts",
            "parameters": [{"name": "number", "in": "path", "required": True, "schema": STRING,
                            "description": "case number, e.g. 20261124-00042"}],
            "responses": {
                "200": {**json_content(ref("TicketDetail"), "the case"), "headers": {"Content-Language": CONTENT_LANGUAGE}},
                "404": response_ref("NotFound"),
                **AUTH_ERRORS,
            },
        },
    },
    "/tickets/{number}/notes": {
        "post": {
            "operationId": "addNote",
            "summary": "Add a note to a case's history (operators, supervisors, the department handling it)",
            "description": "As the console's note: a `note` line on the case's history with the note as `to`.",
            "parameters": [NUMBER_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewNote")}}},
            "responses": {
                "201": {**json_content(ref("TicketDetail"), "the case with the note on its history"),
                        "headers": {"Content-Language": CONTENT_LANGUAGE}},
                "400": response_ref("BadRequest"),
                "404": response_ref("NotFound"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/tickets/{number}/sms": {
        "post": {
            "operationId": "replyBySms",
            "summary": "Reply to the case's caller by SMS (operators, supervisors)",
            "description": "As the console's reply: queued in the outbox with the case number added, an "
                           "`sms_reply` line on the case's history. A number that opted out (退订) gets "
                           "nothing: the message is recorded with status `suppressed`.",
            "parameters": [NUMBER_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewSms")}}},
            "responses": {
                "201": json_content(ref("QueuedSms"), "the message written to the outbox"),
                "400": response_ref("BadRequest"),
                "404": response_ref("NotFound"),
                "409": CASE_CONFLICT,
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/tickets/{number}/reveal-phone": {
        "post": {
            "operationId": "revealPhone",
            "summary": "The case's full phone numbers, audited (operators, supervisors, the department mediating a complaint)",
            "description": "As the console's \"show full number\": written to the audit log (`reveal_phone`). "
                           "Refused (403) to whoever may not know who filed the case, and for a confidential "
                           "report to everyone, as the case's JSON hides it. No body, or `{}`.",
            "parameters": [NUMBER_PARAM],
            "requestBody": {"required": False, "content": {"application/json": {"schema": obj({})}}},
            "responses": _case_action(json_content(ref("RevealedPhone"), "the number in full and masked"),
                                      "the case has no phone number"),
        },
    },
    "/callback-requests": {
        "get": {
            "operationId": "listCallbackRequests",
            "summary": "The callback list: voicemails and callback requests not yet handled (operators, supervisors)",
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("CallbackRequest")}}),
                                    "oldest first, as the console's callback list"),
                **AUTH_ERRORS,
            },
        },
    },
    "/callback-requests/{number}/done": {
        "post": {
            "operationId": "callbackRequestDone",
            "summary": "Mark a case's voicemail or callback request as handled (operators, supervisors)",
            "description": "As the console's \"Done\" on the callback list: a `callback_done` line on the "
                           "case's history, with the note as its reason. No body, `{}` or `{\"note\": ...}`.",
            "parameters": [NUMBER_PARAM],
            "requestBody": {"required": False, "content": {"application/json": {"schema": CALLBACK_NOTE}}},
            "responses": _case_action(json_content(ref("CallbackDone"), "the request is off the list"),
                                      "the case has no voicemail or callback request waiting"),
        },
    },
    "/blocklist": {
        "get": {
            "operationId": "listBlocked",
            "summary": "The block list (supervisors)",
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("BlockedCaller")}}),
                                    "most recent first, numbers masked"),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "blockNumber",
            "summary": "Put a number on the block list (supervisors); audited",
            "description": "As the console's block list: a call from the number hears a notice and opens no case.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": NEW_BLOCK}}},
            "responses": {
                "201": json_content(ref("BlockedCaller"), "the number, now blocked"),
                "400": response_ref("BadRequest"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/blocklist/{caller_id}": {
        "delete": {
            "operationId": "unblockNumber",
            "summary": "Take a number off the block list (supervisors); audited",
            "parameters": [{"name": "caller_id", "in": "path", "required": True, "schema": {"type": "integer"},
                            "description": "the `id` the block list gives"}],
            "responses": {
                "204": {"description": "off the list"},
                "404": response_ref("NotFound"),
                **AUTH_ERRORS,
            },
        },
    },
    "/outbox/failed": {
        "get": {
            "operationId": "listFailedMessages",
            "summary": "The SMS the dispatcher gave up on, newest first (supervisors)",
            "description": "As the console's failed-messages page; numbers masked, one-time codes withheld.",
            "responses": {
                "200": {**json_content(obj({"items": {"type": "array", "items": ref("OutboxMessage")}}),
                                       "the failed messages"), "headers": {"Content-Language": CONTENT_LANGUAGE}},
                **AUTH_ERRORS,
            },
        },
    },
    "/outbox/messages/{message_id}/retry": {
        "post": {
            "operationId": "retryMessage",
            "summary": "Queue a failed message again with fresh attempts (supervisors); audited",
            "description": "No body, or an empty JSON object. As the failed-messages page's Retry.",
            "parameters": [{"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"},
                            "description": "the `id` the failed list gives"}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": obj({})}}},
            "responses": {
                "200": {**json_content(ref("OutboxMessage"), "the message, pending again"),
                        "headers": {"Content-Language": CONTENT_LANGUAGE}},
                "400": response_ref("BadRequest"),
                "404": json_content(ref("Error"), "no such message"),
                "409": json_content(ref("Error"), "the message has not failed (pending, sent, delivered ...)"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": json_content({"type": "object"}, "the OpenAPI document")},
        },
    },
}


def document(app=None):
    """The OpenAPI document of `app` (default: the current one) as a dict: the core's paths and
    those its features added (hotline.rest.add_openapi, e.g. the intake API)."""
    paths, feature_schemas = openapi_parts(app or current_app)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hotline API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {**PATHS, **paths},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "a token from `flask hotline create-token`"}},
            "schemas": {
                "Error": ERROR,
                "ValidationError": VALIDATION_ERROR,
                "TicketSummary": obj(SUMMARY_PROPERTIES),
                "TicketDetail": DETAIL,
                "Event": EVENT,
                "Contact": CONTACT,
                "Caller": CALLER,
                "NewTicket": _new_ticket(),
                "NewNote": NEW_NOTE,
                "NewSms": NEW_SMS,
                "QueuedSms": QUEUED_SMS,
                "RevealedPhone": REVEALED_PHONE,
                "CallbackRequest": CALLBACK_REQUEST,
                "CallbackDone": CALLBACK_DONE,
                "BlockedCaller": BLOCKED_CALLER,
                "OutboxMessage": OUTBOX_MESSAGE,
                **feature_schemas,
            },
            "responses": RESPONSES,
        },
    }
