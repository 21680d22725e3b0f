"""Accepting a complaint or report (受理) or not (不予受理): the status, the clocks, the legally
required notice to the complainant, and handing an accepted case to routing."""

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from hotline import access, outbox, questions
from hotline.deadlines import clocks
from hotline.models import ClockKind, RejectGround, TicketKind, TicketStatus
from hotline.tickets import change_status, record_event, update_fields
from hotline.timeutil import local_today, now
from intake import texts
from routing import services as routing_services

DECIDABLE_KINDS = (TicketKind.COMPLAINT, TicketKind.REPORT)
# Telecom-service complaints go to 12300 only after the operator left them unanswered 15 days.
TELECOM_CATEGORY = "S04"
MAX_REJECT_REASON = 2000  # the reason for not accepting: the console's box and the API alike
COMPLAINT_FIELDS = (
    "complainant_name", "complainant_phone", "complainant_address",
    "respondent_name", "respondent_address", "facts", "demand",
)
# An online purchase is traced through its platform and the shop or the order number: the
# shop's street address is not needed (many have none a consumer can see); given, it suffices.
ONLINE_FIELDS = ("platform", "seller")  # "seller": the shop, or else the order number
# A report needs whom and what; a named reporter also a name and a number for the notices.
REPORT_FIELDS = ("respondent_name", "facts")
NAMED_REPORTER_FIELDS = ("complainant_name", "complainant_phone")


class DecisionRefused(ValueError):
    """The case cannot be decided as asked; nothing was changed. `missing`: fields to fill."""

    def __init__(self, why, missing=()):
        super().__init__(why if not missing else f"{why}: {', '.join(missing)}")
        self.why = why
        self.missing = tuple(missing)


# How the fields a decision may find missing are named to the operator (form and case page).
FIELD_LABELS = {
    "complainant_name": _l("Complainant name"),
    "complainant_phone": _l("Complainant phone"),
    "complainant_address": _l("Complainant address"),
    "respondent_name": _l("Respondent"),
    "respondent_address": _l("Respondent address"),
    "facts": _l("Facts"),
    "demand": _l("Demand"),
    "platform": _l("Platform"),
    "seller": _l("Shop or order number"),
}


def required_fields(ticket):
    """The fields that must be filled before the case can be accepted."""
    if ticket.kind == TicketKind.COMPLAINT:
        return complaint_fields(is_online(ticket.platform, ticket.seller, ticket.order_number),
                                bool((ticket.respondent_address or "").strip()))
    return REPORT_FIELDS + (() if ticket.anonymous else NAMED_REPORTER_FIELDS)


def is_online(platform, seller, order_number, ticked=False):
    """Whether a purchase was made online: said so, or a platform, shop or order number given."""
    return bool(ticked or any((value or "").strip() for value in (platform, seller, order_number)))


def complaint_fields(online, has_address=False):
    """What a complaint needs (DOMAIN.md): where the business is, by its street address or,
    bought online, by the platform and the shop or order number."""
    if not online or has_address:
        return COMPLAINT_FIELDS
    return tuple(f for f in COMPLAINT_FIELDS if f != "respondent_address") + ONLINE_FIELDS


def missing_fields(ticket):
    """Required fields still empty; the phone counts when the form's or the calling number is there."""
    missing = []
    for field in required_fields(ticket):
        if field == "complainant_phone":
            filled = access.reachable_phone(ticket) is not None
        elif field == "seller":
            filled = bool((ticket.seller or "").strip() or (ticket.order_number or "").strip())
        else:
            filled = bool((getattr(ticket, field) or "").strip())
        if not filled:
            missing.append(field)
    if ticket.kind == TicketKind.COMPLAINT:
        # The category's required questions (a telecom complaint: was the operator asked first?).
        answers = ticket.answers or {}
        missing += [ANSWER_PREFIX + q["code"] for q in questions.questions_for(ticket.category)
                    if q.get("required") and not str(answers.get(q["code"]) or "").strip()]
    return missing


ANSWER_PREFIX = "answers."


def missing_labels(ticket, missing=None):
    """missing_fields (or `missing`) as the operator reads them: field names, and the questions
    still to ask in the operator's language."""
    locale = str(get_locale())
    by_code = {q["code"]: q for q in questions.questions_for(ticket.category)}
    labels = []
    for name in missing_fields(ticket) if missing is None else missing:
        code = name.removeprefix(ANSWER_PREFIX)
        if name.startswith(ANSWER_PREFIX) and code in by_code:
            labels.append(questions.label(by_code[code], locale))
        else:
            labels.append(str(FIELD_LABELS.get(name, name)))
    return labels


def decidable(ticket):
    """Why the case cannot be accepted or rejected now, or None when it can."""
    if ticket.kind not in DECIDABLE_KINDS:
        return "kind"
    if ticket.status != TicketStatus.NEW:
        return "status"
    return None


def is_telecom(ticket):
    """Whether the case is about telecom services (the 15-day rule applies)."""
    return ticket.category is not None and ticket.category.code == TELECOM_CATEGORY


def accept_ticket(ticket, actor):
    """Accept the case: ACCEPTED, clocks moved on, notice queued, then routed."""
    why = decidable(ticket)
    if why:
        raise DecisionRefused(why)
    missing = missing_fields(ticket)
    if missing:
        raise DecisionRefused("missing", missing)
    moment = now()
    ticket.accepted_at = moment
    change_status(ticket, TicketStatus.ACCEPTED, actor)
    _move_clocks(ticket, moment, actor, accepted=True)
    day = local_today(current_app.config["HOTLINE_TIMEZONE"], moment)
    _notify(ticket, texts.accepted_text(ticket.kind, ticket.number, day), "accept_notice", actor)
    routing_services.route_accepted(ticket, actor)
    return ticket


def reject_ticket(ticket, ground, reason, actor):
    """Do not accept the case (不予受理) on one ground with a reason; the notice names the ground."""
    why = decidable(ticket)
    if why:
        raise DecisionRefused(why)
    try:
        ground = RejectGround(ground)
    except ValueError:
        raise DecisionRefused("ground") from None
    reason = (reason or "").strip()
    if not reason:
        raise DecisionRefused("reason")
    update_fields(ticket, {"reject_ground": ground, "reject_reason": reason}, actor)
    change_status(ticket, TicketStatus.REJECTED, actor, reason=reason)
    _move_clocks(ticket, now(), actor, accepted=False)
    _notify(ticket, texts.rejected_text(ticket.kind, ticket.number, ground), "reject_notice", actor)
    return ticket


def _move_clocks(ticket, moment, actor, accepted):
    """The decision meets the ACCEPT clock; acceptance starts FORWARD (and MEDIATION for complaints)."""
    clocks.stop_clock(ticket, ClockKind.ACCEPT, at=moment, actor=actor)
    if not accepted:
        return
    clocks.start_clock(ticket, ClockKind.FORWARD, start=moment, actor=actor)
    if ticket.kind == TicketKind.COMPLAINT:
        clocks.start_clock(ticket, ClockKind.MEDIATION, start=moment, actor=actor)


def _notify(ticket, body, purpose, actor):
    """Queue a legally required notice to the complainant (it ignores STOP) and note it on the timeline."""
    phone = access.notice_phone(ticket)
    if phone is None:
        return None
    message = outbox.queue_sms(phone, body, purpose, ticket=ticket, legal=True, actor=actor)
    record_event(ticket, "notice", actor, to_value=body, data={"outbox_id": message.id, "purpose": purpose})
    return message
