"""The intake API's part of the OpenAPI document served at /api/v1/openapi.json
(intake.init_app adds it with hotline.rest.add_openapi), built from the same names and enums the API checks."""

from hotline.knowledge import answers
from hotline.models import Channel, IdentityLevel, RejectGround, SuggestionTarget, TicketKind, TicketStatus
from hotline.rest import (
    AUTH_ERRORS,
    MAX_AMOUNT,
    MAYBE_MOMENT,
    MAYBE_STRING,
    MOMENT,
    STRING,
    json_content,
    obj,
    ref,
    response_ref,
)
from intake import api_services, filetypes, suggestion_rules, verification

MAYBE_BOOL = {"type": ["boolean", "null"]}
NUMBER_PARAM = {"name": "number", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": r"^\d{8}-\d{5}$"}, "description": "the case number"}
VERSION = {"type": "integer", "description": "the case's `version` as last read (optimistic locking)"}
ANSWERS = {"type": ["object", "null"], "additionalProperties": MAYBE_STRING,
           "maxProperties": api_services.MAX_ANSWERS,
           "description": "answers to the category's questions, by question code (yes/no questions: \"yes\" or \"no\")"}

FIELD_DOCS = {
    "phone": "the complainant's or named reporter's phone; needed to accept a complaint or named report",
    "name": "the complainant's or named reporter's name; needed to accept a complaint or named report",
    "address": "the complainant's address; needed to accept a complaint",
    "category": "an active goods or services class code, e.g. G01",
    "problem_type": "an active problem type code",
    "facts": "what happened; needed to accept a complaint or report",
    "demand": "what the complainant asks for; needed to accept a complaint",
    "answer": "the answer given; required for a consultation, which is then closed as answered",
    "purchase_date": "YYYY-MM-DD, not in the future",
    "id_number": "resident ID number (GB 11643-1999); stored only as a keyed hash and masked, never returned",
    "respondent_name": "the business; needed to accept a complaint or report",
    "respondent_address": "needed to accept a complaint, except an online purchase (then: platform, and seller or "
                          "order_number); the respondent's division is derived from it",
    "respondent_division": "the business's administrative division, a GB/T 2260 code (110000 province, 110100 city, "
                           "110101 district); given, it stands over what the address says",
    "respondent_region": "a region as text (东城区, 北京市海淀区), used only when no division is known otherwise",
    "platform": "the online platform (京东, 淘宝...): needed with seller or order_number to accept an online purchase",
}


def _input(extra=None, required=()):
    props = {name: {**MAYBE_STRING, **({"description": FIELD_DOCS[name]} if name in FIELD_DOCS else {})}
             for name in api_services.TEXT_FIELDS}
    props.update({
        "kind": {"type": ["string", "null"], "enum": [*api_services.KINDS, None]},
        "anonymous": {**MAYBE_BOOL, "description": "an anonymous report: no identity is kept"},
        "confidential": {**MAYBE_BOOL, "description": "a named reporter whose identity only hotline staff may see "
                                                  "(in the console; never through the API)"},
        "amount": {"type": ["number", "null"], "minimum": 0, "maximum": float(MAX_AMOUNT),
                   "description": "money at stake, in yuan, rounded to cents"},
        "answers": ANSWERS,
        "article_id": {"type": ["integer", "null"],
                       "description": "a consultation only: the published knowledge article the answer came from "
                                      "(see /suggest's `articles`); the use is recorded once per case and "
                                      "article. An unknown, retired or expired article: 422"},
        "text_answer": {**MAYBE_BOOL, "description": "with article_id: text the caller the article's short answer, "
                                                     "the link to its public page and the case number (sent even "
                                                     "after the caller texted 退订; not sent when the case has no "
                                                     "number to text); the answer's text_answer_result says what came of it"},
        **(extra or {}),
    })
    return obj(props, required=list(required))


COMPLAINANT = obj({
    "name": MAYBE_STRING,
    "phone_masked": {**MAYBE_STRING, "examples": ["138****1234"]},
    "address": MAYBE_STRING,
    "id_number_masked": {**MAYBE_STRING, "examples": ["110105********002X"]},
})
CASE_FIELDS = {
    "number": STRING,
    "version": {"type": "integer", "description": "send it back with PATCH, accept or reject"},
    "status": {"type": "string", "enum": [s.value for s in TicketStatus]},
    "kind": {"type": "string", "enum": [k.value for k in TicketKind]},
    "channel": {"type": "string", "enum": [c.value for c in Channel]},
    "category": MAYBE_STRING,
    "problem_type": MAYBE_STRING,
    "department": MAYBE_STRING,
    **{name: MAYBE_STRING for name in ("respondent_name", "respondent_address", "respondent_region",
                                       "respondent_division", "platform",
                                       "seller", "order_number", "facts", "demand", "answer", "reject_reason")},
    "amount": {"type": ["number", "null"]},
    "purchase_date": {**MAYBE_STRING, "format": "date"},
    "answers": {"type": ["object", "null"], "additionalProperties": STRING},
    "anonymous": {"type": "boolean"},
    "confidential": {"type": "boolean"},
    "identity_level": {"type": "string", "enum": [level.value for level in IdentityLevel]},
    "missing": {"type": "array", "items": STRING,
                "description": "a new case kept incomplete: the fields (request names; `answers.<code>` for a "
                               "category question; `kind` when no kind is chosen) still needed before it can "
                               "be accepted, the ones accept would refuse it for; empty when complete, for a "
                               "consultation and once the case is past intake"},
    "complainant": {"oneOf": [ref("IntakeComplainant"), {"type": "null"}],
                    "description": "null for anonymous reports, for confidential reporters (whoever reads), "
                                   "and for readers who may not know who filed the case (department users "
                                   "for reports)"},
    "reject_ground": {"type": ["string", "null"], "enum": [*(g.value for g in RejectGround), None]},
    "accepted_at": MAYBE_MOMENT,
    "created_at": MOMENT,
    "updated_at": MAYBE_MOMENT,
}
TEXT_ANSWER_RESULT = {
    "type": "string", "enum": list(answers.TEXT_RESULTS),
    "description": "only in the answer to a create or change that asked for text_answer: queued (the SMS is "
                   "in the outbox), no_phone (the case has no number to text: give the answer on the phone), "
                   "already_sent (the caller was texted this article's answer on this case before: nothing "
                   "more is sent)",
}
CASE = obj({**CASE_FIELDS, "text_answer_result": TEXT_ANSWER_RESULT}, required=list(CASE_FIELDS))
CONFLICT = {
    "type": "object",
    "properties": {"error": {"const": "Conflict"}, "message": STRING,
                   "version": {"type": ["integer", "null"], "description": "the case's current version"}},
    "required": ["error", "message", "version"],
}
OTP_STATE = obj({
    "number": STRING,
    "identity_level": {"type": "string", "enum": [level.value for level in IdentityLevel],
                       "description": "still none or caller_id: the code is only sent; otp once verified"},
    "phone_masked": {**MAYBE_STRING, "examples": ["139****9000"],
                     "description": "the number the code went to, masked; null for a confidential reporter"},
    "sent_at": MAYBE_MOMENT,
    "expires_at": {**MAYBE_MOMENT, "description": "after this the code no longer works (OTP_TTL_SECONDS, 5 minutes)"},
    "tries_left": {"type": "integer", "minimum": 0, "description": "wrong codes the caller may still read back"},
    "sends_left": {"type": "integer", "minimum": 0,
                   "description": "codes that may still be sent for the case now (OTP_SEND_LIMIT per "
                                  "OTP_SEND_WINDOW_SECONDS: 3 per 10 minutes)"},
})
OTP_REFUSED = obj({
    "error": {"type": "string", "enum": ["Conflict", "Too Many Requests"]},
    "message": STRING,
    "code": {"type": "string", "enum": [code for _status, code, _message in api_services.OTP_REFUSALS.values()],
             "description": "; ".join(f"{code}: {message}" for _status, code, message in api_services.OTP_REFUSALS.values())},
    "retry_after": {"type": ["integer", "null"], "minimum": 1,
                    "description": "send_limit only: seconds until another code may be sent (also the "
                                   "Retry-After header)"},
}, required=["error", "message", "code"])
WRONG_CODE = {"allOf": [ref("ValidationError"), {
    "type": "object",
    "properties": {"tries_left": {"type": "integer", "minimum": 1,
                                  "description": "a wrong code: how many more may be read back"}},
}]}
SCORE = {"type": "number", "minimum": 0, "maximum": 1}
SOURCE = {"type": "string", "enum": ["model", "rule", "default"],
          "description": "model: the text classifier; rule: a supervisor's keyword rule that matched "
                         "(it wins over the model); default: nothing to go on"}


def _choice(key, extra=None, key_schema=STRING, alternative_key=MAYBE_STRING):
    """One suggested value with its confidence, the words behind it and the model's best values."""
    alternative = obj({key: alternative_key, **(extra or {}), "score": SCORE})
    return obj({
        key: key_schema,
        **(extra or {}),
        "score": {**SCORE, "description": "confidence: the model's (0..1); 1 for a supervisor's rule"},
        "source": SOURCE,
        "keywords": {"type": "array", "items": STRING,
                     "description": "the words of the text behind the choice, strongest first"},
        "reason": {**STRING, "description": "the same in one line, e.g. \"model 97%: 话费, 增值业务\""},
        "alternatives": {"type": "array", "items": alternative, "maxItems": 3,
                         "description": "the model's best values, best first, whatever won "
                                        "(null: no value, e.g. in scope or no category)"},
    })


NAMES = {"name_zh": MAYBE_STRING, "name_en": MAYBE_STRING}
ARTICLE_HIT = obj({
    "id": {"type": "integer", "description": "send it back as article_id when the answer is given"},
    "title": STRING,
    "short_answer": {**STRING, "description": "what the operator says (or texts) to the caller"},
    "score": {"type": "number", "minimum": 0, "description": "the search's BM25 score: higher is better; "
                                                          "comparable only within one answer"},
})
AGENCY = {"agency_zh": MAYBE_STRING, "agency_en": MAYBE_STRING, "hotline": MAYBE_STRING}
SUGGESTION = obj({
    "kind": _choice("value", key_schema={"type": "string", "enum": list(api_services.KINDS)}),
    "category": {"oneOf": [_choice("code", NAMES), {"type": "null"}],
                 "description": "a goods or services class; null when none fits"},
    "problem_type": {"oneOf": [_choice("code", NAMES), {"type": "null"}]},
    "referral": {"oneOf": [_choice("key", AGENCY), {"type": "null"}],
                 "description": "the referral directory key of the agency the caller belongs to, with its "
                                "names and hotline from the directory (null: not in the directory); "
                                "null referral: in scope"},
    "in_scope": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                 "description": "the model's confidence that the hotline handles the case"},
    "articles": {"type": "array", "maxItems": 3, "items": ARTICLE_HIT,
                 "description": "the published, valid knowledge articles that best answer the text, best first"},
})
SUGGEST_ERROR = {
    "type": "object",
    "properties": {"error": STRING, "field": STRING, "message": STRING},
    "required": ["error", "message"],
}

EVIDENCE = obj({
    "id": {"type": "integer"},
    "filename": {**STRING, "description": "the name kept: safe, and ending in an extension of the type found"},
    "content_type": {"type": "string", "enum": [t.content_type for t in filetypes.ACCEPTED],
                     "description": "the type found in the file's bytes (never the sender's word)"},
    "size": {"type": "integer"},
    "sha256": STRING,
})
EVIDENCE_REFUSED = {
    "type": "object",
    "properties": {"error": {"const": "file refused"}, "message": STRING,
                   "code": {"type": "string", "enum": [*filetypes.REASONS, "too_large", "duplicate"]}},
    "required": ["error", "message", "code"],
}

WRITE_ERRORS = {
    "400": response_ref("BadRequest"),
    "404": response_ref("NotFound"),
    "409": json_content(ref("Conflict"), "the case changed since the client read it, or its status forbids this"),
    "422": response_ref("ValidationFailed"),
    **AUTH_ERRORS,
}
WRITERS = " (operators and supervisors)"


def _body(schema, required=True):
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _case_op(op_id, summary, body=None, ok="200", more=None, description=None):
    op = {"operationId": op_id, "summary": summary, "parameters": [NUMBER_PARAM],
          "responses": {ok: json_content(ref("IntakeCase"), "the case as it now stands"), **WRITE_ERRORS, **(more or {})}}
    if body:
        op["requestBody"] = body
    if description:
        op["description"] = description
    return op


PATHS = {
    "/intake/tickets": {"post": {
        "operationId": "createIntakeCase",
        "summary": "Open a classified case from another channel in one call, checked as the intake form" + WRITERS,
        "description": "Every value given is checked as the intake form checks it. As the operator's save, a "
                       "complaint or report may be kept incomplete: it is created with `missing` naming what "
                       "acceptance still needs (accept refuses it until then). A consultation needs its "
                       "answer, and every case a `kind`.",
        "requestBody": _body(ref("IntakeNewCase")),
        "responses": {
            "201": {**json_content(ref("IntakeCase"), "the case, with the intake saved"),
                    "headers": {"Location": {"schema": STRING, "description": "URL of the case in this API"}}},
            **{code: r for code, r in WRITE_ERRORS.items() if code not in ("404", "409")},
        },
    }},
    "/intake/tickets/{number}": {
        "get": {
            "operationId": "getIntakeCase",
            "summary": "A case's intake fields and version (department users: their own department's cases)",
            "parameters": [NUMBER_PARAM],
            "responses": {"200": json_content(ref("IntakeCase"), "the case"), "404": response_ref("NotFound"), **AUTH_ERRORS},
        },
        "patch": _case_op("updateIntakeCase", "Change some fields; send the version you read" + WRITERS,
                          _body(ref("IntakeCaseChanges")),
                          description="As the operator's save: a complaint or report (or a case whose kind is "
                                      "not chosen yet) may stay incomplete while it is worked on; the answer's "
                                      "`missing` names what acceptance still needs."),
    },
    "/intake/tickets/{number}/accept": {"post": _case_op(
        "acceptIntakeCase", "Accept the case (受理): a notice to the complainant, then routing" + WRITERS,
        _body(obj({"version": VERSION}, required=[]), required=False))},
    "/intake/tickets/{number}/reject": {"post": _case_op(
        "rejectIntakeCase", "Do not accept the case (不予受理) on one ground, with a reason" + WRITERS,
        _body(obj({"ground": {"type": "string", "enum": [g.value for g in RejectGround]},
                    "reason": {"type": "string", "minLength": 1}, "version": VERSION},
                   required=["ground", "reason"])))},
    "/intake/tickets/{number}/duplicate": {"post": _case_op(
        "markIntakeCaseDuplicate", "Mark the case a duplicate of another case (重复投诉)" + WRITERS,
        _body(obj({"of": {"type": "string", "pattern": r"^\d{8}-\d{5}$", "examples": ["20261207-00042"],
                          "description": "the number of the case this one repeats (one you may see; not this "
                                         "case, nor one that is itself a duplicate of this case)"},
                   "version": VERSION}, required=["of"])),
        description="As the console's 'Link as duplicate': the case's `duplicate_of` line on its history (from "
                    "the case it was marked a duplicate of before, if any); its status does not change. The "
                    "other case is named in the body, as reject's ground is, so a bad, unknown, same or looping "
                    "number is a 422 naming `of`, and the path stays the case acted on.")},
    "/intake/tickets/{number}/otp/send": {"post": {
        "operationId": "sendIntakeOtp",
        "summary": "Text a one-time code to the complainant's number on the form, to check the caller holds "
                   "it" + WRITERS,
        "description": "As the console's identity check: a fresh code (earlier ones stop working) goes to the "
                       "outbox as a legal SMS (an earlier 退订 does not hold it back), with an `otp_sent` line "
                       "on the history. The code is never in the answer. Only when the form gives a number "
                       "that is not the calling number; at most OTP_SEND_LIMIT codes per "
                       "OTP_SEND_WINDOW_SECONDS (429 with Retry-After). No body, or an empty JSON object.",
        "parameters": [NUMBER_PARAM],
        "requestBody": _body(obj({}), required=False),
        "responses": {
            "200": json_content(ref("IntakeOtpState"), "the code is sent: where, until when, tries and sends left"),
            "400": response_ref("BadRequest"),
            "404": response_ref("NotFound"),
            "409": json_content({"anyOf": [ref("IntakeOtpRefused"), ref("Conflict")]},
                                "not_needed: no number on the form other than the calling one (an anonymous "
                                "case has none)"),
            "422": response_ref("ValidationFailed"),
            "429": {**json_content(ref("IntakeOtpRefused"), "send_limit: too many codes sent for this case"),
                    "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                "description": "seconds until another code may be sent"}}},
            **AUTH_ERRORS,
        },
    }},
    "/intake/tickets/{number}/otp/verify": {"post": {
        "operationId": "verifyIntakeOtp",
        "summary": "Check the code the caller read back; right, the case's identity level is otp" + WRITERS,
        "description": f"A wrong code uses one of the code's OTP_MAX_ATTEMPTS tries ({verification.CODE_DIGITS} "
                       "digits; a malformed one uses none); the last wrong try locks the code (an `otp_locked` "
                       "line on the history). Right: `identity_level` otp and an `otp_verified` line.",
        "parameters": [NUMBER_PARAM],
        "requestBody": _body(obj({"code": {"type": "string", "pattern": rf"^\s*[0-9]{{{verification.CODE_DIGITS}}}\s*$",
                                           "description": "the digits the caller read back"}})),
        "responses": {
            "200": json_content(ref("IntakeCase"), "the case, its identity_level now otp"),
            "400": response_ref("BadRequest"),
            "404": response_ref("NotFound"),
            "409": json_content({"anyOf": [ref("IntakeOtpRefused"), ref("Conflict")]},
                                "no_code, expired or locked: send a new code; not_needed: nothing to verify"),
            "422": json_content(ref("IntakeOtpWrongCode"), "the code is malformed (naming `code` and unknown "
                                                           "fields), or wrong (with `tries_left`)"),
            **AUTH_ERRORS,
        },
    }},
    "/tickets/{number}/evidence": {"post": {
        "operationId": "attachEvidence",
        "summary": "Attach one file to a case as evidence, its type checked by content (operators, supervisors, "
                   "department users on their own department's cases)",
        "description": "Photos (JPEG, PNG, GIF, WebP, HEIC), PDF, Word/Excel/PowerPoint and plain text. "
                       "Programs, archives, web pages, macro-enabled documents and files built to exhaust a "
                       "parser (self-referencing structures, zip bombs, thousands of parts) are refused.",
        "parameters": [NUMBER_PARAM],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": obj(
            {"file": {"type": "string", "format": "binary"}})}}},
        "responses": {
            "201": json_content(ref("Evidence"), "the file, attached"),
            "400": response_ref("BadRequest"),
            "404": response_ref("NotFound"),
            "413": json_content({"anyOf": [ref("EvidenceRefused"), ref("Error")]},
                         "the file is larger than EVIDENCE_MAX_BYTES, or the request than MAX_UPLOAD_BYTES"),
            "422": json_content(ref("EvidenceRefused"), "the file is not accepted; `code` says why"),
            **AUTH_ERRORS,
        },
    }},
    "/suggest": {"post": {
        "operationId": "suggestClassification",
        "summary": "The suggested kind, category, problem type and referral for a description, and the "
                   "knowledge articles that answer it" + WRITERS,
        "requestBody": _body(obj({"text": {"type": "string", "minLength": 1, "maxLength": 10_000}})),
        "responses": {
            "200": json_content(ref("Suggestion"), "the suggestion: each value with its confidence, the words "
                                             "behind it and the model's alternatives"),
            "400": json_content(ref("SuggestError"), "the body is not a JSON object"),
            "422": json_content(ref("SuggestError"), "text is missing, empty or too long"),
            **AUTH_ERRORS,
        },
    }},
}

SCHEMAS = {
    "IntakeCase": CASE,
    "IntakeComplainant": COMPLAINANT,
    "IntakeNewCase": _input({"channel": {"type": ["string", "null"], "enum": [*api_services.CHANNELS, None],
                                         "default": "api"}}, required=["kind"]),
    "IntakeCaseChanges": _input({"version": VERSION}, required=["version"]),
    "Conflict": CONFLICT,
    "IntakeOtpState": OTP_STATE,
    "IntakeOtpRefused": OTP_REFUSED,
    "IntakeOtpWrongCode": WRONG_CODE,
    "Suggestion": SUGGESTION,
    "SuggestError": SUGGEST_ERROR,
    "Evidence": EVIDENCE,
    "EvidenceRefused": EVIDENCE_REFUSED,
}

# ---- keyword suggestion rules (intake/api.py; the console's /intake/rules) ---------------------

SUPERVISORS = " (supervisors)"
RULE_ID = {"name": "rule_id", "in": "path", "required": True, "schema": {"type": "integer"},
           "description": "the `id` the rule list gives"}
RULE_FIELDS = {
    "keywords": {"type": "array", "items": {"type": "string"},
                 "description": f"words in the description that point to the value (blanks and repeats dropped); "
                                f"at most {suggestion_rules.MAX_KEYWORDS} characters in all"},
    "weight": {"type": "integer", "minimum": 0, "maximum": suggestion_rules.MAX_WEIGHT,
               "description": "weight per keyword found"},
    "position": {"type": "integer", "minimum": 0, "maximum": suggestion_rules.MAX_POSITION,
                 "description": "ties go to the lower"},
    "active": {"type": "boolean", "description": "an inactive rule gives the classifier back its say"},
}
SUGGESTION_RULE = obj({
    "id": {"type": "integer"},
    "target": {"type": "string", "enum": [t.value for t in SuggestionTarget]},
    "value": {**STRING, "description": "kind: complaint, report, consultation; category and problem: a category "
                                       "code; referral: a referral directory key"},
    "keywords": {"type": "array", "items": STRING}, "weight": {"type": "integer"}, "position": {"type": "integer"},
    "active": {"type": "boolean"},
})
RULE_ERRORS = {"400": response_ref("BadRequest"), "422": response_ref("ValidationFailed"), **AUTH_ERRORS}

PATHS.update({
    "/suggestion-rules": {
        "get": {
            "operationId": "listSuggestionRules",
            "summary": "The keyword rules that override the classifier, by target, in position order" + SUPERVISORS,
            "responses": {"200": json_content(obj({"items": {"type": "array", "items": ref("SuggestionRule")}}),
                                              "every rule"), **AUTH_ERRORS},
        },
        "post": {
            "operationId": "createSuggestionRule",
            "summary": "Add a keyword rule" + SUPERVISORS,
            "description": "As the console's form; audited (suggestion_rule_changed). `POST /suggest` uses it at once.",
            "requestBody": _body(obj({
                "target": {"type": "string", "enum": [t.value for t in SuggestionTarget]},
                "value": {"type": "string", "minLength": 1, "maxLength": suggestion_rules.MAX_VALUE,
                          "description": "a kind, a category code of the target's group, or a referral key"},
                **RULE_FIELDS,
            }, required=["target", "value"])),
            "responses": {"201": json_content(ref("SuggestionRule"), "the rule"), **RULE_ERRORS},
        },
    },
    "/suggestion-rules/{rule_id}": {"patch": {
        "operationId": "updateSuggestionRule",
        "summary": "Change a keyword rule: the fields sent change; target and value stay" + SUPERVISORS,
        "description": "As the console's form; audited with before and after.",
        "parameters": [RULE_ID],
        "requestBody": _body(obj(RULE_FIELDS, required=[])),
        "responses": {"200": json_content(ref("SuggestionRule"), "the rule as saved"),
                      "404": response_ref("NotFound"), **RULE_ERRORS},
    }},
})
SCHEMAS["SuggestionRule"] = SUGGESTION_RULE
