"""Staff accounts, API tokens and callers."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, created_at_column, enum_column


class Role(enum.StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    DEPARTMENT = "department"
    ADMIN = "admin"


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"


class User(UserMixin, Timestamped, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = enum_column(Role)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    department_lead: Mapped[bool] = mapped_column(Boolean, default=False)  # told of late cases
    # The operator's own phone, which Twilio rings to bridge a queued caller.
    phone: Mapped[str | None] = mapped_column(String(32))
    availability: Mapped[Availability] = enum_column(Availability, default=Availability.AWAY)
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Summaries of sign_in_failures for the admin pages: failed sign-ins since the last success
    # (every address) and when the latest per-address lock ends. They refuse nobody themselves.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Kept in the session at sign-in; a password change or reset raises it, which ends every
    # session signed in under the old value (hotline.accounts.session_is_current).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    department = relationship("Department", foreign_keys=[department_id])

    @property
    def is_active(self):
        return self.active

    def has_role(self, *roles):
        return self.role in roles


class SignInFailure(db.Model):
    """Failed sign-ins to one account from one address, and the lock they led to. The lock
    refuses that address only, so a stranger's guesses never lock the owner out elsewhere."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (UniqueConstraint("user_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(120))
    # Only a SHA-256 of the token is kept; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user = relationship("User")


class Caller(Timestamped, db.Model):
    """A person who phones or texts the hotline, known by an E.164 number."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(Text)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(200))

    tickets = relationship("Ticket", back_populates="caller", lazy="dynamic")
