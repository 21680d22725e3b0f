"""Escalation of legal clocks: warn before a clock runs out, escalate when it has.

The sweep is set-based and batched: it marks clocks with one UPDATE ... RETURNING per batch
and writes their events with one INSERT, so 100,000 open clocks take seconds. A clock is
warned once and escalated once (warned_at / overdue_at), so a second sweep changes nothing.
"""

import logging
from collections import defaultdict

from flask import current_app
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import selectinload

from followup.clocks import due_after
from hotline import outbox
from hotline.extensions import db
from hotline.models import Clock, ClockState, Department, Role, Ticket, TicketEvent, User
from hotline.phones import InvalidPhone
from hotline.timeutil import local_today, now

log = logging.getLogger("hotline.escalation")
BATCH = 2000
MAX_BATCHES = 10_000  # a bound, far above any real backlog
NOTICE_LIMIT = 50
SMS_NUMBERS_SHOWN = 5
# Sent to a department lead; Chinese data like hotline/smsrules.py. Config CLOCK_OVERDUE_SMS.
DEFAULT_OVERDUE_SMS = "【12315】贵部门有{count}件案件办理超期，案件编号：{numbers}。请登录工作台处理。"


def sweep(at=None):
    """Warn clocks due within one working day and escalate overdue ones; returns the counts."""
    at = at or now()
    horizon, _ = due_after(at, 1, "working")
    warned = _mark(Clock.warned_at, Clock.due_at.between(at, horizon), at, "clock_warned")
    overdue = _mark(Clock.overdue_at, Clock.due_at < at, at, "clock_overdue")
    sms = _text_department_leads({ticket_id for _id, ticket_id, _k, _d in overdue})
    return {"warned": len(warned), "overdue": len(overdue), "sms": sms}


def _mark(column, condition, at, event_type):
    """Stamp `column` on running clocks matching `condition`, batch by batch, with one event each."""
    tz = current_app.config["HOTLINE_TIMEZONE"]
    marked = []
    for _ in range(MAX_BATCHES):
        pending = (Clock.state == ClockState.RUNNING, column.is_(None), condition)
        ids = db.session.scalars(select(Clock.id).where(*pending).order_by(Clock.id).limit(BATCH)).all()
        if not ids:
            break
        rows = db.session.execute(
            update(Clock).where(Clock.id.in_(ids), *pending).values({column: at})
            .returning(Clock.id, Clock.ticket_id, Clock.kind, Clock.due_at)
            .execution_options(synchronize_session=False)
        ).all()
        if rows:
            db.session.execute(insert(TicketEvent), [
                {"ticket_id": ticket_id, "at": at, "type": event_type, "field": kind.value,
                 "to_value": local_today(tz, due).isoformat(), "data": {"clock_id": clock_id}}
                for clock_id, ticket_id, kind, due in rows
            ])
        marked.extend(rows)
    return marked


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
