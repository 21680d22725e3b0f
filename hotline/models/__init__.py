"""The schema. Features own behaviour; the core owns the tables."""

from hotline.models.audit import AuditLog
from hotline.models.calls import Contact, Direction
from hotline.models.directory import Category, CategoryGroup, Department
from hotline.models.intake import SuggestionRule, SuggestionTarget
from hotline.models.messages import OutboxChannel, OutboxMessage, OutboxStatus
from hotline.models.people import ApiToken, Availability, Caller, Role, User
from hotline.models.tickets import (
    OPEN_STATUSES,
    TRANSITIONS,
    AppendOnlyError,
    CaseCounter,
    Channel,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "TRANSITIONS",
    "ApiToken",
    "AppendOnlyError",
    "AuditLog",
    "Availability",
    "CaseCounter",
    "Caller",
    "Category",
    "CategoryGroup",
    "Channel",
    "Contact",
    "Department",
    "Direction",
    "OutboxChannel",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "SuggestionRule",
    "SuggestionTarget",
    "Ticket",
    "TicketEvent",
    "TicketKind",
    "TicketStatus",
    "User",
]
