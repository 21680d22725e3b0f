"""Tickets (cases), their append-only history, and the case-number counter."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, created_at_column, enum_column
from hotline.models.intake import IdentityLevel, RejectGround


class TicketKind(enum.StrEnum):
    UNKNOWN = "unknown"  # opened by a call or SMS, not yet classified
    COMPLAINT = "complaint"
    REPORT = "report"
    CONSULTATION = "consultation"


class Channel(enum.StrEnum):
    VOICE = "voice"
    SMS = "sms"
    WEB = "web"
    API = "api"
    OPEN311 = "open311"


class CaseResult(enum.StrEnum):
    MEDIATED = "mediated"
    MEDIATION_FAILED = "mediation_failed"  # the consumer is told of court and arbitration
    TERMINATED = "terminated"
    CASE_OPENED = "case_opened"  # reports: an investigation was opened
    CASE_NOT_OPENED = "case_not_opened"


class TicketStatus(enum.StrEnum):
    NEW = "new"  # opened, intake not finished
    ACCEPTED = "accepted"  # 受理: in triage, waiting to be forwarded
    REJECTED = "rejected"  # 不予受理, with a ground
    FORWARDED = "forwarded"  # sent to a department, not yet taken up
    IN_PROGRESS = "in_progress"  # the department handles it (mediation, investigation)
    RESOLVED = "resolved"  # result recorded; callback visit and survey pending
    ANSWERED = "answered"  # a consultation answered on the spot
    REFERRED = "referred"  # out of scope, the caller was told where to go
    CLOSED = "closed"


# The only place that says which status may follow which. Returning a case to
# triage is FORWARDED/IN_PROGRESS -> ACCEPTED; an appeal reopens RESOLVED/CLOSED.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(
        {
            TicketStatus.ACCEPTED,
            TicketStatus.REJECTED,
            TicketStatus.ANSWERED,
            TicketStatus.REFERRED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.ACCEPTED: frozenset(
        {TicketStatus.FORWARDED, TicketStatus.REFERRED, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.FORWARDED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.ACCEPTED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED, TicketStatus.ACCEPTED}),
    TicketStatus.RESOLVED: frozenset(
        {TicketStatus.CLOSED, TicketStatus.FORWARDED, TicketStatus.ACCEPTED}
    ),
    TicketStatus.ANSWERED: frozenset({TicketStatus.CLOSED}),
    TicketStatus.REFERRED: frozenset({TicketStatus.CLOSED}),
    TicketStatus.REJECTED: frozenset({TicketStatus.CLOSED, TicketStatus.ACCEPTED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.ACCEPTED}),
}

OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.ACCEPTED,
        TicketStatus.FORWARDED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED,
    }
)


class Ticket(Timestamped, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_department_status", "department_id", "status"),
        Index("ix_tickets_caller_created", "caller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Human case number, e.g. 20261124-00042: local date plus a daily sequence.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[TicketStatus] = enum_column(TicketStatus, default=TicketStatus.NEW, index=True)
    kind: Mapped[TicketKind] = enum_column(TicketKind, default=TicketKind.UNKNOWN, index=True)
    channel: Mapped[Channel] = enum_column(Channel)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    problem_type_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    summary: Mapped[str | None] = mapped_column(String(200))
    facts: Mapped[str | None] = mapped_column(Text)
    demand: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    respondent_name: Mapped[str | None] = mapped_column(String(200), index=True)
    respondent_address: Mapped[str | None] = mapped_column(Text)
    respondent_region: Mapped[str | None] = mapped_column(String(100))  # the division's full name, for display
    # The business's administrative division (GB/T 2260: 110000 province, 110100 city, 110101
    # district): the most specific known, derived from its address or picked by the operator.
    respondent_division: Mapped[str | None] = mapped_column(String(6))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    # Intake: the purchase, e-commerce details, answers to category-specific questions.
    purchase_date: Mapped[date | None] = mapped_column(Date)
    platform: Mapped[str | None] = mapped_column(String(100))
    seller: Mapped[str | None] = mapped_column(String(200))
    order_number: Mapped[str | None] = mapped_column(String(100))
    answers: Mapped[dict | None] = mapped_column(JSON)
    answer: Mapped[str | None] = mapped_column(Text)  # a consultation answered on the spot
    # The complainant or named reporter as given on the form (may differ from the calling number).
    complainant_name: Mapped[str | None] = mapped_column(String(120))
    complainant_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    complainant_address: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # keyed hash only
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    identity_level: Mapped[IdentityLevel] = enum_column(IdentityLevel, default=IdentityLevel.NONE)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # A named reporter who asked that only intake staff and supervisors see who they are.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reject_ground: Mapped[RejectGround | None] = enum_column(RejectGround, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    linked_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))  # complaint <-> report
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    # Routing and results.
    routed_by_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id"))
    routed_rule_version: Mapped[int | None] = mapped_column(Integer)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral_entries.id"))
    forwarded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # 转办意见: what the hotline asks of the department with the current forward (shown first on
    # its desk); each forward's own text stays on its "forwarded" event.
    forward_instructions: Mapped[str | None] = mapped_column(Text)
    result: Mapped[CaseResult | None] = enum_column(CaseResult, nullable=True)
    result_detail: Mapped[dict | None] = mapped_column(JSON)  # refund, exchange, repair, amount...
    result_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    return_count: Mapped[int] = mapped_column(Integer, default=0)  # sent back to triage
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)  # appeals

    # Optimistic lock: two operators saving the same case cannot silently overwrite.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    caller = relationship("Caller", back_populates="tickets")
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    department = relationship("Department")
    category = relationship("Category", foreign_keys=[category_id])
    problem_type = relationship("Category", foreign_keys=[problem_type_id])
    evidence = relationship("Evidence", back_populates="ticket", order_by="Evidence.id")
    linked_ticket = relationship("Ticket", foreign_keys=[linked_ticket_id], remote_side=[id])
    duplicate_of = relationship("Ticket", foreign_keys=[duplicate_of_id], remote_side=[id])
    routed_by_rule = relationship("RoutingRule")
    referral = relationship("ReferralEntry")
    events = relationship(
        "TicketEvent", back_populates="ticket", order_by="TicketEvent.id", lazy="dynamic"
    )
    contacts = relationship(
        "Contact", back_populates="ticket", order_by="Contact.id", lazy="dynamic"
    )

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class TicketEvent(db.Model):
    """One line of a case's history. Never updated or deleted."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # status, field, note, contact, created, ... : what kind of thing happened
    type: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    from_value: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)

    ticket = relationship("Ticket", back_populates="events")
    actor = relationship("User")


class CaseCounter(db.Model):
    """Last sequence number handed out per local day; rows are only ever incremented,
    so a number is never reused even when its ticket is gone."""

    __tablename__ = "case_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False)


class AppendOnlyError(RuntimeError):
    pass


def _refuse_change(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


event.listen(TicketEvent, "before_update", _refuse_change)
event.listen(TicketEvent, "before_delete", _refuse_change)
