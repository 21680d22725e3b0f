"""Other systems: Open311 GeoReport v2 clients and outbound webhook receivers."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, created_at_column


class Open311Key(db.Model):
    """An Open311 client's api_key, issued by an admin; only a SHA-256 of it is kept."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    requests_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by = relationship("User")


class Open311Request(db.Model):
    """What an Open311 client filed with a case: the location and the filer's contact details
    (personal data: never returned by a GET)."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("open311_keys.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    service_code: Mapped[str | None] = mapped_column(String(64))
    address_string: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    device_id: Mapped[str | None] = mapped_column(String(120))
    account_id: Mapped[str | None] = mapped_column(String(120))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    attributes: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()

    ticket = relationship("Ticket")
    key = relationship("Open311Key")


class WebhookEndpoint(Timestamped, db.Model):
    """A URL that receives signed JSON POSTs about cases. The secret signs (HMAC-SHA256), so
    it is kept; it is shown to the admin once, when the endpoint is created."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(128))
    # Event names it wants: case.created, case.status_changed, survey.answered.
    events: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
