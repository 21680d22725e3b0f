"""Who may see and reach what: the one access module. Views and services ask; none decides.

- which cases a user may see (`department_scope`, `visible`, `get_ticket`);
- who may see who filed a case and its full phone number (`can_see_identity`,
  `can_reveal_phone`, and what a case's history may show);
- whom a case's texts and notices go to (`notice_phone`);
- who is shown a call's Twilio id (`sees_call_references`).
"""

from flask import current_app
from sqlalchemy import and_, false, select, true
from sqlalchemy.orm import selectinload

from hotline import phones
from hotline.extensions import db
from hotline.models import Role, Ticket, TicketKind
from hotline.search import CASE_NUMBER, filter_tickets

# --- which cases a user may see ------------------------------------------------------------

# What a case page and a case's API answer show, loaded with it (one query per relation).
CASE_RELATIONS = (
    selectinload(Ticket.caller),
    selectinload(Ticket.category),
    selectinload(Ticket.problem_type),
    selectinload(Ticket.department),
    selectinload(Ticket.assigned_to),
)


# Admins manage accounts, departments and settings; they see no case (issue 13).
CASE_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT})


def department_scope(user):
    """The department a user is confined to, or None for roles that see every case."""
    if user.role != Role.DEPARTMENT:
        return None
    # A department account without a department sees nothing rather than everything.
    return user.department_id or -1


def visible(stmt, user):
    """Restrict a SELECT of tickets to what `user` may see."""
    if user.role not in CASE_ROLES:
        return stmt.where(false())
    scope = department_scope(user)
    return stmt if scope is None else stmt.where(Ticket.department_id == scope)


def matching(flt, user):
    """The SELECT of the cases `user` may see that match a search.TicketFilter (console search,
    the API's list). A search by phone number, or its last digits, finds only the cases whose
    filer `user` may know: a department never learns that a confidential or anonymous report,
    or any report, exists for a number."""
    # The summary holds an SMS caller's own words: only searched where the reader may know the filer.
    stmt = visible(filter_tickets(flt, summary_where=identity_known(user)), user)
    return stmt.where(identity_known(user)) if flt.phone else stmt


def get_ticket(number, user):
    """The case with this number if `user` may see it, else None (so its existence stays hidden)."""
    if not CASE_NUMBER.match(number or ""):
        return None
    stmt = select(Ticket).where(Ticket.number == number).options(*CASE_RELATIONS)
    return db.session.scalar(visible(stmt, user))


def other_cases(ticket, user, limit=20):
    """The same caller's other cases that `user` may see, newest first: none unless `user` may
    know who filed this one, and of the others only those whose filer `user` may know (a
    complainant's reports never appear beside their complaint on a department's screen)."""
    if ticket.caller_id is None or not can_see_identity(user, ticket):
        return []
    stmt = (
        select(Ticket)
        .where(Ticket.caller_id == ticket.caller_id, Ticket.id != ticket.id, identity_known(user))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(visible(stmt, user)))


# --- who filed it: identity and phone numbers --------------------------------------------

# Operators and supervisors talk to callers and may reveal a number (audited).
# Department staff may for their own department's complaints, where mediation needs it.
# Admins manage accounts and never need a caller's number.
REVEAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def revealable_phones(ticket):
    """The case's numbers an audited reveal shows in full: {"caller": the number that called,
    "complainant": the complainant's own (typed on the form, or sent through the API) when it is
    another}; {} when it has neither. Who may see them: can_reveal_phone."""
    found = {}
    if ticket.caller is not None and ticket.caller.phone:
        found["caller"] = ticket.caller.phone
    own = ticket.complainant_phone
    if own and not ticket.anonymous and own != found.get("caller"):
        found["complainant"] = own
    return found


def can_reveal_phone(user, ticket=None):
    """Whether `user` may see the full number of `ticket`'s caller (or of callers in general)."""
    if ticket is not None and not can_see_identity(user, ticket):
        return False
    if user.role in REVEAL_ROLES:
        return True
    if user.role == Role.DEPARTMENT and ticket is not None:
        return ticket.department_id is not None and ticket.department_id == user.department_id
    return False


# Ticket fields that say who the complainant or reporter is.
IDENTITY_FIELDS = frozenset({"complainant_name", "complainant_phone", "complainant_address", "id_number_masked"})
# Only the hotline's intake staff and supervisors may know who a confidential reporter is.
CONFIDENTIAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def can_see_identity(user, ticket):
    """Whether `user` may see who filed `ticket` (name, phone, address, the calling number).
    identity_known is the same rule as a WHERE clause: change both together."""
    if user.role in CONFIDENTIAL_ROLES:
        return True
    if user.role not in CASE_ROLES:
        return False
    if ticket.confidential or ticket.anonymous:
        return False
    if ticket.kind == TicketKind.REPORT:
        # A named reporter's identity never leaves the hotline's own case handling.
        return False
    # A complainant's identity reaches the department mediating their case, no other.
    return ticket.department_id is not None and ticket.department_id == department_scope(user)


def shown_summary(user, ticket):
    """The case's one-line summary as `user` may read it. An SMS case's summary is the caller's
    first text in their own words ("我是王五，电话…"), so a reader who may not know who filed the
    case gets the start of the facts instead: what the operator wrote for the department."""
    return summary_for(ticket, can_see_identity(user, ticket))


def knows_new_callers(user):
    """can_see_identity for the cases and calls the hotline has not forwarded yet (the live
    queue's waiting calls and new SMS cases): the panel is rendered once per role, not per case."""
    return user.role in CONFIDENTIAL_ROLES


def summary_for(ticket, may_know_filer):
    """shown_summary for a reader who may (or may not) know who filed the case (the API's
    stricter api_shows_identity decides there)."""
    if ticket.summary and may_know_filer:
        return ticket.summary
    return (ticket.facts or "")[:60] or None


def shows_callers_words(user, ticket):
    """Whether `user` may read the texts the caller sent on `ticket` (its SMS contacts' bodies):
    the same rule as who filed it, for the same reason as shown_summary."""
    return can_see_identity(user, ticket)


def sees_call_references(user):
    """Whether `user` is shown a call's Twilio id (CallSid): the hotline's own reference for
    troubleshooting with Twilio, not a department's (it names the call, so the caller's line)."""
    return user.role in CONFIDENTIAL_ROLES


def identity_known(user):
    """can_see_identity as a SQL condition on Ticket, for lookups by who filed a case."""
    if user.role in CONFIDENTIAL_ROLES:
        return true()
    if user.role not in CASE_ROLES:
        return false()
    return and_(Ticket.confidential.is_(False), Ticket.anonymous.is_(False), Ticket.kind != TicketKind.REPORT,
                Ticket.department_id == department_scope(user))


def shown_change(field, value, may_see_identity):
    """A field change's value as a history view may show it: identity hidden (None) unless
    allowed, phone numbers masked (revealing a full number is a separate, audited step)."""
    if field not in IDENTITY_FIELDS or value is None:
        return value
    if not may_see_identity:
        return None
    return phones.mask(value) if field == "complainant_phone" else value


# History lines that name another case of the same person (the report split off a complaint).
LINK_EVENTS = frozenset({"split"})


def event_values(event, may_see_identity, may_see_links):
    """(from, to) of a history line as a view may show them; None where withheld."""
    if event.type in LINK_EVENTS and not may_see_links:
        return None, None
    return (shown_change(event.field, event.from_value, may_see_identity),
            shown_change(event.field, event.to_value, may_see_identity))


def may_see_links(user):
    """Whether `user` may see which other case a case was split into (the same person's)."""
    return user.role in CONFIDENTIAL_ROLES


def history_values(user, ticket, event):
    """event_values for `user` looking at `ticket`'s history in the console."""
    return event_values(event, can_see_identity(user, ticket), may_see_links(user))


def api_shows_identity(user, ticket):
    """Who filed the case, for an API reader: as can_see_identity says, except that a confidential
    reporter's identity never leaves through the API, whoever asks."""
    return can_see_identity(user, ticket) and not ticket.confidential


# --- whom the case's texts and notices go to -------------------------------------------------


def reachable_phone(ticket):
    """The complainant's number from the form, else the number that called, in E.164; the first
    that reads as a phone number, or None."""
    region = current_app.config["DEFAULT_PHONE_REGION"]
    for raw in (ticket.complainant_phone, ticket.caller.phone if ticket.caller else None):
        try:
            return phones.normalise(raw, region)
        except phones.InvalidPhone:
            continue
    return None


def notice_phone(ticket):
    """Where the case's texts and notices go (acceptance, forwarding, results, the survey) and
    whom a callback visit calls: reachable_phone, except never for an anonymous case, which
    keeps nobody to tell."""
    if ticket.anonymous:
        return None
    return reachable_phone(ticket)
