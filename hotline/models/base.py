"""Column helpers shared by every aggregate."""

from datetime import datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import Mapped, mapped_column

from hotline.timeutil import now


def enum_column(enum_cls, **kwargs):
    """Store a StrEnum by its value as plain VARCHAR, so SQLite and PostgreSQL agree
    and adding a member needs no ALTER TYPE."""
    return mapped_column(
        Enum(
            enum_cls,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda members: [m.value for m in members],
        ),
        **kwargs,
    )


def created_at_column():
    return mapped_column(DateTime, default=now, nullable=False, index=True)


class Timestamped:
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
