"""The routing API's part of the OpenAPI document served at /api/v1/openapi.json
(hotline.api.openapi merges it in), built from the limits routing/api.py checks."""

from hotline.models import CaseResult, TicketKind, TicketStatus
from hotline.rest import MAYBE_MOMENT, MAYBE_STRING, MOMENT, STRING, json_content, obj, ref, response_ref
from routing import api, desk, desk_texts, referrals, services

NUMBER_PARAM = {"name": "number", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": r"^\d{8}-\d{5}$"}, "description": "the case number"}
ROUTED = obj({
    "number": STRING,
    "status": {"type": "string", "enum": [s.value for s in TicketStatus]},
    "version": {"type": "integer"},
    "department": {"oneOf": [obj({"code": STRING, "name": STRING}), {"type": "null"}]},
    "forward_instructions": {**MAYBE_STRING, "description": "what the department reads first on its desk"},
    "forwarded_at": MAYBE_MOMENT,
    "routed_by_rule": {**MAYBE_STRING, "description": "the routing rule credited, when the department is the one "
                                                      "a rule names"},
    "referral": {"oneOf": [obj({"key": STRING, "agency": STRING, "hotline": MAYBE_STRING}), {"type": "null"}]},
})
CONFLICT = json_content(ref("Error"), "the case's status does not allow this (forward: accepted only; refer: new or accepted)")
ERRORS = {"400": response_ref("BadRequest"), "401": response_ref("Unauthorized"), "403": response_ref("Forbidden"),
          "404": response_ref("NotFound"), "409": CONFLICT, "422": response_ref("ValidationFailed"), "default": response_ref("Error")}
WRITERS = " (operators and supervisors)"


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS = {
    "/tickets/{number}/forward": {"post": {
        "operationId": "forwardCase",
        "summary": "Forward an accepted case to a department, with instructions (转办意见)" + WRITERS,
        "description": "As the triage list's forward: FORWARDED, the forward clock stopped, the complainant "
                       "told by SMS; the instructions are shown first on the department's desk.",
        "parameters": [NUMBER_PARAM],
        "requestBody": _body(obj({
            "department": {"type": "string", "minLength": 1, "maxLength": 32, "description": "the department's code"},
            "instructions": {"type": ["string", "null"], "maxLength": services.MAX_INSTRUCTIONS,
                             "description": "what the department should do or check first"},
        }, required=["department"])),
        "responses": {"200": json_content(ref("RoutedCase"), "the case as it now stands"), **ERRORS},
    }},
    "/tickets/{number}/refer": {"post": {
        "operationId": "referCase",
        "summary": "Refer an out-of-scope case to another agency from the referral directory" + WRITERS,
        "description": "As the console's referral: REFERRED (closed to the hotline), the caller texted the "
                       "agency and its number, clocks cancelled; no satisfaction survey follows.",
        "parameters": [NUMBER_PARAM],
        "requestBody": _body(obj({
            "referral": {"type": "string", "minLength": 1, "maxLength": 32,
                         "description": "the referral directory entry's key, e.g. 12300"},
            "note": {"type": ["string", "null"], "maxLength": api.MAX_NOTE},
        }, required=["referral"])),
        "responses": {"200": json_content(ref("RoutedCase"), "the case as it now stands"), **ERRORS},
    }},
}


def _enum(values, description, nullable=False):
    values = list(values)
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None], "description": description}
    return {"type": "string", "enum": values, "description": description}


def _text(limit, description, required=True):
    return {"type": "string" if required else ["string", "null"], "maxLength": limit,
            **({"minLength": 1} if required else {}), "description": description}


def _errors(conflict, codes=("400", "401", "403", "404", "409", "422")):
    every = {**ERRORS, "409": json_content(ref("Error"), conflict)}
    return {code: every[code] for code in codes} | {"default": ERRORS["default"]}


DEPARTMENT = {"oneOf": [obj({"code": STRING, "name": STRING}), {"type": "null"}]}
DESK_CASE = obj({
    "number": STRING,
    "status": {"type": "string", "enum": [s.value for s in TicketStatus]},
    "kind": {"type": "string", "enum": [k.value for k in TicketKind]},
    "version": {"type": "integer"},
    "department": DEPARTMENT,
    "forwarded_at": MAYBE_MOMENT,
    "forward_instructions": {**MAYBE_STRING, "description": "the hotline's instructions (转办意见), read first"},
    "summary": {**MAYBE_STRING, "description": "the one-line summary as the reader may see it: for a case whose "
                                               "filer the reader may not know (any report, an anonymous or "
                                               "confidential case) the start of the facts, never the caller's "
                                               "own words"},
    "respondent_name": MAYBE_STRING,
    "category": {**MAYBE_STRING, "description": "category code, e.g. G01"},
    "next_deadline": {"oneOf": [obj({
        "kind": _enum([k.value for k in desk.DEPARTMENT_CLOCKS], "the department's duty the clock measures"),
        "due_at": MOMENT,
        "estimated": {"type": "boolean", "description": "true when the working-day calendar was missing and "
                                                        "the date is estimated"},
    }), {"type": "null"}], "description": "the earliest running department clock, as the desk list shows it"},
    "return_count": {"type": "integer", "minimum": 0, "description": "times a department sent it back"},
    "result": _enum([r.value for r in CaseResult], "the recorded result, once there is one", nullable=True),
})
TABS = {"new": "forwarded, not yet taken up (待签收)", "in_progress": "taken up (办理中)",
        "due_soon": "a department clock falls due by the end of the next working day",
        "overdue": "a department clock is overdue"}
DESK_LIST = obj({
    "tab": _enum(desk.TABS, "the tab shown"),
    "department": {**DEPARTMENT, "description": "whose desk; null for a supervisor's all-departments view"},
    "counts": obj({tab: {"type": "integer", "minimum": 0} for tab in desk.TABS}),
    "items": {"type": "array", "items": ref("DeskCase")},
    "page": {"type": "integer", "minimum": 1},
    "has_next": {"type": "boolean"},
})
DESK_STEP = obj({
    "id": {"type": "integer"},
    "kind": _enum(desk.STEP_KINDS, "business_contact: contact with the business; mediation: a mediation (for a "
                                   "report: handling) step"),
    "date": {"type": "string", "format": "date"},
    "text": STRING,
    "recorded_at": MOMENT,
    "case": ref("DeskCase"),
})
APPEAL_OPENED = obj({
    "appeal": obj({
        "id": {"type": "integer"},
        "channel": _enum(referrals.STAFF_APPEAL_CHANNELS, "how the appeal came in"),
        "target": _enum(referrals.APPEAL_TARGETS, "where the case was reopened: department (FORWARDED to the "
                                                  "department that had it) or supervisor (ACCEPTED, in triage); "
                                                  "a case without a department goes to the supervisors"),
        "reason": STRING,
        "opened_at": MOMENT,
    }),
    "case": ref("RoutedCase"),
})
DESK_NUMBER = {**NUMBER_PARAM, "schema": {"type": "string", "maxLength": 64}}
DESK_ONLY = " (department users, on their own department's cases; a supervisor watches and gets 403)"
DESK_DONE = json_content(ref("DeskCase"), "the case as it now stands on the desk")

PATHS.update({
    "/tickets/{number}/appeal": {"post": {
        "operationId": "appealCase",
        "summary": "Record a complainant's appeal of a resolved or closed case (申诉/复核)" + WRITERS,
        "description": "As the console's appeal: the case reopens (FORWARDED back to its department, or ACCEPTED "
                       "for the supervisors), an APPEAL clock starts and the appeal is counted against the "
                       "department. No SMS is sent (the complainant is on the phone or at the callback visit).",
        "parameters": [NUMBER_PARAM],
        "requestBody": _body(obj({
            "channel": _enum(referrals.STAFF_APPEAL_CHANNELS, "voice: by phone; callback: at the callback visit; "
                                                              "console: in person or in writing"),
            "reason": _text(referrals.MAX_APPEAL_REASON, "what the complainant is unhappy with"),
            "target": {**_enum(referrals.APPEAL_TARGETS, "where to reopen it", nullable=True), "default": "department"},
        }, required=["channel", "reason"])),
        "responses": {"201": json_content(ref("AppealOpened"), "the appeal, and the case as it now stands"),
                      **_errors("only a resolved or closed case is appealed")},
    }},
    "/desk/tickets": {"get": {
        "operationId": "listDesk",
        "summary": "The department desk: one tab of the token department's cases, with every tab's count"
                   " (department users and supervisors)",
        "description": "As the /desk page. A department user sees its own department's cases only; a supervisor "
                       "sees every department's, or one department's with `department`.",
        "parameters": [
            {"name": "tab", "in": "query", "required": False, "description": "; ".join(f"{k}: {v}" for k, v in TABS.items()),
             "schema": {"type": "string", "enum": list(desk.TABS), "default": "new"}},
            {"name": "department", "in": "query", "required": False,
             "description": "a department's code (supervisors; ignored for a department user, who sees their own)",
             "schema": {"type": "string", "maxLength": api.MAX_CODE}},
            {"name": "page", "in": "query", "required": False, "description": f"page number, {desk.PAGE_SIZE} a page",
             "schema": {"type": "integer", "minimum": 1, "maximum": api.MAX_DESK_PAGE, "default": 1}},
        ],
        "responses": {"200": json_content(ref("DeskList"), "one page of the tab"),
                      **_errors("", codes=("401", "403", "422"))},
    }},
    "/desk/tickets/{number}/take-up": {"post": {
        "operationId": "takeUpCase",
        "summary": "Take up a forwarded case (签收)" + DESK_ONLY,
        "description": "FORWARDED → IN_PROGRESS. No body, or an empty JSON object.",
        "parameters": [DESK_NUMBER],
        "requestBody": {"required": False, "content": {"application/json": {"schema": obj({})}}},
        "responses": {"200": DESK_DONE, **_errors("only a forwarded case is taken up")},
    }},
    "/desk/tickets/{number}/return": {"post": {
        "operationId": "returnCase",
        "summary": "Return a case to the hotline's triage (退单)" + DESK_ONLY,
        "description": "As the desk's return: ACCEPTED, no department, counted against the department; the "
                       "hotline's forward clock starts again from now. The case leaves the department's desk.",
        "parameters": [DESK_NUMBER],
        "requestBody": _body(obj({
            "reason": _enum(desk.RETURN_REASONS, "why it comes back"),
            "explanation": _text(desk.MAX_RETURN_TEXT, "what the hotline should know"),
        })),
        "responses": {"200": DESK_DONE, **_errors("only a forwarded or in-progress case is returned")},
    }},
    "/desk/tickets/{number}/steps": {"post": {
        "operationId": "addCaseStep",
        "summary": "Record a handling step: a contact with the business or a mediation step" + DESK_ONLY,
        "description": "Recorded in the case's history with the day it happened (not in the future).",
        "parameters": [DESK_NUMBER],
        "requestBody": _body(obj({
            "kind": _enum(desk.STEP_KINDS, "the kind of step"),
            "date": {"type": "string", "format": "date", "description": "the day it happened, YYYY-MM-DD"},
            "text": _text(desk.MAX_STEP_TEXT, "what was done"),
        })),
        "responses": {"201": json_content(ref("DeskStep"), "the step recorded"),
                      **_errors("only a case in progress takes steps (take it up first)")},
    }},
    "/desk/tickets/{number}/result": {"post": {
        "operationId": "recordCaseResult",
        "summary": "Record how the case ended" + DESK_ONLY,
        "description": "As the desk's result: RESOLVED, the mediation clock stopped, any open appeal answered, "
                       "the result notice queued by SMS to the complainant (or named reporter; nobody for an "
                       "anonymous case) and the callback visit's clock started. A complaint's results are "
                       "mediated, mediation_failed, terminated; a report's case_opened, case_not_opened.",
        "parameters": [DESK_NUMBER],
        "requestBody": _body(obj({
            "result": _enum([r.value for r in CaseResult], "the result; it must fit the kind of case"),
            "outcome": _enum(desk_texts.OUTCOMES, "mediated: what the consumer got (required then)", nullable=True),
            "amount": {"type": ["string", "number", "null"], "maxLength": 16,
                       "description": "mediated: the yuan the consumer got, not negative, e.g. 200.50"},
            "reason": _enum(desk_texts.TERMINATION_REASONS, "terminated: why (required then; other needs a note)",
                            nullable=True),
            "note": _text(desk.MAX_RESULT_NOTE, "a note for the case's history (never sent to the caller)",
                          required=False),
        }, required=["result"])),
        "responses": {"200": DESK_DONE, **_errors("only a case in progress gets a result")},
    }},
})
SCHEMAS = {"RoutedCase": ROUTED, "DeskCase": DESK_CASE, "DeskList": DESK_LIST, "DeskStep": DESK_STEP,
           "AppealOpened": APPEAL_OPENED}
