"""Legal clocks on a case: start, stop, cancel, pause, resume.

Durations are data: DEFAULT_CLOCK_RULES (docs/DOMAIN.md, "Legal clocks") overridden per kind by the
config value CLOCK_RULES, e.g. CLOCK_RULES = {"forward": {"days": 2}}. A rule is
  days:  how many days
  unit:  "working" (the CalendarDay table) or "calendar"
  start: where the clock counts from when the caller gives no start:
         "received" (the case's creation), "accepted" (ticket.accepted_at) or "now".
A clock is due at the end (23:59:59 local, HOTLINE_TIMEZONE) of its due day, stored as naive UTC.
Services flush; the caller commits.
"""

from datetime import datetime, time

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.deadlines.calendar import add_calendar_days, add_working_days, working_days_between
from hotline.deadlines.calendar_data import CalendarLookup, set_day
from hotline.extensions import db
from hotline.models import Clock, ClockKind, ClockPause, ClockState, TicketKind, TicketStatus
from hotline.tickets import record_event
from hotline.timeutil import local_to_utc, local_today, now

DEFAULT_CLOCK_RULES = {
    ClockKind.ACCEPT: {"days": 7, "unit": "working", "start": "received"},
    ClockKind.FORWARD: {"days": 3, "unit": "working", "start": "now"},
    ClockKind.MEDIATION: {"days": 60, "unit": "calendar", "start": "accepted"},
    ClockKind.NOTIFY_END: {"days": 7, "unit": "working", "start": "now"},
    ClockKind.REPORTER_NOTICE: {"days": 5, "unit": "working", "start": "now"},
    ClockKind.CALLBACK: {"days": 3, "unit": "working", "start": "now"},
    ClockKind.APPEAL: {"days": 7, "unit": "working", "start": "now"},
}
OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)
# The department's own duties, the deadlines its desk shows and the only clocks it may pause or
# resume. Accepting, forwarding and the callback visit are the hotline's own (docs/DOMAIN.md).
DEPARTMENT_CLOCKS = (ClockKind.MEDIATION, ClockKind.NOTIFY_END, ClockKind.REPORTER_NOTICE, ClockKind.APPEAL)
END_OF_DAY = time(23, 59, 59)
MAX_PAUSE_REASON = 500  # the longest reason for a pause (the case page's form and the API)


class ClockError(ValueError):
    """A pause or resume the clock's state does not allow; nothing was changed."""


def rule_for(kind):
    """The effective rule for a kind: the default with the deployment's overrides."""
    kind = ClockKind(kind)
    overrides = current_app.config.get("CLOCK_RULES") or {}
    return {**DEFAULT_CLOCK_RULES[kind], **(overrides.get(kind.value) or overrides.get(kind) or {})}


def _tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def _default_start(ticket, rule):
    if rule["start"] == "received":
        return ticket.created_at or now()
    if rule["start"] == "accepted":
        return ticket.accepted_at or now()
    return now()


def due_after(start, days, unit, lookup=None):
    """(due moment as naive UTC, estimated) for `days` of `unit` counted from `start`."""
    start_day = local_today(_tz(), start)
    if unit == "calendar":
        result, unofficial = add_calendar_days(start_day, days), False
    else:
        lookup = lookup or CalendarLookup()
        result = add_working_days(start_day, days, lookup)
        unofficial = lookup.unofficial_seen
    due = local_to_utc(_combine(result.day), _tz())
    return due, result.estimated or unofficial


def _combine(day):
    return datetime.combine(day, END_OF_DAY)


def open_clock(ticket, kind):
    """The running or paused clock of that kind on the case, if any."""
    return db.session.scalar(
        select(Clock).where(
            Clock.ticket_id == ticket.id, Clock.kind == ClockKind(kind), Clock.state.in_(OPEN_STATES)
        ).order_by(Clock.id.desc()).limit(1)
    )


def acceptance_due(ticket):
    """(due moment, estimated) of the decision to accept or not, for a case still undecided
    whose accept clock has not started (a text, a call not yet saved as a complaint or report):
    the ACCEPT rule counted from receipt, as the clock will be when it starts. None for a
    decided case, a consultation (never accepted or not) or a case whose clock runs already."""
    if ticket.status != TicketStatus.NEW or ticket.kind == TicketKind.CONSULTATION:
        return None
    if ticket.id is not None and db.session.scalar(
            select(Clock.id).where(Clock.ticket_id == ticket.id, Clock.kind == ClockKind.ACCEPT).limit(1)):
        return None
    rule = rule_for(ClockKind.ACCEPT)
    return due_after(_default_start(ticket, rule), rule["days"], rule["unit"])


def acceptance_due_at(ticket):
    """acceptance_due's moment alone (None when it has none), for pages that show only a date."""
    pending = acceptance_due(ticket)
    return pending[0] if pending else None


def next_due(ticket):
    """(moment, estimated) the case must next move: its nearest running clock, or for an
    undecided case whose accept clock has not started, acceptance_due's; None when neither.
    The one rule the caller's status page and the {due_date} of canned replies share. The
    callback visit is the hotline's own follow-up of a handled case, not a date the caller waits
    for: a resolved case's page would otherwise promise "next due" on a case that is done."""
    row = db.session.execute(
        select(Clock.due_at, Clock.estimated).where(Clock.ticket_id == ticket.id, Clock.state == ClockState.RUNNING,
                                                    Clock.kind != ClockKind.CALLBACK)
        .order_by(Clock.due_at, Clock.id).limit(1)).first()
    return (row.due_at, bool(row.estimated)) if row is not None else acceptance_due(ticket)


def next_due_at(ticket):
    """next_due's moment alone (None when it has none)."""
    due = next_due(ticket)
    return due[0] if due else None


def _event(clock, type_, actor=None, reason=None, **data):
    due_day = local_today(_tz(), clock.due_at)
    return record_event(
        clock.ticket, type_, actor, field=clock.kind.value, to_value=due_day.isoformat(),
        reason=reason, data={"clock_id": clock.id, "estimated": clock.estimated, **data},
    )


def start_clock(ticket, kind, start=None, actor=None):
    """Start the clock of `kind` on the case; an open one of that kind is returned unchanged."""
    kind = ClockKind(kind)
    existing = open_clock(ticket, kind)
    if existing:
        return existing
    rule = rule_for(kind)
    start = start or _default_start(ticket, rule)
    due, estimated = due_after(start, rule["days"], rule["unit"])
    clock = Clock(ticket=ticket, kind=kind, state=ClockState.RUNNING, started_at=start, due_at=due,
                  estimated=estimated)
    try:
        # uq_clocks_open allows one open clock per duty: a request that started the same clock
        # a moment earlier wins, and this one takes its clock instead of failing.
        with db.session.begin_nested():
            db.session.add(clock)
    except IntegrityError:
        return open_clock(ticket, kind)
    _event(clock, "clock_started", actor)
    db.session.flush()
    return clock


def stop_clock(ticket, kind, at=None, actor=None):
    """Mark the duty done: MET, on time when met_at <= due_at. None when no clock was open."""
    clock = open_clock(ticket, kind)
    if clock is None:
        return None
    at = at or now()
    if clock.state == ClockState.PAUSED:
        _end_pause(clock, at)
    clock.state, clock.met_at = ClockState.MET, at
    _event(clock, "clock_met", actor, on_time=at <= clock.due_at)
    db.session.flush()
    return clock


def cancel_clocks(ticket, actor=None, reason=None):
    """Every open clock of the case falls away (e.g. the case was referred elsewhere)."""
    clocks = db.session.scalars(
        select(Clock).where(Clock.ticket_id == ticket.id, Clock.state.in_(OPEN_STATES))
    ).all()
    for clock in clocks:
        if clock.state == ClockState.PAUSED:
            _end_pause(clock, now())
        clock.state = ClockState.CANCELLED
        _event(clock, "clock_cancelled", actor, reason=reason)
    db.session.flush()
    return clocks


def _locked(clock):
    """The clock read again under a row lock (PostgreSQL's FOR UPDATE; SQLite's writers already
    hold the database's write lock): two pauses sent at once found it running and both paused it,
    two open pauses on one clock."""
    db.session.refresh(clock, with_for_update=True)
    return clock


def pause_clock(clock, reason, actor):
    """Suspend a running clock (testing, appraisal); the reason is kept."""
    clock = _locked(clock)
    if clock.state != ClockState.RUNNING:
        raise ClockError(f"clock {clock.id} is {clock.state.value}, not running")
    if not (reason or "").strip():
        raise ClockError("a pause needs a reason")
    at = now()
    db.session.add(ClockPause(clock=clock, paused_at=at, reason=reason.strip(), user_id=getattr(actor, "id", None)))
    clock.state, clock.paused_at = ClockState.PAUSED, at
    _event(clock, "clock_paused", actor, reason=reason.strip())
    db.session.flush()
    return clock


def resume_clock(clock, actor):
    """Restart a paused clock; the due date moves later by the days the pause covered."""
    clock = _locked(clock)
    if clock.state != ClockState.PAUSED:
        raise ClockError(f"clock {clock.id} is {clock.state.value}, not paused")
    moved = _end_pause(clock, now())
    clock.state = ClockState.RUNNING
    _event(clock, "clock_resumed", actor, moved_days=moved)
    db.session.flush()
    return clock


def _end_pause(clock, at):
    """Close the open pause and push the due date back by the days it covered."""
    pause = next((p for p in clock.pauses if p.resumed_at is None), None)
    clock.paused_at = None
    if pause is None:
        return 0
    pause.resumed_at = at
    rule = rule_for(clock.kind)
    tz = _tz()
    first, last = local_today(tz, pause.paused_at), local_today(tz, at)
    if rule["unit"] == "calendar":
        moved = (last - first).days
        new_day = add_calendar_days(local_today(tz, clock.due_at), moved)
    else:
        lookup = CalendarLookup()
        moved = working_days_between(first, last, lookup).days
        new_day = add_working_days(local_today(tz, clock.due_at), moved, lookup)
        clock.estimated = clock.estimated or new_day.estimated or lookup.unofficial_seen
    clock.due_at = local_to_utc(_combine(new_day.day), tz)
    # A clock pushed past its overdue moment is no longer overdue; it may be warned again.
    if clock.due_at > at:
        clock.overdue_at = clock.warned_at = None
    return moved


def correct_calendar_day(day, working, name, actor):
    """A supervisor's correction of the working-day calendar (the calendar page and its API twin):
    the day set, audited, and the open working-day clocks spanning it recounted. Returns
    (the CalendarDay, the clocks whose due date moved)."""
    row = set_day(day, working, (name or "").strip(), actor)
    return row, reschedule_for_calendar_change(day, actor)


def reschedule_for_calendar_change(day, actor=None):
    """After a supervisor corrected `day`, recount the open working-day clocks that span it
    (started before it, due on or after it), so a newly published schedule moves them."""
    tz = _tz()
    start_of_day = local_to_utc(datetime.combine(day, time()), tz)
    stmt = select(Clock).where(Clock.state.in_(OPEN_STATES), Clock.started_at < start_of_day,
                               Clock.due_at >= start_of_day)
    lookup, moved = CalendarLookup(), []
    for clock in db.session.scalars(stmt):
        rule = rule_for(clock.kind)
        if rule["unit"] != "working":
            continue
        paused = sum(
            working_days_between(local_today(tz, p.paused_at), local_today(tz, p.resumed_at), lookup).days
            for p in clock.pauses if p.resumed_at is not None
        )
        lookup.unofficial_seen = False
        result = add_working_days(local_today(tz, clock.started_at), rule["days"] + paused, lookup)
        due = local_to_utc(_combine(result.day), tz)
        if due != clock.due_at:
            old = local_today(tz, clock.due_at).isoformat()
            clock.due_at, clock.estimated = due, result.estimated or lookup.unofficial_seen
            if due > now():
                clock.warned_at = clock.overdue_at = None
            record_event(clock.ticket, "clock_rescheduled", actor, field=clock.kind.value, from_value=old,
                         to_value=result.day.isoformat(), reason=f"calendar {day.isoformat()}",
                         data={"clock_id": clock.id})
            moved.append(clock)
    db.session.flush()
    return moved
