"""The working-day calendar, legal clocks, callback visits, surveys and job status."""

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import created_at_column, enum_column
from hotline.timeutil import now


class CalendarDay(db.Model):
    """Whether a date is a working day. Seeded from packages; supervisors correct it day by day
    when the State Council publishes a year's schedule (make-up working weekends included)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32))  # chinese_calendar, holidays, manual
    # False when the day was computed by rule without the official schedule (no make-up days).
    official: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ClockKind(enum.StrEnum):
    ACCEPT = "accept"  # accept or reject, and tell the complainant
    FORWARD = "forward"  # forward an accepted case to the department
    MEDIATION = "mediation"  # mediation concluded
    NOTIFY_END = "notify_end"  # tell both parties that mediation ended
    REPORTER_NOTICE = "reporter_notice"  # tell a named reporter whether a case is opened
    CALLBACK = "callback"  # callback visit after the case is handled
    APPEAL = "appeal"  # an appeal's own clock


class ClockState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"  # stopped; on time when met_at <= due_at
    CANCELLED = "cancelled"  # the duty fell away (e.g. the case was referred)


OPEN_CLOCK_STATES = ("running", "paused")


class Clock(db.Model):
    __tablename__ = "clocks"
    __table_args__ = (
        Index("ix_clocks_state_due", "state", "due_at"),
        # One open clock per case and duty, even when two requests start it at once.
        Index(
            "uq_clocks_open",
            "ticket_id",
            "kind",
            unique=True,
            sqlite_where=text("state IN ('running', 'paused')"),
            postgresql_where=text("state IN ('running', 'paused')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[ClockKind] = enum_column(ClockKind)
    state: Mapped[ClockState] = enum_column(ClockState, default=ClockState.RUNNING)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    met_at: Mapped[datetime | None] = mapped_column(DateTime)
    warned_at: Mapped[datetime | None] = mapped_column(DateTime)  # due within a working day
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime)  # escalated as overdue
    paused_at: Mapped[datetime | None] = mapped_column(DateTime)
    # True when the due date fell beyond the calendar's data (Monday-Friday assumed).
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)

    ticket = relationship("Ticket")
    pauses = relationship("ClockPause", back_populates="clock", order_by="ClockPause.id")


class ClockPause(db.Model):
    """Time that does not count (testing, appraisal), with its reason."""

    __tablename__ = "clock_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"), index=True)
    paused_at: Mapped[datetime] = mapped_column(DateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    clock = relationship("Clock", back_populates="pauses")


class FollowUpStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    UNREACHABLE = "unreachable"  # not reached after the set number of tries
    CANCELLED = "cancelled"


class FollowUp(db.Model):
    """A callback visit (回访) to the complainant after the case is handled."""

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_status_due", "status", "due_at"),
        Index("ix_followups_due_at", "due_at"),  # the report: visits due in a range, any status
        # One scheduled visit per case, even when a low survey score and a result race.
        Index(
            "uq_followups_scheduled",
            "ticket_id",
            unique=True,
            sqlite_where=text("status = 'scheduled'"),
            postgresql_where=text("status = 'scheduled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[FollowUpStatus] = enum_column(FollowUpStatus, default=FollowUpStatus.SCHEDULED)
    reason: Mapped[str] = mapped_column(String(32))  # handled, low_score, ...
    due_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))  # satisfied, unsatisfied, not_reached
    note: Mapped[str | None] = mapped_column(Text)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    done_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket = relationship("Ticket")
    assigned_to = relationship("User")
    attempts_made = relationship("FollowUpAttempt", back_populates="followup", order_by="FollowUpAttempt.id")


class FollowUpAttempt(db.Model):
    """One try at a callback visit: who called, when, the call placed, and what came of it."""

    __tablename__ = "followup_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now)
    # The outbound call placed from the console, when there was one.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))  # satisfied, unsatisfied, not_reached
    note: Mapped[str | None] = mapped_column(Text)

    followup = relationship("FollowUp", back_populates="attempts_made")
    user = relationship("User")
    contact = relationship("Contact")


class SurveyStatus(enum.StrEnum):
    PENDING = "pending"  # to be sent (quiet hours, opt-outs respected)
    SENT = "sent"
    CLARIFYING = "clarifying"  # an invalid reply got its one clarification
    ANSWERED = "answered"
    UNANSWERED = "unanswered"  # no reply in 72 h
    SUPPRESSED = "suppressed"  # opted out: not sent


class Survey(db.Model):
    """The satisfaction survey of a closed case: once per case."""

    __tablename__ = "surveys"
    __table_args__ = (
        Index("ix_surveys_phone_status", "phone", "status"),
        # The follow-up report counts surveys by when they left and when they were answered.
        Index("ix_surveys_sent_at", "sent_at"),
        Index("ix_surveys_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[SurveyStatus] = enum_column(SurveyStatus, default=SurveyStatus.PENDING)
    channel: Mapped[str] = mapped_column(String(16), default="sms")  # sms | voice
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    clarified_at: Mapped[datetime | None] = mapped_column(DateTime)  # the one clarification sent
    # The operator who took a voice survey at the end of a callback visit.
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    ticket = relationship("Ticket")


class JobRun(db.Model):
    """Each scheduler job's last run, shown on the console."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What went wrong, as a code (hotline.jobs.results.FAILURES); the exception is in the log.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_result: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)
