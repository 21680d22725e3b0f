"""Routing rules (versioned), the referral directory and appeals."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, created_at_column, enum_column
from hotline.models.tickets import TicketKind


class RuleAction(enum.StrEnum):
    AUTO = "auto"  # forward as soon as the case is accepted
    ASK = "ask"  # the operator confirms the forward with one click


class RoutingRule(Timestamped, db.Model):
    """One line of the ordered rule list: the first active rule whose conditions all match wins.
    Empty conditions match anything; no department means the triage queue."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[TicketKind | None] = enum_column(TicketKind, nullable=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    problem_type_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    region: Mapped[str | None] = mapped_column(String(100))  # the division's name (display; old text rules)
    # The respondent's division (GB/T 2260 code): the rule holds for it and every division inside.
    division: Mapped[str | None] = mapped_column(String(6))
    keywords: Mapped[str | None] = mapped_column(Text)  # one per line; any one matches
    respondent: Mapped[str | None] = mapped_column(String(200))  # part of the business's name
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    action: Mapped[RuleAction] = enum_column(RuleAction, default=RuleAction.AUTO)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department = relationship("Department")
    category = relationship("Category", foreign_keys=[category_id])
    problem_type = relationship("Category", foreign_keys=[problem_type_id])


class RoutingRuleChange(db.Model):
    """Who changed a rule, when, why, and what it was before and after. Never updated."""

    __tablename__ = "routing_rule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("routing_rules.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = created_at_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    rule = relationship("RoutingRule")
    user = relationship("User")


class ReferralEntry(Timestamped, db.Model):
    """Where an out-of-scope case belongs: an agency, its hotline, what to tell the caller."""

    __tablename__ = "referral_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # "12378", "110", "court", ...
    agency_zh: Mapped[str] = mapped_column(String(200))
    agency_en: Mapped[str] = mapped_column(String(200))
    hotline: Mapped[str | None] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(Text)
    caller_script: Mapped[str | None] = mapped_column(Text)  # spoken / read to the caller
    sms_text: Mapped[str | None] = mapped_column(Text)  # may use {number} for the case number
    transfer_number: Mapped[str | None] = mapped_column(String(32))  # E.164 for <Dial>
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def agency(self, locale):
        """The agency's name for a page in `locale`; the Chinese name where no English one was kept."""
        return self.agency_zh if str(locale).startswith("zh") else (self.agency_en or self.agency_zh)


class Appeal(db.Model):
    """A complainant's appeal against a result; it reopens the case with its own clock."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    channel: Mapped[str] = mapped_column(String(16))  # voice, sms, callback, console
    reason: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(16))  # department | supervisor
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(Text)

    ticket = relationship("Ticket")
