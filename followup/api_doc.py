"""The callback visit API's part of the OpenAPI document served at /api/v1/openapi.json
(hotline.api.openapi merges it in), built from the limits and codes followup/api.py checks."""

from followup import callback_visits
from followup.callback_visit_views import LIST_LIMIT
from hotline.models import FollowUpStatus, TicketStatus
from hotline.rest import MAYBE_MOMENT, MAYBE_STRING, MOMENT, STRING, json_content, obj, ref, response_ref

WRITERS = " (operators and supervisors)"
VISIT = obj({
    "id": {"type": "integer"},
    "number": {**STRING, "description": "the case's number"},
    "case_status": {"type": "string", "enum": [s.value for s in TicketStatus]},
    "status": {"type": "string", "enum": [s.value for s in FollowUpStatus],
               "description": "scheduled: to be made; done: reached; unreachable: not reached after the "
                              "tries allowed; cancelled: the case was reopened"},
    "reason": {**STRING, "description": "why the visit was scheduled, e.g. handled"},
    "due_at": {**MOMENT, "description": "when the next try is due"},
    "attempts": {"type": "integer", "minimum": 0, "description": "tries recorded"},
    "max_attempts": {"type": "integer", "minimum": 1, "description": "tries allowed before it is unreachable"},
    "outcome": {"type": ["string", "null"], "enum": [*callback_visits.OUTCOMES, None],
                "description": "the last try's outcome"},
    "note": MAYBE_STRING,
    "last_attempt_at": MAYBE_MOMENT,
    "done_at": MAYBE_MOMENT,
})
NOT_FOUND = json_content(ref("Error"), "no such callback visit")
CLOSED = json_content(ref("Error"), "the visit is already closed (done, unreachable or cancelled)")
AUTH = {"401": response_ref("Unauthorized"), "403": response_ref("Forbidden"), "default": response_ref("Error")}

PATHS = {
    "/callback-visits": {"get": {
        "operationId": "listDueCallbackVisits",
        "summary": "Callback visits (回访) due, earliest first" + WRITERS,
        "description": f"The scheduled visits due by `due`, as the console's callback list; at most {LIST_LIMIT}.",
        "parameters": [{
            "name": "due", "in": "query", "required": False,
            "description": "ISO 8601 date (due by the end of that day) or datetime; without an offset, in the "
                           "hotline's time zone; default now",
            "schema": {"type": "string", "examples": ["2026-01-05", "2026-01-05T18:00:00+08:00"]},
        }],
        "responses": {
            "200": json_content(obj({
                "items": {"type": "array", "items": ref("CallbackVisit"), "maxItems": LIST_LIMIT},
                "due": {**MOMENT, "description": "the moment the list is due by"},
                "more": {"type": "boolean", "description": f"true when more than {LIST_LIMIT} are due"},
            }), "the visits due"),
            "422": response_ref("ValidationFailed"),
            **AUTH,
        },
    }},
    "/callback-visits/{visit_id}/outcome": {"post": {
        "operationId": "recordCallbackOutcome",
        "summary": "Record a callback visit's outcome (回访结果)" + WRITERS,
        "description": "As the visit page: satisfied closes the visit (done) and the resolved case (closed); "
                       "unsatisfied closes the visit, the case stays resolved so the complainant may appeal; "
                       "not_reached moves the next try to the next working day, and after the tries allowed "
                       "the visit is unreachable. A closed visit's callback clock stops.",
        "parameters": [{"name": "visit_id", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": r"^\d+$"}, "description": "the visit's id"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": obj({
            "outcome": {"type": "string", "enum": list(callback_visits.OUTCOMES)},
            "note": {"type": ["string", "null"], "maxLength": callback_visits.MAX_NOTE},
        }, required=["outcome"])}}},
        "responses": {
            "200": json_content(ref("CallbackVisit"), "the visit as it now stands"),
            "400": response_ref("BadRequest"),
            "404": NOT_FOUND,
            "409": CLOSED,
            "422": response_ref("ValidationFailed"),
            **AUTH,
        },
    }},
}
SCHEMAS = {"CallbackVisit": VISIT}
