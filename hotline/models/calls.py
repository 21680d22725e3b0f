"""Contacts: one inbound or outbound call or SMS, with the facts the call-centre
figures are computed from (docs/DOMAIN.md, "Call-centre figures")."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, enum_column
from hotline.models.tickets import Channel


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Contact(Timestamped, db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_channel_created", "channel", "created_at"),
        Index("ix_contacts_answered_by", "answered_by_id", "answered_at"),
        # The live queue: voice calls not yet ended, by when they were queued.
        Index("ix_contacts_queue", "channel", "ended_at", "queued_at"),
        # The calls waiting now: PostgreSQL would not use ix_contacts_queue for them at 3M rows
        # (it takes "voice" and "not ended" as independent and expects 130,000 rows).
        Index(
            "ix_contacts_waiting",
            "queued_at",
            sqlite_where=text("channel = 'voice' AND ended_at IS NULL"),
            postgresql_where=text("channel = 'voice' AND ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Twilio's CallSid / MessageSid: a retried webhook finds its row instead of a new one.
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel: Mapped[Channel] = enum_column(Channel)
    direction: Mapped[Direction] = enum_column(Direction)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))  # Twilio's CallStatus / MessageStatus
    body: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list | None] = mapped_column(JSON)
    menu_choice: Mapped[str | None] = mapped_column(String(16))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # After-call work ends when the intake form is saved (AHT = talk + wrap-up).
    wrapup_ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What the operator picked when closing after-call work (hotline.calls.WRAPUP_REASONS).
    wrapup_reason: Mapped[str | None] = mapped_column(String(32))
    # On hold since (the caller hears the hold message, the operator's leg is dropped); None when
    # not held. hold_seconds: every hold of the call added up (hotline.calls.hold / resume).
    held_at: Mapped[datetime | None] = mapped_column(DateTime)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    # Inbound SMS: when the first reply (automatic or human) was queued; None = still waiting.
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime)
    queue_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    queue_result: Mapped[str | None] = mapped_column(String(32))
    end_reason: Mapped[str | None] = mapped_column(String(32))
    recording_url: Mapped[str | None] = mapped_column(String(500))

    ticket = relationship("Ticket", back_populates="contacts")
    caller = relationship("Caller")
    answered_by = relationship("User")
