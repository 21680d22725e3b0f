"""API services: scoped ticket queries and creating a case from another channel."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hotline import access, tickets
from hotline.api.schemas import parse_new_ticket
from hotline.extensions import db
from hotline.models import Category, CategoryGroup, Channel, Contact, Ticket, TicketEvent, TicketKind
from hotline.rest import ValidationFailed

# Everything a list item shows, loaded in one query per relation rather than one per row.
TICKET_RELATIONS = (
    selectinload(Ticket.caller),
    selectinload(Ticket.category),
    selectinload(Ticket.problem_type),
    selectinload(Ticket.department),
)
TICKET_FIELDS = (
    "category", "problem_type", "facts", "demand", "amount",
    "respondent_name", "respondent_address", "respondent_region",
)
CATEGORY_GROUPS = {
    "category": (CategoryGroup.GOODS, CategoryGroup.SERVICES),
    "problem_type": (CategoryGroup.PROBLEM,),
}


# Counting every match of a word search means reading every case; past this many the
# list says "more than" instead (the page itself stops at its limit).
COUNT_CAP = 1000


def list_tickets(flt, page, per_page, user):
    """One page of the tickets `user` may see that match `flt`, how many match (up to
    COUNT_CAP), and whether there are more than that."""
    stmt = access.matching(flt, user)
    capped = stmt.order_by(None).limit(COUNT_CAP + 1).subquery()
    counted = db.session.scalar(select(func.count()).select_from(capped))
    page_stmt = stmt.options(*TICKET_RELATIONS).limit(per_page).offset((page - 1) * per_page)
    return db.session.scalars(page_stmt).all(), min(counted, COUNT_CAP), counted > COUNT_CAP


def ticket_history(ticket):
    """The ticket's events (with their actors) and contacts, oldest first."""
    events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        .options(selectinload(TicketEvent.actor)).order_by(TicketEvent.id)
    ).all()
    contacts = db.session.scalars(
        select(Contact).where(Contact.ticket_id == ticket.id).order_by(Contact.id)
    ).all()
    return events, contacts


def _category(code, groups):
    return db.session.scalar(
        select(Category).where(Category.code == code, Category.group.in_(groups), Category.active.is_(True))
    )


def validate_new_ticket(body, phone_region):
    """A create request's clean values with categories looked up, or ValidationFailed naming every bad field."""
    clean, errors = parse_new_ticket(body, phone_region)
    for field, groups in CATEGORY_GROUPS.items():
        if clean.get(field) and field not in errors:
            clean[field] = _category(clean[field], groups)
            if clean[field] is None:
                errors[field] = "unknown code"
    if errors:
        raise ValidationFailed(errors, "invalid fields: " + ", ".join(sorted(errors)))
    return clean


def create_ticket(clean, actor):
    """Open a case from validated values; the caller's name and address are filled in if not yet known."""
    caller = tickets.find_or_create_caller(clean["phone"])
    caller.name = caller.name or clean.get("name")
    caller.address = caller.address or clean.get("address")
    fields = {name: clean[name] for name in TICKET_FIELDS if clean.get(name) is not None}
    return tickets.open_ticket(
        Channel(clean["channel"]), caller=caller, actor=actor, kind=TicketKind(clean["kind"]), **fields
    )
