"""The live wall's figures: the queue, the operators, today's and yesterday's calls, SMS waiting,
and cases due today or overdue per department. Each reads a small, indexed slice of the rows.

Operator states (User.availability says only available / busy / away, so calls decide), by the
rule each operator's own call bar follows (hotline.calls.call_state), so the wall never says
"available" of someone whose console still shows after-call work:
- on a call: a call they answered has not ended (answered in the last ON_CALL_HOURS, so a call
  whose final callback never came does not pin them there for ever);
- on hold: that call's caller is on hold (hotline.calls.hold): the operator is looking something
  up, not talking, and a supervisor watching a long hold wants to see it apart;
- after-call work: not on a call, and the last call they answered ended within WRAPUP_MINUTES
  with no wrap-up reason picked yet (a form saved meanwhile ends the AHT clock, not the state);
- otherwise their availability: available, away, or busy (set busy but not on a call).
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select

from hotline import calls as hotline_calls
from hotline import live
from hotline.console import services
from hotline.dashboard import call_figures, metrics
from hotline.extensions import db
from hotline.models import (
    Channel,
    Clock,
    ClockState,
    Contact,
    Department,
    Direction,
    Role,
    Ticket,
    User,
)
from hotline.templating import duration, percent
from hotline.timeutil import local_today, now, to_local

STATES = ("available", "on_call", "on_hold", "after_call_work", "away", "busy")


def operator_states(at):
    """{user id: state} for every active operator and supervisor."""
    users = db.session.execute(select(User.id, User.availability).where(
        User.active.is_(True), User.role.in_([Role.OPERATOR, Role.SUPERVISOR]))).all()
    since = at - timedelta(hours=hotline_calls.ON_CALL_HOURS, minutes=hotline_calls.WRAPUP_MINUTES)
    # Each one's latest call only (loading the window's rows to keep one per operator cost the
    # wall 0.1 s a build at a million calls). No channel condition: with it SQLite walks every
    # voice call instead of ix_contacts_answered_by. Only calls are answered; an outbound call an
    # operator is on counts as being on a call.
    latest = hotline_calls.latest_answered([u.id for u in users], since)
    calls = db.session.execute(
        select(Contact.answered_by_id, Contact.answered_at, Contact.ended_at, Contact.wrapup_reason, Contact.held_at)
        .join(latest, and_(Contact.answered_by_id == latest.c.answered_by_id, Contact.answered_at == latest.c.at))
        .order_by(Contact.id)
    ).all()
    last = {call.answered_by_id: call for call in calls}  # a tie on the time goes to the later row
    return {u.id: _state(u.availability.value, last.get(u.id), at) for u in users}


_WALL_STATE = {hotline_calls.LIVE: "on_call", hotline_calls.AFTER_CALL: "after_call_work"}


def _state(availability, call, at):
    state = call and hotline_calls.call_state(call.answered_at, call.ended_at, call.wrapup_reason, at)
    if state == hotline_calls.LIVE and call.held_at is not None:
        return "on_hold"
    return _WALL_STATE.get(state, availability)


def _sms_waiting_filter(day_start):
    """Inbound texts received today that nobody, person or automatic acknowledgement, has
    answered yet (docs/DOMAIN.md "SMS first reply"; the wall and its list read this one rule)."""
    return and_(Contact.channel == Channel.SMS, Contact.direction == Direction.INBOUND,
                Contact.created_at >= day_start, Contact.first_reply_at.is_(None))


def sms_waiting(day_start, at):
    """(inbound SMS received today still without a first reply, seconds the oldest has waited)."""
    count, oldest = db.session.execute(
        select(func.count(Contact.id), func.min(Contact.created_at)).where(_sms_waiting_filter(day_start))
    ).one()
    return count, (max(int((at - oldest).total_seconds()), 0) if oldest else None)


def sms_waiting_query(day_start):
    """The texts behind the wall's "SMS waiting for a first reply", oldest first."""
    return select(Contact).where(_sms_waiting_filter(day_start)).order_by(Contact.created_at, Contact.id)


def operators_in(state, at):
    """The active operators and supervisors whose wall state is `state`, by name."""
    states = operator_states(at)
    ids = [uid for uid, s in states.items() if s == state]
    return db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.display_name, User.id)).all()


def clocks_by_department(at, day_end):
    """[{department id, name, due_today, overdue}] from running clocks, most overdue first.
    A paused clock is not counted: its time does not run."""
    overdue = func.coalesce(func.sum(case((Clock.due_at < at, 1), else_=0)), 0)
    rows = db.session.execute(
        select(Ticket.department_id, func.coalesce(Department.name, ""), overdue, func.count(Clock.id) - overdue)
        .join(Ticket, Ticket.id == Clock.ticket_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .where(Clock.state == ClockState.RUNNING, Clock.due_at < day_end)
        .group_by(Ticket.department_id, Department.name)
    ).all()
    found = [{"department_id": d, "name": name, "overdue": int(o or 0), "due_today": int(t or 0)}
             for d, name, o, t in rows]
    return sorted(found, key=lambda r: (-r["overdue"], -r["due_today"], r["name"]))


def figures(tally):
    """A Tally as the JSON the wall shows, with the threshold flags."""
    out = tally.as_dict()
    out["answer_rate_low"] = metrics.answer_rate_low(tally.answer_rate)
    return out


def snapshot():
    """Everything the wall shows, as plain data (the page renders it, the JSON endpoint returns
    it), shared by the wall's readers like the queue's (hotline/live.py)."""
    return live.get("wall", build).value


def _since(at, earlier):
    return max(int((at - earlier).total_seconds()), 0) if earlier else None


def build(at=None):
    """The wall's figures now. The queue's figures are the queue panel's own snapshot, so the wall
    and the console never disagree on how many callers wait."""
    at = at or now()
    queue = services.queue_snapshot()
    tz = current_app.config["HOTLINE_TIMEZONE"]
    today = local_today(tz, at)
    start, end = call_figures.day_bounds(today)
    yesterday = call_figures.days_figures(today - timedelta(days=1), today - timedelta(days=1), today)
    waiting, longest = queue.waiting, _since(at, queue.oldest_queued_at)
    states = operator_states(at)
    sms_count, sms_oldest = sms_waiting(start, at)
    new_sms, new_sms_oldest = queue.new_sms, _since(at, queue.oldest_sms_at)
    return {
        "at": at.isoformat(timespec="seconds"),
        "at_local": to_local(at, tz).strftime("%H:%M:%S"),
        "today": today.isoformat(),
        "yesterday": (today - timedelta(days=1)).isoformat(),
        "queue": {"waiting": waiting, "longest_wait": longest, "wait_too_long": metrics.wait_too_long(longest)},
        "operators": {state: sum(1 for s in states.values() if s == state) for state in STATES},
        "calls_today": figures(call_figures.tally_between(start, end)),
        "calls_yesterday": figures(next(iter(yesterday.values())).whole),
        "sms": {"waiting": sms_count, "oldest_wait": sms_oldest, "new_cases": new_sms,
                "new_cases_oldest": new_sms_oldest},
        "departments": clocks_by_department(at, end),
    }


def late_cases_query(department_id, which, at, day_end):
    """The cases behind a department's "overdue" or "due today" number (one row per running clock)."""
    due = Clock.due_at < at if which == "overdue" else and_(Clock.due_at >= at, Clock.due_at < day_end)
    dept = Ticket.department_id.is_(None) if department_id is None else Ticket.department_id == department_id
    return (select(Ticket, Clock).join(Clock, Clock.ticket_id == Ticket.id)
            .where(Clock.state == ClockState.RUNNING, due, dept).order_by(Clock.due_at, Clock.id))


def my_figures(user_id, day):
    """An operator's own figures for one local day: their answered calls' Tally and calls per hour."""
    start, end = call_figures.day_bounds(day)
    tally = call_figures.tally_by_operator(start, end).get(user_id, metrics.Tally())
    hours = call_figures.active_hours_by_operator(day).get(user_id, 0)
    return {"day": day.isoformat(), **figures(tally), "active_hours": hours,
            "calls_per_hour": metrics.calls_per_hour(tally.answered, hours)}


CALL_FIELDS = {"offered": str, "answered": str, "answer_rate": percent, "abandoned": str,
               "short_abandoned": str, "long_abandoned": str, "within_sl": str, "service_level": percent,
               "asa": duration, "aht": duration}


def display(snap):
    """{field: text} and {field: alarm} for the wall: the page and its refresh show the same strings."""
    text = {"queue.waiting": str(snap["queue"]["waiting"]),
            "queue.longest_wait": duration(snap["queue"]["longest_wait"]),
            "sms.waiting": str(snap["sms"]["waiting"]), "sms.oldest_wait": duration(snap["sms"]["oldest_wait"]),
            "sms.new_cases": str(snap["sms"]["new_cases"]),
            "sms.new_cases_oldest": duration(snap["sms"]["new_cases_oldest"])}
    text |= {f"operators.{k}": str(v) for k, v in snap["operators"].items()}
    for part in ("calls_today", "calls_yesterday"):
        text |= {f"{part}.{k}": fmt(snap[part][k]) for k, fmt in CALL_FIELDS.items()}
    alarms = {"queue.longest_wait": snap["queue"]["wait_too_long"],
              "calls_today.answer_rate": snap["calls_today"]["answer_rate_low"],
              "calls_yesterday.answer_rate": snap["calls_yesterday"]["answer_rate_low"]}
    return text, alarms
