"""Follow-up's part of the OpenAPI document served at /api/v1/openapi.json (hotline.api.openapi
merges it in): callback visits and legal clocks, built from the limits and codes followup/api.py
checks."""

from followup import callback_visits
from followup.callback_visit_views import LIST_LIMIT
from followup.views import MAX_YEAR, MIN_YEAR
from hotline.deadlines.calendar_data import MAX_DAY_NAME
from hotline.deadlines.clocks import DEPARTMENT_CLOCKS, MAX_PAUSE_REASON
from hotline.models import ClockKind, ClockState, FollowUpStatus, TicketStatus
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

VISIT_PARAM = {"name": "visit_id", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": r"^\d+$"}, "description": "the visit's id"}
EMPTY_BODY = {"required": False, "content": {"application/json": {"schema": obj({})}},
              "description": "none, or {}"}
VISIT_CALL = obj({
    **VISIT["properties"],
    "call": obj({"sid": {**MAYBE_STRING, "description": "Twilio's CallSid"},
                 "status": {**MAYBE_STRING, "description": "the call's status as last reported"}}),
})
TWILIO_REFUSED = json_content(ref("Error"), "Twilio refused; nothing was recorded")


def _call_button(operation, summary, description, done, conflict):
    """A visit page call button's operation: no body, the visit and its call back, 409 / 502."""
    return {"post": {
        "operationId": operation, "summary": summary + WRITERS, "description": description,
        "parameters": [VISIT_PARAM], "requestBody": EMPTY_BODY,
        "responses": {
            "200": json_content(ref("CallbackVisitCall"), done),
            "400": response_ref("BadRequest"),
            "404": NOT_FOUND,
            "409": json_content(ref("Error"), conflict),
            "422": response_ref("ValidationFailed"),
            "502": TWILIO_REFUSED,
            **AUTH,
        },
    }}


PATHS.update({
    "/callback-visits/{visit_id}/call": _call_button(
        "placeCallbackCall", "Call the complainant for a callback visit (回访外呼)",
        "As the visit page's call button: Twilio rings the complainant's notice number and, when they answer, "
        "reads the visit's greeting and dials the token user's own phone (their account's phone number). The "
        "call is an attempt of the visit whose outcome is recorded next with .../outcome. 409 when the visit is "
        "closed, the case has no number to call back or the token user has no phone; 502 when Twilio refuses.",
        "the visit, and the call placed", "the visit is closed, or a number to call is missing"),
    "/callback-visits/{visit_id}/survey": _call_button(
        "handToVoiceSurvey", "Hand a reached complainant to the automated voice survey (语音满意度测评)",
        "As the visit page's survey button: the visit's last call, still live, moves to the 1-5 survey (the "
        "operator's leg drops); the key pressed is recorded as the case's survey answer. 409 when no call of "
        "the visit is live; 502 when Twilio refuses.",
        "the visit, and the call handed over", "no live call to hand over"),
})

# --- legal clocks ----------------------------------------------------------------------------------

CLOCK_ROLES = (" (operators and supervisors on any case; department users on their own department's case, "
               "for its own duties only: " + ", ".join(k.value for k in DEPARTMENT_CLOCKS) + ")")
KIND = {"type": "string", "enum": [k.value for k in ClockKind],
        "description": "the duty: accept (accept or reject), forward (to a department), mediation, notify_end "
                       "(tell both parties mediation ended), reporter_notice, callback (visit), appeal"}
LABEL = {**STRING, "description": "the code in words, in the language Content-Language says"}
CLOCK = obj({
    "id": {"type": "integer"},
    "number": {**STRING, "description": "the case's number"},
    "kind": KIND,
    "kind_label": LABEL,
    "state": {"type": "string", "enum": [s.value for s in ClockState],
              "description": "running; paused (not counting); met (the duty was done, on time when met_at <= "
                             "due_at); cancelled (the duty fell away)"},
    "state_label": LABEL,
    "started_at": MOMENT,
    "due_at": {**MOMENT, "description": "the end of the due day, in the hotline's time zone; a resume moves it "
                                        "later by the days paused"},
    "estimated": {"type": "boolean", "description": "the due day lies beyond the working-day calendar's data "
                                                    "(Monday to Friday assumed)"},
    "late": {"type": "boolean", "description": "met after its due moment, or still open past it"},
    "met_at": MAYBE_MOMENT,
    "pauses": {"type": "array", "description": "oldest first; the open one has resumed_at null",
               "items": obj({"reason": STRING, "paused_at": MOMENT, "resumed_at": MAYBE_MOMENT})},
    "may_change": {"type": "boolean", "description": "whether the reader may pause or resume it (the case "
                                                     "page's buttons)"},
})
CONTENT_LANGUAGE = {"Content-Language": {"schema": {"type": "string", "enum": ["zh", "en"]},
                                         "description": "the language of the labels"}}
CASE_NOT_FOUND = json_content(ref("Error"), "no such case, or one the reader may not see (another department's)")
CLOCK_NOT_FOUND = json_content(ref("Error"), "no such clock, or one on another department's case")
CLOCK_ID = {"name": "clock_id", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": r"^\d+$"}, "description": "the clock's id (from .../clocks)"}
CHANGED = {**json_content(ref("Clock"), "the clock as it now stands"), "headers": CONTENT_LANGUAGE}
CLOCK_ERRORS = {"404": CLOCK_NOT_FOUND, **AUTH}
REFUSALS = (" A department user asking for one of the hotline's own clocks (accept, forward, callback) gets 403, "
            "as on the case page; another department's case's clock is 404.")

PATHS.update({
    "/tickets/{number}/clocks": {"get": {
        "operationId": "listCaseClocks",
        "summary": "A case's legal clocks (办理时限)" + " (operators, supervisors, and department users on their own "
                   "department's cases)",
        "description": "As the case page's time limits panel: every clock, oldest first, with its pauses; and for "
                       "a case not yet decided whose accept clock has not started, the acceptance deadline counted "
                       "from receipt (`acceptance_pending`). Labels in the language of Accept-Language, else the "
                       "token user's own, else Chinese.",
        "parameters": [{"name": "number", "in": "path", "required": True,
                        "schema": {"type": "string", "maxLength": 64}, "description": "the case number"}],
        "responses": {
            "200": {**json_content(obj({
                "number": STRING,
                "items": {"type": "array", "items": ref("Clock")},
                "acceptance_pending": {"oneOf": [obj({
                    "kind": {"type": "string", "const": ClockKind.ACCEPT.value},
                    "kind_label": LABEL,
                    "due_at": MOMENT,
                    "estimated": {"type": "boolean"},
                }), {"type": "null"}], "description": "the acceptance deadline before its clock starts, else null"},
            }), "the case's clocks"), "headers": CONTENT_LANGUAGE},
            "404": CASE_NOT_FOUND,
            **AUTH,
        },
    }},
    "/clocks/{clock_id}/pause": {"post": {
        "operationId": "pauseClock",
        "summary": "Pause a running clock, with the reason (testing, appraisal)" + CLOCK_ROLES,
        "description": "As the case page's pause: the clock stops counting and the case's history records "
                       "clock_paused with the reason." + REFUSALS,
        "parameters": [CLOCK_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": obj({
            "reason": {"type": "string", "minLength": 1, "maxLength": MAX_PAUSE_REASON,
                       "description": "why the time does not count"},
        })}}},
        "responses": {
            "200": CHANGED,
            "400": response_ref("BadRequest"),
            "409": json_content(ref("Error"), "only a running clock is paused (this one is paused, met or "
                                              "cancelled)"),
            "422": response_ref("ValidationFailed"),
            **CLOCK_ERRORS,
        },
    }},
    "/clocks/{clock_id}/resume": {"post": {
        "operationId": "resumeClock",
        "summary": "Resume a paused clock" + CLOCK_ROLES,
        "description": "As the case page's resume: the clock counts again and its due day moves later by the days "
                       "the pause covered (working or calendar days, as the clock counts); the history records "
                       "clock_resumed. No body, or an empty JSON object." + REFUSALS,
        "parameters": [CLOCK_ID],
        "requestBody": {"required": False, "content": {"application/json": {"schema": obj({})}}},
        "responses": {
            "200": CHANGED,
            "400": response_ref("BadRequest"),
            "409": json_content(ref("Error"), "only a paused clock is resumed (this one is running, met or "
                                              "cancelled)"),
            "422": response_ref("ValidationFailed"),
            **CLOCK_ERRORS,
        },
    }},
})
SCHEMAS = {"CallbackVisit": VISIT, "CallbackVisitCall": VISIT_CALL, "Clock": CLOCK}

# --- the working-day calendar (followup/api.py; the console's /followup/calendar) --------------------

SUPERVISORS = " (supervisors)"
CALENDAR_DAY = obj({
    "day": {"type": "string", "format": "date"},
    "working": {"type": "boolean"},
    "name": {**MAYBE_STRING, "description": "e.g. 国庆节, 调休上班"},
    "source": {**STRING, "description": "chinese_calendar or holidays (a package), manual (a supervisor)"},
    "official": {"type": "boolean", "description": "false when computed by rule without the official schedule"},
})
PATHS.update({
    "/calendar": {"get": {
        "operationId": "getCalendarMonth",
        "summary": "One month of the working-day calendar the legal clocks count by" + SUPERVISORS,
        "parameters": [{"name": "month", "in": "query", "required": False,
                        "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                        "description": f"YYYY-MM, {MIN_YEAR} to {MAX_YEAR}; default: this month"}],
        "responses": {
            "200": json_content(obj({
                "month": STRING,
                "days": {"type": "array", "items": ref("CalendarDay"),
                         "description": "the days the calendar has, by date; a missing day is counted as estimated"},
                "warnings": {"type": "array", "description": "stretches of the next 60 days without official data",
                             "items": obj({"first_day": {"type": "string", "format": "date"},
                                           "last_day": {"type": "string", "format": "date"},
                                           "missing": {"type": "boolean",
                                                       "description": "true: no data; false: computed by rule"}})},
            }), "the month"),
            "422": response_ref("ValidationFailed"), **AUTH,
        },
    }},
    "/calendar/{day}": {"put": {
        "operationId": "setCalendarDay",
        "summary": "Correct one day of the working-day calendar" + SUPERVISORS,
        "description": "As the calendar page: the day becomes official and manual (audited calendar_day_set), and "
                       "the open working-day clocks spanning it are recounted (each move in its case's history).",
        "parameters": [{"name": "day", "in": "path", "required": True, "schema": {"type": "string", "format": "date"},
                        "description": "YYYY-MM-DD"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": obj({
            "working": {"type": "boolean", "description": "true: a working day (e.g. a make-up weekend); false: "
                                                          "a day off"},
            "name": {"type": ["string", "null"], "maxLength": MAX_DAY_NAME},
        }, required=["working"])}}},
        "responses": {
            "200": json_content(obj({
                "day": ref("CalendarDay"),
                "recounted": {"type": "array", "description": "the clocks whose due moment moved",
                              "items": obj({"clock_id": {"type": "integer"}, "number": STRING,
                                            "kind": KIND, "due_at": MOMENT})},
            }), "the day as saved, and the clocks recounted"),
            "400": response_ref("BadRequest"), "404": json_content(ref("Error"), "not a date"),
            "422": response_ref("ValidationFailed"), **AUTH,
        },
    }},
})
SCHEMAS["CalendarDay"] = CALENDAR_DAY
