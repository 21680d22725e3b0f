"""Escalation of legal clocks: warn before a clock runs out, escalate when it has.

The sweep is set-based and batched: it marks clocks with one UPDATE ... RETURNING per batch
and writes their events with one INSERT, so 100,000 open clocks take seconds. A clock is
warned once and escalated once (warned_at / overdue_at), so a second sweep changes nothing.
"""

import logging
from collections import defaultdict

from flask import current_app
from sqlalchemy import DateTime, bindparam, case, insert, literal, or_, select, update
from sqlalchemy.orm import selectinload

from hotline import outbox
from hotline.deadlines.clocks import due_after
from hotline.extensions import db
from hotline.models import Clock, ClockState, Department, Role, Ticket, TicketEvent, User
from hotline.phones import InvalidPhone
from hotline.timeutil import local_today, now

log = logging.getLogger("hotline.escalation")
BATCH = 2000
MAX_BATCHES = 10_000  # a bound, far above any real backlog
NOTICE_LIMIT = 50
SMS_NUMBERS_SHOWN = 5
# Sent to a department lead; Chinese data like hotline/sms_texts.py. Config CLOCK_OVERDUE_SMS.
DEFAULT_OVERDUE_SMS = "【12315】贵部门有{count}件工单办理超期，工单号：{numbers}。请登录工作台处理。"


def sweep(at=None):
    """Warn clocks due within one working day and escalate overdue ones; returns the counts."""
    at = at or now()
    horizon, _ = due_after(at, 1, "working")
    warned = _mark(Clock.warned_at, lambda c: c.due_at.between(at, horizon), at, "clock_warned")
    overdue = _mark(Clock.overdue_at, lambda c: c.due_at < at, at, "clock_overdue")
    sms = _text_department_leads({row.ticket_id for row in overdue})
    return {"warned": len(warned), "overdue": len(overdue), "sms": sms}


def _mark(column, condition, at, event_type):
    """Stamp `column` on running clocks matching `condition`, batch by batch, with one event each."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    clocks = Clock.__table__.c
    column = clocks[column.key]
    pending = (clocks.state == ClockState.RUNNING.value, column.is_(None), condition(clocks))
    marked = []
    for _ in range(MAX_BATCHES):
        ids = db.session.scalars(select(clocks.id).where(*pending).order_by(clocks.due_at).limit(BATCH)).all()
        if not ids:
            break
        rows = db.session.execute(
            update(Clock.__table__).where(clocks.id.in_(_inline(ids)), *pending).values({column: at})
            .returning(clocks.id, clocks.ticket_id, clocks.due_at)
        ).all()
        if rows:
            _insert_events([r.id for r in rows], {r.due_at for r in rows}, at, event_type, tz)
        marked.extend(rows)
    return marked


def _inline(ids):
    """Integer ids written into the SQL: thousands of placeholders cost more than the query."""
    return bindparam("ids", [int(i) for i in ids], expanding=True, literal_execute=True)


def _insert_events(clock_ids, due_moments, at, event_type, tz):
    """One INSERT ... SELECT for a batch's events; the due dates (few distinct) mapped by CASE."""
    clocks = Clock.__table__.c
    due_day = case({due: local_today(tz, due).isoformat() for due in due_moments}, value=clocks.due_at)
    events = TicketEvent.__table__.c
    db.session.execute(insert(TicketEvent.__table__).from_select(
        [events.ticket_id, events.at, events.type, events.field, events.to_value],
        select(clocks.ticket_id, literal(at, DateTime()), literal(event_type), clocks.kind, due_day)
        .where(clocks.id.in_(_inline(clock_ids))),
    ))


def _text_department_leads(ticket_ids):
    """One SMS per lead of each department with sms_lead, naming that department's late cases."""
    leads = defaultdict(list)
    for department_id, phone in db.session.execute(
        select(User.department_id, User.phone).join(Department, User.department_id == Department.id)
        .where(Department.sms_lead.is_(True), User.department_lead.is_(True), User.active.is_(True),
               User.phone.is_not(None))
    ):
        leads[department_id].append(phone)
    if not leads or not ticket_ids:
        return 0
    late = defaultdict(list)
    ids = sorted(ticket_ids)
    for start in range(0, len(ids), BATCH):
        for number, department_id in db.session.execute(
            select(Ticket.number, Ticket.department_id)
            .where(Ticket.id.in_(ids[start:start + BATCH]), Ticket.department_id.in_(list(leads)))
        ):
            late[department_id].append(number)
    template = current_app.config.get("CLOCK_OVERDUE_SMS", DEFAULT_OVERDUE_SMS)
    sent = 0
    for department_id, numbers in late.items():
        numbers = sorted(set(numbers))
        shown = "、".join(numbers[:SMS_NUMBERS_SHOWN]) + ("等" if len(numbers) > SMS_NUMBERS_SHOWN else "")
        body = template.format(count=len(numbers), numbers=shown)
        for phone in leads[department_id]:
            try:
                outbox.queue_sms(phone, body, "clock_overdue")
                sent += 1
            except InvalidPhone:  # a lead's typo must not stop the sweep; the console still tells them
                log.warning("department %s lead phone %r is not a number", department_id, phone)
    return sent


def _open_clocks():
    return (
        select(Clock).join(Ticket, Clock.ticket_id == Ticket.id)
        .where(Clock.state.in_((ClockState.RUNNING, ClockState.PAUSED)))
        .options(selectinload(Clock.ticket)).order_by(Clock.due_at).limit(NOTICE_LIMIT)
    )


def overdue_for(user):
    """Overdue clocks a user is told of: every one for supervisors, the department's for its leads."""
    stmt = _open_clocks().where(Clock.overdue_at.is_not(None))
    if user.role == Role.SUPERVISOR:
        return db.session.scalars(stmt).all()
    if user.department_lead and user.department_id:
        return db.session.scalars(stmt.where(Ticket.department_id == user.department_id)).all()
    return []


def due_soon_for(user):
    """Warned, not yet overdue clocks on the user's own cases (a department user: its department's)."""
    stmt = _open_clocks().where(Clock.warned_at.is_not(None), Clock.overdue_at.is_(None))
    mine = [Ticket.assigned_to_id == user.id]
    if user.role == Role.DEPARTMENT and user.department_id:
        mine.append(Ticket.department_id == user.department_id)
    return db.session.scalars(stmt.where(or_(*mine))).all()
