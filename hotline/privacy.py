"""Who sees a full phone number. The decision is here; views only ask."""

from hotline.models import Role

# Operators and supervisors talk to callers and may reveal a number (audited).
# Department staff may for their own department's complaints, where mediation needs it.
# Admins manage accounts and never need a caller's number.
REVEAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def can_reveal_phone(user, ticket=None):
    """Whether `user` may see the full number of `ticket`'s caller (or of callers in general)."""
    if user.role in REVEAL_ROLES:
        return True
    if user.role == Role.DEPARTMENT and ticket is not None:
        return ticket.department_id is not None and ticket.department_id == user.department_id
    return False
