"""The schema. Features own behaviour; the core owns the tables."""

from hotline.models.audit import AuditLog
from hotline.models.calls import Contact, Direction
from hotline.models.directory import Category, CategoryGroup, Department, department_categories
from hotline.models.figures import DailyFigure
from hotline.models.followup import (
    CalendarDay,
    Clock,
    ClockKind,
    ClockPause,
    ClockState,
    FollowUp,
    FollowUpAttempt,
    FollowUpStatus,
    JobRun,
    Survey,
    SurveyStatus,
)
from hotline.models.intake import (
    Evidence,
    IdentityLevel,
    IntakeDraft,
    OtpChallenge,
    RejectGround,
    SuggestionRule,
    SuggestionTarget,
)
from hotline.models.interop import Open311Key, Open311Request, WebhookEndpoint
from hotline.models.messages import OutboxChannel, OutboxMessage, OutboxStatus
from hotline.models.people import ApiToken, Availability, Caller, Role, User
from hotline.models.routing import Appeal, ReferralEntry, RoutingRule, RoutingRuleChange, RuleAction
from hotline.models.tickets import (
    OPEN_STATUSES,
    TRANSITIONS,
    AppendOnlyError,
    CaseCounter,
    CaseResult,
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
    "Appeal",
    "AppendOnlyError",
    "AuditLog",
    "Availability",
    "CalendarDay",
    "Caller",
    "CaseCounter",
    "CaseResult",
    "Category",
    "CategoryGroup",
    "Channel",
    "Clock",
    "ClockKind",
    "ClockPause",
    "ClockState",
    "Contact",
    "Department",
    "Direction",
    "Evidence",
    "DailyFigure",
    "FollowUp",
    "FollowUpAttempt",
    "FollowUpStatus",
    "IdentityLevel",
    "IntakeDraft",
    "JobRun",
    "Open311Key",
    "Open311Request",
    "OtpChallenge",
    "OutboxChannel",
    "OutboxMessage",
    "OutboxStatus",
    "ReferralEntry",
    "RejectGround",
    "Role",
    "RoutingRule",
    "RoutingRuleChange",
    "RuleAction",
    "SuggestionRule",
    "SuggestionTarget",
    "Survey",
    "SurveyStatus",
    "Ticket",
    "TicketEvent",
    "TicketKind",
    "TicketStatus",
    "User",
    "WebhookEndpoint",
    "department_categories",
]
