"""Keyword rules behind the suggested classification; supervisors edit them."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
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
