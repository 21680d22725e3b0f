"""Finding tickets: one filter used by the console's search and the API's list."""

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, or_, select, true, union
from sqlalchemy.orm import selectinload

from hotline import phones
from hotline.extensions import db
from hotline.models import Caller, Category, Department, Ticket, TicketKind, TicketStatus

CASE_NUMBER = re.compile(r"^\d{8}-\d{5}$")
PHONE_LIKE = re.compile(r"^\+?[\d\s\-]{4,20}$")


@dataclass
class TicketFilter:
    number: str | None = None
    status: list[TicketStatus] | None = None
    kind: TicketKind | None = None
    category: str | None = None  # a category code, e.g. G01
    department: str | None = None  # a department code
    department_id: int | None = None  # restricts department users to their own
    assigned_to_id: int | None = None
    phone: str | None = None  # a full number or its last digits
    text: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def parse_query(query):
    """Read one search box: a case number, a phone number (or its tail), or words."""
    query = (query or "").strip()
    if not query:
        return TicketFilter()
    if CASE_NUMBER.match(query):
        return TicketFilter(number=query)
    if PHONE_LIKE.match(query):
        return TicketFilter(phone=query)
    return TicketFilter(text=query)


def _like_escape(term):
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone_condition(phone):
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        # Full numbers are stored in E.164; match on the national tail so +86 or not both work.
        return Caller.phone.like("%" + digits[-11:])
    return Caller.phone.like("%" + digits)


def _given_number(phone):
    """A whole number typed in the search box in E.164 (as complainant_phone is stored), else None."""
    try:
        return phones.normalise(phone, current_app.config["DEFAULT_PHONE_REGION"])
    except phones.InvalidPhone:
        return None


def filter_tickets(f, summary_where=None):
    """A SELECT of tickets matching `f`, newest first. `summary_where`: a condition on Ticket
    under which the summary may be searched too (hotline.access decides; default: always)."""
    stmt = select(Ticket)
    if f.number:
        stmt = stmt.where(Ticket.number == f.number)
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
    if f.kind:
        stmt = stmt.where(Ticket.kind == f.kind)
    if f.category:
        stmt = stmt.join(Category, Ticket.category_id == Category.id).where(Category.code == f.category)
    if f.department:
        stmt = stmt.join(Department, Ticket.department_id == Department.id).where(Department.code == f.department)
    if f.department_id is not None:
        stmt = stmt.where(Ticket.department_id == f.department_id)
    if f.assigned_to_id is not None:
        stmt = stmt.where(Ticket.assigned_to_id == f.assigned_to_id)
    if f.phone:
        # Callers first, then their cases by the caller index: a join let SQLite walk every case
        # newest-first testing each one's caller against the number's tail.
        by_caller = Ticket.caller_id.in_(select(Caller.id).where(_phone_condition(f.phone)))
        given = _given_number(f.phone)
        # A whole number also finds the cases where it was given as the complainant's own (a web or
        # API case has no caller; a call made for someone else), by its index; a tail only callers.
        # A UNION of the two, not an OR: with OR PostgreSQL walked all 1M cases newest first
        # testing each against both (336 ms for one number; 56 ms so).
        if given:
            stmt = stmt.where(Ticket.id.in_(union(select(Ticket.id).where(by_caller),
                                                  select(Ticket.id).where(Ticket.complainant_phone == given))))
        else:
            stmt = stmt.where(by_caller)
    if f.text:
        pattern = "%" + _like_escape(f.text.strip()) + "%"
        stmt = stmt.where(
            or_(
                Ticket.facts.ilike(pattern, escape="\\"),
                # The complainant's name, as the summary, only where the reader may know who filed.
                and_(true() if summary_where is None else summary_where,
                     or_(Ticket.summary.ilike(pattern, escape="\\"),
                         Ticket.complainant_name.ilike(pattern, escape="\\"))),
                Ticket.respondent_name.ilike(pattern, escape="\\"),
            )
        )
    if f.created_from:
        stmt = stmt.where(Ticket.created_at >= f.created_from)
    if f.created_to:
        stmt = stmt.where(Ticket.created_at < f.created_to)
    return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())


# --- pages of tickets ----------------------------------------------------------------------

PAGE_SIZE = 50
# Everything a ticket row shows, loaded in one extra query per relation, never per row.
ROW_OPTIONS = (
    selectinload(Ticket.caller),
    selectinload(Ticket.category),
    selectinload(Ticket.department),
    selectinload(Ticket.assigned_to),
)


@dataclass
class Page:
    items: list
    page: int
    has_next: bool

    @property
    def has_prev(self):
        return self.page > 1


def paginate(stmt, page):
    """One page of `stmt`; fetching one row more than shown tells whether a next page exists."""
    page = max(page, 1)
    rows = list(db.session.scalars(stmt.options(*ROW_OPTIONS).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return Page(items=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)
