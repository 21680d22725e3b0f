"""The routing API's part of the OpenAPI document served at /api/v1/openapi.json
(hotline.api.openapi merges it in), built from the limits routing/api.py checks."""

from hotline.models import TicketStatus
from hotline.rest import MAYBE_MOMENT, MAYBE_STRING, STRING, json_content, obj, ref, response_ref
from routing import api, services

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
SCHEMAS = {"RoutedCase": ROUTED}
