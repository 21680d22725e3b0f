"""The routing API's part of the OpenAPI document served at /api/v1/openapi.json
(hotline.api.openapi merges it in), built from the limits routing/api.py checks."""

from hotline.models import CaseResult, RuleAction, TicketKind, TicketStatus
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


REFERRAL_BODY = _body(obj({
    "referral": {"type": "string", "minLength": 1, "maxLength": 32,
                 "description": "the referral directory entry's key, e.g. 12300"},
    "note": {"type": ["string", "null"], "maxLength": api.MAX_NOTE},
}, required=["referral"]))  # /refer's and /transfer's: routing.api._referral_choice reads both

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
        "requestBody": REFERRAL_BODY,
        "responses": {"200": json_content(ref("RoutedCase"), "the case as it now stands"), **ERRORS},
    }},
    "/tickets/{number}/transfer": {"post": {
        "operationId": "transferCall",
        "summary": "Refer a case and transfer the caller's live call to the agency" + WRITERS,
        "description": "As the referral page's \"transfer the call\": the case is referred as by /refer (unless it "
                       "already is, to this entry), then Twilio moves the caller's answered, unended call to "
                       "TwiML that reads the entry's caller script and dials its transfer number (else its "
                       "hotline). 409 when the case cannot be referred or no caller is on the line; 502 when "
                       "Twilio refuses the move. Either way nothing was changed: the case is not referred and "
                       "no SMS is queued.",
        "parameters": [NUMBER_PARAM],
        "requestBody": REFERRAL_BODY,
        "responses": {"200": json_content(ref("RoutedCase"), "the case as it now stands"), **ERRORS,
                      "409": json_content(ref("Error"), "the case is not new or accepted, or no caller is on "
                                                        "the line"),
                      "502": json_content(ref("Error"), "Twilio refused to move the call")},
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

# --- departments and routing rules (routing/api.py; the console's /routing pages) ------------------

SUPERVISORS_ADMINS = " (supervisors and admins)"
SUPERVISORS = " (supervisors)"
DEPARTMENT_ID = {"name": "department_id", "in": "path", "required": True, "schema": {"type": "integer"},
                 "description": "the `id` the department list gives"}
RULE_ID = {"name": "rule_id", "in": "path", "required": True, "schema": {"type": "integer"},
           "description": "the `id` the rule list gives"}
DEPARTMENT_FIELDS = {
    "code": {"type": "string", "minLength": 1, "maxLength": services.MAX_DEPARTMENT_CODE,
             "pattern": services.DEPARTMENT_CODE, "description": "unique; letters, digits, - and _", "examples": ["MS04"]},
    "name": _text(services.MAX_DEPARTMENT_NAME, "the department's name"),
    "region": _text(services.MAX_DEPARTMENT_REGION, "the area it covers, as text", required=False),
    "contact_phone": _text(services.MAX_DEPARTMENT_PHONE, "a phone number; told to complainants in the forward "
                                                          "notice", required=False),
    "working_hours": {"type": ["string", "null"], "maxLength": services.MAX_WORKING_HOURS,
                      "pattern": services.WORKING_HOURS, "description": "HH:MM-HH:MM, e.g. 08:30-17:30"},
    "description": _text(services.MAX_DEPARTMENT_DESCRIPTION, "what the department does", required=False),
    "categories": {"type": "array", "items": {"type": "string", "maxLength": api.MAX_CODE},
                   "description": "codes of the goods and services classes it handles (replaces the list)"},
    "sms_lead": {"type": "boolean", "description": "text the department's leads when a case runs late"},
    "active": {"type": "boolean", "description": "an inactive department is listed but offered for no forward"},
}
DEPARTMENT_OUT = obj({
    "id": {"type": "integer"}, "code": STRING, "name": STRING, "region": MAYBE_STRING, "contact_phone": MAYBE_STRING,
    "working_hours": MAYBE_STRING, "description": MAYBE_STRING, "sms_lead": {"type": "boolean"},
    "active": {"type": "boolean"}, "categories": {"type": "array", "items": STRING, "description": "category codes"},
})
RULE_TEXT = {"type": ["string", "null"], "maxLength": api.MAX_CODE}
RULE_FIELDS = {
    "name": _text(services.MAX_RULE_NAME, "the rule's name"),
    "kind": _enum([k.value for k in TicketKind], "the kind of case it holds for; null: any", nullable=True),
    "category": {**RULE_TEXT, "description": "a goods or services category code (a class, or a group for all its "
                                             "classes); null: any"},
    "problem_type": {**RULE_TEXT, "description": "a problem type's code; null: any"},
    "division": {"type": ["string", "null"], "pattern": r"^\d{6}$",
                 "description": "the respondent's administrative division code (GB/T 2260, e.g. 110108 海淀区); "
                                "holds for every division inside it; null: anywhere"},
    "region": _text(services.MAX_RULE_REGION, "an old rule's region as text (a division replaces it)", required=False),
    "keywords": {"type": ["array", "null"], "items": {"type": "string"},
                 "description": f"any one found in the facts matches; at most {services.MAX_RULE_KEYWORDS} "
                                "characters in all"},
    "respondent": _text(services.MAX_RULE_RESPONDENT, "part of the business's name", required=False),
    "department": {**RULE_TEXT, "description": "the department's code; null: the triage queue"},
    "action": _enum([a.value for a in RuleAction], "auto: forward at once; ask: the operator confirms"),
    "active": {"type": "boolean"},
    "reason": _text(services.MAX_RULE_REASON, "why the rule changes (kept in its history)"),
}
RULE_OUT = obj({
    "id": {"type": "integer"}, "position": {"type": "integer", "description": "rules are tried by position"},
    "name": STRING, "active": {"type": "boolean"},
    "kind": _enum([k.value for k in TicketKind], "null: any kind", nullable=True),
    "category": MAYBE_STRING, "problem_type": MAYBE_STRING,
    "division": {**MAYBE_STRING, "description": "administrative division code"},
    "region": {**MAYBE_STRING, "description": "the division's full name, or an old rule's text region"},
    "keywords": {"type": "array", "items": STRING}, "respondent": MAYBE_STRING,
    "department": {**DEPARTMENT, "description": "null: the triage queue"},
    "action": _enum([a.value for a in RuleAction], "auto or ask"),
    "version": {"type": "integer", "description": "one more with every saved change"},
    "updated_at": MAYBE_MOMENT,
})
RULE_LIST = obj({"items": {"type": "array", "items": ref("RoutingRule")}})
RULE_CHANGED = json_content(ref("RoutingRule"), "the rule as saved; the same version when nothing changed")

PATHS.update({
    "/departments": {
        "get": {
            "operationId": "listDepartments",
            "summary": "The departments, active ones first, by code" + SUPERVISORS_ADMINS,
            "responses": {"200": json_content(obj({"items": {"type": "array", "items": ref("Department")}}),
                                              "every department"), **_errors("", codes=("401", "403"))},
        },
        "post": {
            "operationId": "createDepartment",
            "summary": "Add a department" + SUPERVISORS_ADMINS,
            "description": "As the console's form; audited (department_saved).",
            "requestBody": _body(obj(DEPARTMENT_FIELDS, required=["code", "name"])),
            "responses": {"201": json_content(ref("Department"), "the department"),
                          **_errors("", codes=("400", "401", "403", "422"))},
        },
    },
    "/departments/{department_id}": {"patch": {
        "operationId": "updateDepartment",
        "summary": "Change a department: the fields sent change, the others stay" + SUPERVISORS_ADMINS,
        "description": "As the console's form; audited with before and after when anything changed.",
        "parameters": [DEPARTMENT_ID],
        "requestBody": _body(obj(DEPARTMENT_FIELDS, required=[])),
        "responses": {"200": json_content(ref("Department"), "the department as saved"),
                      **_errors("", codes=("400", "401", "403", "404", "422"))},
    }},
    "/routing-rules": {
        "get": {
            "operationId": "listRoutingRules",
            "summary": "The routing rules in the order they are tried" + SUPERVISORS,
            "responses": {"200": json_content(ref("RoutingRuleList"), "every rule"), **_errors("", codes=("401", "403"))},
        },
        "post": {
            "operationId": "createRoutingRule",
            "summary": "Add a routing rule, with the reason" + SUPERVISORS,
            "description": "As the console's form: version 1, placed just above a trailing catch-all (which moves "
                           "down). Empty conditions match anything.",
            "requestBody": _body(obj(RULE_FIELDS, required=["name", "reason"])),
            "responses": {"201": json_content(ref("RoutingRule"), "the rule"),
                          **_errors("", codes=("400", "401", "403", "422"))},
        },
    },
    "/routing-rules/{rule_id}": {"patch": {
        "operationId": "updateRoutingRule",
        "summary": "Change a routing rule, switch it on or off; the fields sent change, with the reason" + SUPERVISORS,
        "description": "As the console's form and the list's activate/deactivate: a new version kept with who, "
                       "when, why, before and after. `division: null` without `region` clears the region too.",
        "parameters": [RULE_ID],
        "requestBody": _body(obj(RULE_FIELDS, required=["reason"])),
        "responses": {"200": RULE_CHANGED, **_errors("", codes=("400", "401", "403", "404", "422"))},
    }},
    "/routing-rules/{rule_id}/move": {"post": {
        "operationId": "moveRoutingRule",
        "summary": "Swap a rule with the one above or below it, with the reason" + SUPERVISORS,
        "description": "As the list's arrows: both rules get a new version.",
        "parameters": [RULE_ID],
        "requestBody": _body(obj({"direction": _enum(list(api.MOVES), "up: tried earlier; down: later"),
                                  "reason": RULE_FIELDS["reason"]})),
        "responses": {"200": json_content(ref("RoutingRuleList"), "every rule, in the new order"),
                      **_errors("the rule is already first (up) or last (down)")},
    }},
    "/routing-rules/{rule_id}/history": {"get": {
        "operationId": "routingRuleHistory",
        "summary": "A routing rule's history: every version with who, when, why, before and after" + SUPERVISORS,
        "description": "As the rule's edit page lists it, newest first.",
        "parameters": [RULE_ID],
        "responses": {"200": json_content(ref("RoutingRuleHistory"), "the rule's changes, newest first"),
                      **_errors("", codes=("401", "403", "404"))},
    }},
    "/routing-rules/try": {"post": {
        "operationId": "tryRoutingRules",
        "summary": "Where a case would go: a past case or a sample through the rules, and through the rules "
                   "with a draft" + SUPERVISORS,
        "description": "As the rule list's and the edit page's tester; nothing is stored. Send `case` (a past "
                       "case's number) or the sample fields, not both. With `rule_id` (the rule being edited) "
                       "and/or `draft` (rule fields as PATCH /routing-rules/{rule_id} takes them, without "
                       "`reason`; a new rule's when there is no `rule_id`, then `name` is required) the answer "
                       "also has `draft`: the decision with the draft in place of the saved rule. A draft's "
                       "refused fields are named `draft.<field>`.",
        "requestBody": _body(obj({
            "case": {"type": ["string", "null"], "maxLength": api.MAX_CASE_NUMBER,
                     "description": "a past case's number; one the user may not see is refused as unknown"},
            "text": _text(api.TRY_SAMPLE["text"], "the case's description (the keywords are looked for in it)",
                          required=False),
            "kind": _enum([k.value for k in TicketKind], "the case's kind", nullable=True),
            "category": {**RULE_TEXT, "description": "a goods or services category code"},
            "problem_type": {**RULE_TEXT, "description": "a problem type's code"},
            "region": _text(api.TRY_SAMPLE["region"], "the respondent's address or region, read as intake "
                                                      "reads it", required=False),
            "respondent": _text(api.TRY_SAMPLE["respondent"], "the respondent's name", required=False),
            "platform": _text(api.TRY_SAMPLE["platform"], "the platform it sells on", required=False),
            "rule_id": {"type": ["integer", "null"], "description": "the saved rule the draft changes"},
            "draft": obj({name: field for name, field in RULE_FIELDS.items() if name != "reason"}, required=[]),
        }, required=[])),
        "responses": {"200": json_content(ref("RoutingTrial"), "the decisions; nothing stored"),
                      **_errors("", codes=("400", "401", "403", "422"))},
    }},
})
DECISION = obj({
    "rule": {"oneOf": [obj({"id": {"type": ["integer", "null"], "description": "null: the draft of a new rule"},
                            "name": STRING, "version": {"type": "integer"}}), {"type": "null"}],
             "description": "the rule that matched; null: none did"},
    "department": {**DEPARTMENT, "description": "where the rule sends the case; null: the triage queue"},
    "action": _enum([a.value for a in RuleAction], "auto: forwarded at once; ask: the operator confirms; "
                    "null: the case waits in triage", nullable=True),
    "to_triage": {"type": "boolean", "description": "no rule matched, or the rule names no department"},
    "region": obj({"value": {**MAYBE_STRING, "description": "the division's full name, or a text region"},
                   "source": _enum(["respondent", "platform"], "where the region came from; null: unknown",
                                   nullable=True),
                   "platform": {**MAYBE_STRING, "description": "the platform that gave the region"},
                   "code": {**MAYBE_STRING, "description": "the division's code"}}),
    "trace": {"type": "array", "description": "every active rule tried, in order; the last matched when `rule` is set",
              "items": obj({
                  "rule": obj({"id": {"type": ["integer", "null"]}, "name": STRING}),
                  "matched": {"type": "boolean"},
                  "checks": {"type": "array", "description": "each condition the rule sets; none: a catch-all",
                             "items": obj({
                                 "condition": _enum(["kind", "category", "problem_type", "region", "keywords",
                                                     "respondent"], "the condition"),
                                 "wanted": {**STRING, "description": "what the rule wants (categories by code)"},
                                 "found": {**MAYBE_STRING, "description": "what the case has that it held or "
                                                                          "failed on"},
                                 "ok": {"type": "boolean"}})}})},
})
RULE_SNAPSHOT = {"type": ["object", "null"], "additionalProperties": True,
                 "description": "the rule's fields as stored (category_id, problem_type_id and department_id "
                                "by id); before of version 1 is null"}
RULE_HISTORY = obj({"items": {"type": "array", "items": obj({
    "version": {"type": "integer"}, "at": MOMENT,
    "by": {"oneOf": [obj({"username": STRING, "display_name": STRING}), {"type": "null"}],
           "description": "null: the system (the default rules)"},
    "reason": STRING, "before": RULE_SNAPSHOT, "after": RULE_SNAPSHOT})}})
SCHEMAS.update({"Department": DEPARTMENT_OUT, "RoutingRule": RULE_OUT, "RoutingRuleList": RULE_LIST,
                "RoutingRuleHistory": RULE_HISTORY, "RoutingDecision": DECISION,
                "RoutingTrial": obj({"saved": ref("RoutingDecision"), "draft": ref("RoutingDecision")},
                                    required=["saved"])})

# --- the referral directory (routing/api.py; the console's /referrals/directory) ---------------------

ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"},
            "description": "the `id` the directory gives"}
ENTRY_FIELDS = {
    "agency_zh": _text(referrals.MAX_AGENCY, "the agency's name in Chinese"),
    "agency_en": _text(referrals.MAX_AGENCY, "the agency's name in English"),
    "hotline": _text(referrals.MAX_HOTLINE, "its hotline, as told to the caller, e.g. 12366", required=False),
    "scope": _text(referrals.MAX_SCOPE, "what it handles", required=False),
    "caller_script": _text(referrals.MAX_CALLER_SCRIPT, "what the operator tells the caller", required=False),
    "sms_text": _text(referrals.MAX_SMS_TEXT, "the SMS the caller gets; {number} is the case number", required=False),
    "transfer_number": {"type": ["string", "null"], "maxLength": api.MAX_CODE, "pattern": referrals.E164.pattern,
                        "description": "E.164, for transferring the call, e.g. +8612366"},
    "position": {"type": "integer", "minimum": 0, "maximum": referrals.MAX_POSITION,
                 "description": "the directory lists entries by position"},
    "active": {"type": "boolean", "description": "an inactive entry is kept but offered for no referral"},
}
ENTRY_OUT = obj({
    "id": {"type": "integer"}, "key": STRING, "agency_zh": STRING, "agency_en": STRING, "hotline": MAYBE_STRING,
    "scope": MAYBE_STRING, "caller_script": MAYBE_STRING, "sms_text": MAYBE_STRING, "transfer_number": MAYBE_STRING,
    "position": {"type": "integer"}, "active": {"type": "boolean"},
})
ENTRY_DONE = json_content(ref("ReferralEntry"), "the entry as saved")

PATHS.update({
    "/referral-entries": {
        "get": {
            "operationId": "listReferralEntries",
            "summary": "The referral directory, inactive entries too, by position" + SUPERVISORS,
            "responses": {"200": json_content(obj({"items": {"type": "array", "items": ref("ReferralEntry")}}),
                                              "every entry"), **_errors("", codes=("401", "403"))},
        },
        "post": {
            "operationId": "createReferralEntry",
            "summary": "Add a referral directory entry" + SUPERVISORS,
            "description": "As the console's form; audited (referral_entry_changed).",
            "requestBody": _body(obj({
                "key": {"type": "string", "minLength": 1, "maxLength": api.MAX_CODE, "pattern": referrals.KEY.pattern,
                        "description": "unique; what the referral API and the suggestion rules name it by"},
                **ENTRY_FIELDS,
            }, required=["key", "agency_zh", "agency_en"])),
            "responses": {"201": json_content(ref("ReferralEntry"), "the entry"),
                          **_errors("", codes=("400", "401", "403", "422"))},
        },
    },
    "/referral-entries/{entry_id}": {"patch": {
        "operationId": "updateReferralEntry",
        "summary": "Change a referral entry: the fields sent change, the key stays" + SUPERVISORS,
        "description": "As the console's form; audited with before and after.",
        "parameters": [ENTRY_ID],
        "requestBody": _body(obj(ENTRY_FIELDS, required=[])),
        "responses": {"200": ENTRY_DONE, **_errors("", codes=("400", "401", "403", "404", "422"))},
    }},
    "/referral-entries/{entry_id}/active": {"post": {
        "operationId": "setReferralEntryActive",
        "summary": "Switch a referral entry on or off" + SUPERVISORS,
        "description": "As the directory's activate / deactivate; audited.",
        "parameters": [ENTRY_ID],
        "requestBody": _body(obj({"active": ENTRY_FIELDS["active"]})),
        "responses": {"200": ENTRY_DONE, **_errors("", codes=("400", "401", "403", "404", "422"))},
    }},
})
SCHEMAS.update({"ReferralEntry": ENTRY_OUT})

# --- administrative divisions -----------------------------------------------------------------------

DIVISION_READERS = " (operators and supervisors)"
DIVISION = obj({"code": {"type": "string", "pattern": r"^\d{6}$"}, "name": STRING})
PATHS.update({
    "/divisions": {"get": {
        "operationId": "listDivisions",
        "summary": "Administrative divisions under a parent (省 / 市 / 区县)" + DIVISION_READERS,
        "description": "As the intake form's cascading province / city / district choice: the divisions directly "
                       "under `parent`, or the provinces without it. A code is what `respondent_division` takes; "
                       "a routing rule for a division matches everything under it.",
        "parameters": [{"name": "parent", "in": "query", "required": False,
                        "schema": {"type": "string", "maxLength": 12}, "description": "a division's code"}],
        "responses": {"200": json_content(obj({"parent": MAYBE_STRING, "items": {"type": "array", "items": DIVISION}}),
                                          "the divisions, in code order"),
                      "401": ERRORS["401"], "403": ERRORS["403"], "422": ERRORS["422"], "default": ERRORS["default"]},
    }},
    "/divisions/parse": {"post": {
        "operationId": "parseDivision",
        "summary": "The division an address lies in" + DIVISION_READERS,
        "description": "As the intake form's automatic 区划 from the respondent's address (a kept Chinese address "
                       "parser, the hotline's own region first for a bare district name): the deepest division "
                       "found, its full name and the chain from the province down. `code` is null when the "
                       "address names no division; nothing is stored.",
        "requestBody": _body(obj({"address": {"type": "string", "minLength": 1, "maxLength": api.MAX_ADDRESS}})),
        "responses": {"200": json_content(obj({
            "code": {"type": ["string", "null"], "pattern": r"^\d{6}$"},
            "name": MAYBE_STRING,
            "levels": {"type": "array", "items": {"type": "string"}, "maxItems": 3,
                       "description": "province, city, district codes, as far as found"},
        }), "where the address lies"), "400": ERRORS["400"], "401": ERRORS["401"], "403": ERRORS["403"],
            "422": ERRORS["422"], "default": ERRORS["default"]},
    }},
})
