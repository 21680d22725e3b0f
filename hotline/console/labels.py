"""Display names for the stored enum values, translated at render time.

Registered as Jinja filters by the console blueprint (`status_label`, `kind_label`,
`channel_label`, `role_label`, `availability_label`, `direction_label`, `event_label`,
`field_label`), so every feature's templates can reuse them.
"""

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
    "assigned_to_id": _l("Assigned to"),
    "identity_level": _l("Identity check"),
    "complainant_name": _l("Complainant name"),
    "complainant_phone": _l("Complainant phone"),
    "complainant_address": _l("Complainant address"),
    "purchase_date": _l("Purchase date"),
    "platform": _l("Platform"),
    "seller": _l("Seller"),
    "order_number": _l("Order number"),
    "answer": _l("Answer to the consultation"),
    "anonymous": _l("Anonymous"),
    "confidential": _l("Confidential"),
}
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


def choices(table):
    """(value, label) pairs for a select box, in the table's order."""
    return [(getattr(key, "value", key), str(text)) for key, text in table.items()]

