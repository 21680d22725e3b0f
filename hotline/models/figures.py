"""Daily roll-ups of the dashboard's figures, kept current by the scheduler so a report over
months reads a few hundred rows instead of millions of calls and cases."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.timeutil import now


class DailyFigure(db.Model):
    """One figure for one local day and one key: `n` counts, `total` sums (a mean is total / n).

    `figure` names what is counted (e.g. "calls.offered"); `key` says for what slice
    (e.g. "hour=9", "operator=12", "department=3", or "" for the whole day).
    """

    __tablename__ = "daily_figures"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figure: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
