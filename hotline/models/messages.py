"""The outbox: every SMS or call the hotline sends, written in the same transaction
as the change that caused it and sent later by the scheduler's dispatcher."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, enum_column
from hotline.timeutil import now


class OutboxChannel(enum.StrEnum):
    SMS = "sms"
    CALL = "call"
    WEBHOOK = "webhook"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or for quiet hours to end)
    SENDING = "sending"  # claimed by a dispatcher
    SENT = "sent"  # accepted by Twilio; status callbacks follow
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the set number of tries, or Twilio said undelivered
    SUPPRESSED = "suppressed"  # not sent: the number opted out and the notice is not legal


class OutboxMessage(Timestamped, db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[OutboxChannel] = enum_column(OutboxChannel, default=OutboxChannel.SMS)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    to: Mapped[str] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    # What the message is for (ack, status, referral, result, survey, otp, ...).
    purpose: Mapped[str] = mapped_column(String(32))
    # Legally required notices go out even to numbers that opted out.
    legal: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OutboxStatus] = enum_column(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Channel WEBHOOK: the endpoint this delivery is for (`to` holds its URL, `body` the JSON,
    # `provider_status` the receiver's HTTP status, `duration_ms` how long the last POST took;
    # the receiver's answer body is never kept).
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    webhook_endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)

    ticket = relationship("Ticket")
    webhook_endpoint = relationship("WebhookEndpoint")
