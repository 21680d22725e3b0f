"""Keyword rules behind the suggested classification; supervisors edit them."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import enum_column
from hotline.timeutil import now


class SuggestionTarget(enum.StrEnum):
    KIND = "kind"  # value: complaint / report / consultation
    CATEGORY = "category"  # value: a goods or services category code (G01, S03, ...)
    PROBLEM = "problem"  # value: a problem-type code (P01, ...)
    REFERRAL = "referral"  # value: a referral directory key (12333, 110, court, ...)


class SuggestionRule(db.Model):
    """One value of one target and the words (one per line) that point to it."""

    __tablename__ = "suggestion_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[SuggestionTarget] = enum_column(SuggestionTarget)
    value: Mapped[str] = mapped_column(String(32))
    keywords: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by = relationship("User")


class IdentityLevel(enum.StrEnum):
    """How sure the hotline is that the complainant is who they say (recorded on the case)."""

    NONE = "none"  # nothing checked (anonymous report, web form)
    CALLER_ID = "caller_id"  # the calling/texting number is the complainant's phone
    OTP = "otp"  # a one-time code sent to the phone given was read back


class RejectGround(enum.StrEnum):
    """Grounds for not accepting a complaint (不予受理), docs/DOMAIN.md."""

    OUT_OF_SCOPE = "out_of_scope"  # outside our duties or jurisdiction
    ALREADY_HANDLED = "already_handled"  # court, arbitrator, agency, association or mediator
    NOT_CONSUMPTION = "not_consumption"  # not personal consumption, or no provable dispute
    TIME_BARRED = "time_barred"  # over 3 years since the consumer knew of the harm
    INFORMATION_MISSING = "information_missing"
    FALSE_MATERIALS = "false_materials"  # or identity verification refused
    OTHER_LEGAL = "other_legal"


class Evidence(db.Model):
    """A file attached to a case (stored outside the web root under its content hash)
    or an MMS media link Twilio holds."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    url: Mapped[str | None] = mapped_column(String(500))  # MMS media: Twilio's URL
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    ticket = relationship("Ticket", back_populates="evidence")
    uploaded_by = relationship("User")


class OtpChallenge(db.Model):
    """A one-time code sent by SMS to verify a phone number (only its hash is kept)."""

    __tablename__ = "otp_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class IntakeDraft(db.Model):
    """What an operator has typed into the intake form but not submitted, saved as they type."""

    __tablename__ = "intake_drafts"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
