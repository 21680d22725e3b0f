"""The department desk: a department's queue, taking a case up, sending it back to triage,
mediation steps and the case's result. Services flush; the view commits once."""

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hotline import inputs, tickets
from hotline.access import notice_phone, visible
from hotline.deadlines import clocks
from hotline.deadlines.calendar import add_working_days
from hotline.deadlines.calendar_data import CalendarLookup
from hotline.extensions import db
from hotline.models import (
    CaseResult,
    Clock,
    ClockKind,
    ClockState,
    Department,
    Role,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.outbox import queue_sms
from hotline.search import CASE_NUMBER, Page
from hotline.timeutil import local_to_utc, local_today, now
from routing import desk_texts
from routing.referrals import close_appeals

PAGE_SIZE = 50
TABS = ("new", "in_progress", "due_soon", "overdue")
TAB_STATUS = {"new": TicketStatus.FORWARDED, "in_progress": TicketStatus.IN_PROGRESS}
DESK_STATUSES = (TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS)
DEPARTMENT_CLOCKS = clocks.DEPARTMENT_CLOCKS  # the department's own duties, not the hotline's
RETURN_REASONS = ("wrong_department", "missing_information", "other")
STEP_KINDS = ("business_contact", "mediation")
RESULTS = {
    TicketKind.COMPLAINT: (CaseResult.MEDIATED, CaseResult.MEDIATION_FAILED, CaseResult.TERMINATED),
    TicketKind.REPORT: (CaseResult.CASE_OPENED, CaseResult.CASE_NOT_OPENED),
}
ROW_OPTIONS = (selectinload(Ticket.category), selectinload(Ticket.department))


# The longest texts a department writes: a return's explanation, a step, a result's note.
MAX_RETURN_TEXT = 2000
MAX_STEP_TEXT = 4000
MAX_RESULT_NOTE = 4000


class DeskError(ValueError):
    """A desk action refused for a reason the user can fix; nothing was changed.

    `field` names the input at fault (the API answers 422 with it); None when the case's
    status is what refuses (the API answers 409)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


# --- reading ----------------------------------------------------------------------------


def departments():
    """Active departments by name, for a supervisor's selector."""
    return db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.name)).all()


def desk_department(user, requested=None):
    """The department whose desk `user` sees: a department user's own (-1 when they have
    none, so nothing shows), a supervisor's chosen one, or None for all."""
    if user.role == Role.DEPARTMENT:
        return user.department_id or -1
    return requested


def due_soon_horizon(moment):
    """The end of the next working day after `moment`'s local date: clocks are due at the end
    of a day, so "within one working day" means by then."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    today = local_today(tz, moment)
    next_day = add_working_days(today, 1, CalendarLookup()).day
    return local_to_utc(datetime.combine(next_day + timedelta(days=1), time()), tz)


def _due_clocks(tab, moment):
    """Running department clocks per ticket with their earliest due time, for a due tab."""
    if tab == "overdue":
        window = Clock.due_at <= moment
    else:
        window = (Clock.due_at > moment) & (Clock.due_at < due_soon_horizon(moment))
    return (
        select(Clock.ticket_id, func.min(Clock.due_at).label("due"))
        .where(Clock.state == ClockState.RUNNING, Clock.kind.in_(DEPARTMENT_CLOCKS), window)
        .group_by(Clock.ticket_id)
        .subquery()
    )


def _tab_query(department_id, tab, moment):
    stmt = select(Ticket)
    if department_id is not None:
        stmt = stmt.where(Ticket.department_id == department_id)
    if tab in TAB_STATUS:
        stmt = stmt.where(Ticket.status == TAB_STATUS[tab])
        return stmt.order_by(func.coalesce(Ticket.forwarded_at, Ticket.created_at), Ticket.id)
    due = _due_clocks(tab, moment)
    stmt = stmt.join(due, due.c.ticket_id == Ticket.id).where(Ticket.status.in_(DESK_STATUSES))
    return stmt.order_by(due.c.due, Ticket.id)


def queue(department_id, tab, page=1, moment=None):
    """One page of a desk tab (new, in_progress, due_soon, overdue); department None = all."""
    page = max(page, 1)
    stmt = _tab_query(department_id, tab, moment or now()).options(*ROW_OPTIONS)
    rows = list(db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return Page(items=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)


def tab_counts(department_id, moment=None):
    """How many cases each tab holds."""
    moment = moment or now()
    counts = {}
    for tab in TABS:
        stmt = _tab_query(department_id, tab, moment).order_by(None).subquery()
        counts[tab] = db.session.scalar(select(func.count()).select_from(stmt))
    return counts


def next_deadlines(rows):
    """{ticket id: its earliest running department Clock} for a page of tickets, in one query."""
    ids = [t.id for t in rows]
    if not ids:
        return {}
    running = db.session.scalars(
        select(Clock)
        .where(Clock.ticket_id.in_(ids), Clock.state == ClockState.RUNNING, Clock.kind.in_(DEPARTMENT_CLOCKS))
        .order_by(Clock.due_at.desc())
    )
    return {clock.ticket_id: clock for clock in running}  # the earliest comes last and wins


def deadlines(ticket):
    """The case's open department clocks (running or paused), soonest first: the time limits
    its case page shows, of the same kinds as the desk list's next deadline."""
    return db.session.scalars(
        select(Clock)
        .where(Clock.ticket_id == ticket.id, Clock.state.in_(clocks.OPEN_STATES), Clock.kind.in_(DEPARTMENT_CLOCKS))
        .order_by(Clock.due_at, Clock.id)
    ).all()


def get_ticket(number, user):
    """The case with this number if `user` may see it on the desk, else None (so it stays hidden).
    What is no case number is looked up nowhere (PostgreSQL refuses a NUL in a parameter)."""
    if not CASE_NUMBER.match(number or ""):
        return None
    stmt = select(Ticket).where(Ticket.number == number).options(*ROW_OPTIONS, selectinload(Ticket.caller))
    return db.session.scalar(visible(stmt, user))


def may_act(user, ticket):
    """Only the department that holds a case works on it; supervisors watch."""
    return user.role == Role.DEPARTMENT and ticket.department_id is not None and ticket.department_id == user.department_id


def steps(ticket):
    """The case's recorded mediation steps, oldest first."""
    return db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "mediation_step")
        .options(selectinload(TicketEvent.actor))
        .order_by(TicketEvent.id)
    ).all()


def return_counts(start, end):
    """{department id: cases it sent back to triage} for events in [start, end)."""
    rows = db.session.execute(
        select(TicketEvent.from_value, func.count())
        .where(TicketEvent.type == "returned", TicketEvent.at >= start, TicketEvent.at < end)
        .group_by(TicketEvent.from_value)
    ).all()
    return {int(department_id): n for department_id, n in rows if department_id}


# --- acting -----------------------------------------------------------------------------


def take_up(ticket, actor):
    """The department starts handling a forwarded case."""
    return tickets.change_status(ticket, TicketStatus.IN_PROGRESS, actor)


def return_to_triage(ticket, reason, text, actor):
    """Send a case back to the hotline's triage with a reason; counted against the department."""
    if ticket.status not in DESK_STATUSES:
        raise DeskError(_l("Only a forwarded or in-progress case can be returned."))
    if reason not in RETURN_REASONS or not (text or "").strip():
        raise DeskError(_l("A reason and an explanation are required."),
                        field="reason" if reason not in RETURN_REASONS else "explanation")
    department_id = ticket.department_id
    tickets.record_event(
        ticket, "returned", actor, from_value=str(department_id), to_value=reason, reason=text.strip()
    )
    tickets.change_status(ticket, TicketStatus.ACCEPTED, actor, reason=text.strip())
    tickets.update_fields(ticket, {"department_id": None}, actor)
    ticket.return_count = (ticket.return_count or 0) + 1
    # Back in triage, the hotline again owes a forward within the limit, counted from now.
    clocks.start_clock(ticket, ClockKind.FORWARD, start=now(), actor=actor)
    db.session.flush()
    return ticket


def record_step(ticket, kind, text, on, actor):
    """A contact with the business or a mediation step, dated the day it happened."""
    if ticket.status != TicketStatus.IN_PROGRESS:
        raise DeskError(_l("Take the case up before recording steps."))
    tz_name = current_app.config["HOTLINE_TIMEZONE"]
    today = local_today(tz_name)
    if kind not in STEP_KINDS:
        raise DeskError(_l("Choose what kind of step it was."), field="kind")
    if not (text or "").strip():
        raise DeskError(_l("Say what was done."), field="text")
    # Not before the case came in (nor 1900-01-01). Not "before it was forwarded": a case
    # returned and forwarded again keeps the steps its first handling took.
    first = local_today(tz_name, ticket.created_at)
    if not isinstance(on, date) or not first <= on <= today:
        raise DeskError(_l("The step's date must be from %(first)s, when the case came in, to today.",
                           first=first.isoformat()), field="date")
    return tickets.record_event(
        ticket, "mediation_step", actor, to_value=text.strip(), data={"kind": kind, "date": on.isoformat()}
    )


def clean_result(ticket, result, detail, note):
    """The result and its detail as stored, or DeskError naming what is missing."""
    try:
        result = CaseResult(result)
    except ValueError:
        raise DeskError(_l("Unknown result."), field="result") from None
    if result not in RESULTS.get(ticket.kind, ()):
        raise DeskError(_l("This result does not fit the kind of case."), field="result")
    detail, note = detail or {}, (note or "").strip() or None
    if result == CaseResult.MEDIATED:
        return result, _mediated_detail(detail), note
    if result == CaseResult.TERMINATED:
        reason = detail.get("reason")
        if reason not in desk_texts.TERMINATION_REASONS or (reason == "other" and not note):
            raise DeskError(_l("Give the reason mediation was terminated."),
                            field="note" if reason == "other" else "reason")
        return result, {"reason": reason}, note
    return result, None, note


def _mediated_detail(detail):
    outcome, amount = detail.get("outcome"), detail.get("amount")
    if outcome not in desk_texts.OUTCOMES:
        raise DeskError(_l("Say what the consumer got."), field="outcome")
    if amount in (None, ""):
        return {"outcome": outcome}
    amount = inputs.parse_decimal(inputs.typed_digits(str(amount)), *inputs.numeric_limits(Ticket.amount))
    if amount is None:
        raise DeskError(_l("The amount must be a number of yuan, not negative."), field="amount")
    return {"outcome": outcome, "amount": str(amount)}


def record_result(ticket, result, detail, note, actor):
    """Record how the case ended: RESOLVED, its clocks stopped, the result notice queued and
    the case handed to follow-up for the callback visit."""
    result, detail, note = clean_result(ticket, result, detail, note)
    tickets.change_status(ticket, TicketStatus.RESOLVED, actor, reason=note)
    ticket.result, ticket.result_detail, ticket.result_note = result, detail, note
    ticket.resolved_at = now()
    tickets.record_event(ticket, "result", actor, to_value=result.value, reason=note, data=detail)
    # A new result answers any open appeal; otherwise a second appeal would reuse its clock.
    close_appeals(ticket, result.value, actor)
    phone = notice_phone(ticket)  # the complainant or named reporter; None for an anonymous case
    _settle_clocks(ticket, phone is not None, actor)
    if phone is not None:
        _queue_notice(ticket, phone, actor)
    db.session.flush()
    return ticket


def _settle_clocks(ticket, notified, actor):
    """Stop the duty the result discharges and start the callback visit."""
    if ticket.kind == TicketKind.COMPLAINT:
        clocks.stop_clock(ticket, ClockKind.MEDIATION, actor=actor)
    elif notified:
        # The decision notice is written in this same transaction: the duty (started now
        # unless already running) is met now.
        clocks.start_clock(ticket, ClockKind.REPORTER_NOTICE, actor=actor)
        clocks.stop_clock(ticket, ClockKind.REPORTER_NOTICE, actor=actor)
    if notified:  # nobody to call back after an anonymous report
        clocks.start_clock(ticket, ClockKind.CALLBACK, actor=actor)


def _queue_notice(ticket, phone, actor):
    body = desk_texts.result_notice(ticket.result, ticket.number, ticket.result_detail)
    message = queue_sms(phone, body, "result_notice", ticket=ticket, legal=True, actor=actor)
    tickets.record_event(
        ticket, "result_notice", actor, to_value=body, data={"outbox_id": message.id, "status": message.status.value}
    )
    return message
