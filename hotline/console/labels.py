"""Display names for the stored enum values, translated at render time.

Registered as Jinja filters by the console blueprint (`status_label`, `kind_label`,
`channel_label`, `role_label`, `availability_label`, `direction_label`, `event_label`,
`field_label`), so every feature's templates can reuse them.
"""

import re

from flask_babel import lazy_gettext as _l

from hotline.models import Availability, Channel, Direction, Role, TicketKind, TicketStatus

STATUS = {
    TicketStatus.NEW: _l("New"),
    TicketStatus.ACCEPTED: _l("Accepted"),
    TicketStatus.REJECTED: _l("Not accepted"),
    TicketStatus.FORWARDED: _l("Forwarded"),
    TicketStatus.IN_PROGRESS: _l("In progress"),
    TicketStatus.RESOLVED: _l("Resolved"),
    TicketStatus.ANSWERED: _l("Answered"),
    TicketStatus.REFERRED: _l("Referred"),
    TicketStatus.CLOSED: _l("Closed"),
}
KIND = {
    TicketKind.UNKNOWN: _l("Unclassified"),
    TicketKind.COMPLAINT: _l("Complaint"),
    TicketKind.REPORT: _l("Report"),
    TicketKind.CONSULTATION: _l("Consultation"),
}
CHANNEL = {
    Channel.VOICE: _l("Phone call"),
    Channel.SMS: _l("SMS"),
    Channel.WEB: _l("Web"),
    Channel.API: _l("API"),
    Channel.OPEN311: _l("Open311"),
}
ROLE = {
    Role.OPERATOR: _l("Operator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.DEPARTMENT: _l("Department staff"),
    Role.ADMIN: _l("Administrator"),
}
AVAILABILITY = {
    Availability.AVAILABLE: _l("Available"),
    Availability.BUSY: _l("Busy"),
    Availability.AWAY: _l("Away"),
}
DIRECTION = {Direction.INBOUND: _l("Inbound"), Direction.OUTBOUND: _l("Outbound")}
# TicketEvent.type values written by the core services; other types show as stored.
EVENT = {
    "created": _l("Case opened"),
    "status": _l("Status changed"),
    "field": _l("Field changed"),
    "note": _l("Note"),
    "contact": _l("Contact"),
    "voicemail": _l("Voicemail"),
    "callback_requested": _l("Call back requested"),
    "callback_done": _l("Callback done"),
    "sms_reply": _l("SMS reply"),
    "kb_answer": _l("Answered with a knowledge article"),
    "split": _l("Split into a complaint and a report"),
    "evidence_added": _l("Evidence added"),
    "otp_sent": _l("Verification code sent"),
    "otp_verified": _l("Phone number verified"),
    "otp_locked": _l("Verification code locked"),
    "notice": _l("Notice sent"),
    "duplicate_of": _l("Linked as a duplicate"),
    "routing_suggested": _l("Department suggested"),
    "routing_triage": _l("Sent to the triage queue"),
    "forwarded": _l("Forwarded to a department"),
    "taken_up": _l("Taken up by the department"),
    "returned": _l("Returned to the hotline"),
    "mediation_step": _l("Mediation step"),
    "result": _l("Result recorded"),
    "result_notice": _l("Result notice sent"),
    "referred": _l("Referred elsewhere"),
    "call_transferred": _l("Call transferred"),
    "appeal_opened": _l("Appeal opened"),
    "clock_started": _l("Time limit started"),
    "clock_met": _l("Time limit met"),
    "clock_warned": _l("Time limit due soon"),
    "clock_overdue": _l("Time limit overdue"),
    "clock_paused": _l("Time limit paused"),
    "clock_resumed": _l("Time limit resumed"),
    "clock_cancelled": _l("Time limit cancelled"),
    "clock_rescheduled": _l("Time limit recounted"),
    "callback_scheduled": _l("Callback visit scheduled"),
    "callback_call": _l("Callback call placed"),
    "callback_attempt": _l("Callback visit outcome"),
    "callback_rescheduled": _l("Callback visit moved to another try"),
    "callback_unreachable": _l("Complainant unreachable"),
    "callback_cancelled": _l("Callback visit cancelled"),
    "callback_voice_survey": _l("Survey by voice"),
    "survey_created": _l("Survey scheduled"),
    "survey_sent": _l("Survey sent"),
    "survey_suppressed": _l("Survey not sent (opted out)"),
    "survey_clarified": _l("Survey: asked to reply again"),
    "survey_answered": _l("Survey answered"),
    "survey_unanswered": _l("Survey unanswered"),
}
IDENTITY_LEVEL = {
    "none": _l("Not verified"),
    "caller_id": _l("Calling number"),
    "otp": _l("Verified by code"),
}
FIELD = {
    "status": _l("Status"),
    "kind": _l("Kind"),
    "summary": _l("Summary"),
    "facts": _l("Facts"),
    "demand": _l("Demand"),
    "amount": _l("Amount"),
    "respondent_name": _l("Respondent"),
    "respondent_address": _l("Respondent address"),
    "respondent_region": _l("Respondent region"),
    "respondent_division": _l("Respondent's division"),
    "category_id": _l("Category"),
    "problem_type_id": _l("Problem type"),
    "department_id": _l("Department"),
    # The case's owner is the hotline's operator (接线员), as the case details call it; 承办 is the
    # department's word (承办部门), a different role (docs/DECISIONS.md).
    "assigned_to_id": _l("Operator"),
    "identity_level": _l("Identity check"),
    "complainant_name": _l("Complainant name"),
    "complainant_phone": _l("Complainant phone"),
    "complainant_address": _l("Complainant address"),
    "purchase_date": _l("Purchase date"),
    "platform": _l("Platform"),
    "seller": _l("Seller"),
    "order_number": _l("Order number"),
    "answer": _l("Answer to the consultation"),
    "answers": _l("Answers to the category's questions"),
    "anonymous": _l("Anonymous"),
    "confidential": _l("Confidential"),
    "id_number_masked": _l("ID number"),
    "reject_ground": _l("Ground for not accepting"),
    "reject_reason": _l("Why not accepted"),
    "forward_instructions": _l("Instructions to the department"),
    "referral_id": _l("Referred to"),
}
# SMS purposes (OutboxMessage.purpose), as the senders name them.
PURPOSE = {
    "accept_notice": _l("Acceptance notice"),
    "reject_notice": _l("Non-acceptance notice"),
    "ack": _l("Receipt of a text"),
    "status": _l("Answer to a status query"),
    "reply": _l("Reply from the hotline"),
    "otp": _l("Verification code"),
    "optout": _l("Unsubscribe confirmation"),
    "optin": _l("Subscribe confirmation"),
    "referral": _l("Referral notice"),
    "appeal": _l("Appeal received"),
    "result_notice": _l("Result notice"),
    "forwarded": _l("Forwarding notice"),
    "survey": _l("Satisfaction survey"),
    "survey_reply": _l("Answer to a survey reply"),
    "clock_overdue": _l("Overdue reminder"),
    "kb_answer": _l("Answer from the knowledge base"),
}
# Twilio's call states and the queue's own outcomes (Contact.status, queue_result, end_reason).
CALL_STATE = {
    "queued": _l("Queued"),
    "initiated": _l("Dialling"),
    "ringing": _l("Ringing"),
    "in-progress": _l("In the call"),
    "answered": _l("Answered"),
    "completed": _l("Call ended"),
    "busy": _l("Line busy"),
    "failed": _l("Call failed"),
    "no-answer": _l("No answer"),
    "canceled": _l("Call cancelled"),
    "bridged": _l("Put through to an operator"),
    "hangup": _l("Hung up in the queue"),
    "blocked": _l("Blocked number"),
    "voicemail": _l("Left a voicemail"),
    "callback": _l("Asked to be called back"),
    # SMS delivery states on a text
    "received": _l("Text received"),
    "accepted": _l("Accepted by Twilio"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "read": _l("Read"),
}
# Reasons the services write on an event (a person's own words show as typed).
REASON = {
    "voice menu": _l("chosen in the voice menu"),
    "answered the call": _l("answered the call"),
    "answered on the spot": _l("answered on the spot"),
    "reclassified as a consultation": _l("reclassified as a consultation"),
    "complaint and report": _l("a complaint and a report in one"),
    "referred": _l("referred elsewhere"),
    "appeal": _l("appeal"),
    "handled": _l("case handled"),
    "low_score": _l("low survey score"),
    "callback visit: satisfied": _l("callback visit: satisfied"),
    "tries used": _l("all tries used"),
}
# Scheduler jobs the core runs (features add theirs with templating.add_labels(app, "job", ...)).
JOB = {
    "outbox-dispatch": _l("Send queued SMS"),
    "webhook-dispatch": _l("Deliver outbound webhooks"),
    "daily-figures": _l("Roll up the day's call figures"),
}
# Which code table an event's to_value is in, by event type (the rest are words or dates).
EVENT_VALUE = {
    "callback_attempt": "callback", "callback_done": "callback", "callback_unreachable": "callback",
    "callback_cancelled": "callback", "result": "result", "appeal_opened": "appeal_target",
    "survey_created": "survey", "survey_sent": "survey", "survey_suppressed": "survey",
    "survey_unanswered": "survey", "survey_clarified": "survey", "returned": "return_reason",
}
# Events whose to_value is an identifier (a Twilio Call SID): behind a <details> toggle.
IDENTIFIER_EVENTS = frozenset({"callback_call"})
CODED = {"purpose": PURPOSE, "call_state": CALL_STATE, "reason": REASON, "job": JOB}
TABLES = {
    "status_label": STATUS,
    "kind_label": KIND,
    "channel_label": CHANNEL,
    "role_label": ROLE,
    "availability_label": AVAILABILITY,
    "direction_label": DIRECTION,
    "event_label": EVENT,
    "field_label": FIELD,
}


def label(table, value):
    """The translated name of `value` in `table`, or the value itself when unknown."""
    if value is None:
        return ""
    found = table.get(value)
    return str(found) if found is not None else str(getattr(value, "value", value))


RULE_VERSION = re.compile(r"^(.+) \(v(\d+)\)$")


def reason(value):
    """A reason as people read it: known codes by name, `case <status>` and `calendar <day>`
    spelled out, anything else (an operator's own words, a rule's name) as typed."""
    if value in REASON:
        return str(REASON[value])
    head, _, rest = (value or "").partition(" ")
    if head == "case" and rest in STATUS:
        return str(_l("case is now %(status)s", status=STATUS[rest]))
    if head == "calendar" and rest:
        return str(_l("working-day calendar changed for %(day)s", day=rest))
    rule = RULE_VERSION.match(value or "")
    if rule:  # routing stores a rule as "name (vN)" (routing.services._rule_label)
        return str(_l("%(rule)s (version %(version)s)", rule=rule[1], version=rule[2]))
    return value or ""


def choices(table):
    """(value, label) pairs for a select box, in the table's order."""
    return [(getattr(key, "value", key), str(text)) for key, text in table.items()]

