"""Who sees a full phone number and who filed a case. The decision is here; views only ask."""

from hotline import phones
from hotline.models import Role, TicketKind

# Operators and supervisors talk to callers and may reveal a number (audited).
# Department staff may for their own department's complaints, where mediation needs it.
# Admins manage accounts and never need a caller's number.
REVEAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


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
    """Whether `user` may see who filed `ticket` (name, phone, address, the calling number)."""
    if user.role in CONFIDENTIAL_ROLES:
        return True
    if ticket.confidential:
        return False
    if ticket.kind == TicketKind.REPORT:
        # A named reporter's identity never leaves the hotline's own case handling.
        return False
    if user.role == Role.DEPARTMENT:
        # A complainant's identity reaches the department mediating their case, no other.
        return ticket.department_id is not None and ticket.department_id == user.department_id
    return True


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


def history_values(user, ticket, event):
    """event_values for `user` looking at `ticket`'s history in the console."""
    return event_values(event, can_see_identity(user, ticket), user.role in CONFIDENTIAL_ROLES)
