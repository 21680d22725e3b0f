"""Rows for the report tests, written directly (no hooks), at local times of known days."""

from datetime import datetime, time, timedelta
from itertools import count

from hotline.extensions import db
from hotline.models import (
    Appeal,
    Category,
    CategoryGroup,
    Clock,
    Department,
    FollowUp,
    Survey,
    Ticket,
    TicketEvent,
)
from hotline.models.routing import ReferralEntry
from hotline.timeutil import local_to_utc, local_today

TZ = "Asia/Shanghai"
_numbers = count(1)


def today():
    return local_today(TZ)


def at(day, hour, minute=0):
    """Naive UTC of a local day and hour."""
    return local_to_utc(datetime.combine(day, time(hour, minute)), TZ)


def case(created, **fields):
    ticket = Ticket(number=f"R{next(_numbers):08d}", created_at=created, channel=fields.pop("channel", "voice"),
                    kind=fields.pop("kind", "complaint"), status=fields.pop("status", "accepted"), **fields)
    db.session.add(ticket)
    db.session.flush()
    return ticket


def event(ticket, moment, type_, **fields):
    db.session.add(TicketEvent(ticket_id=ticket.id, at=moment, type=type_, **fields))


def clock(ticket, kind, due, met=None, state=None):
    state = state or ("met" if met else "running")
    db.session.add(Clock(ticket_id=ticket.id, kind=kind, state=state, started_at=due - timedelta(days=3),
                         due_at=due, met_at=met))


def departments():
    a, b = Department(code="A", name="甲科"), Department(code="B", name="乙科")
    db.session.add_all([a, b])
    db.session.flush()
    return a, b


def category(code="appliances"):
    c = Category(group=CategoryGroup.GOODS, code=code, name_zh="家用电器", name_en="Appliances")
    db.session.add(c)
    db.session.flush()
    return c


def referral_entry():
    entry = ReferralEntry(key="12378", agency_zh="金融监管", agency_en="Financial regulator", hotline="12378")
    db.session.add(entry)
    db.session.flush()
    return entry


def six_cases(d):
    """The hand-worked case example over local days d, d+1, d+2 (see test_case_reports)."""
    a, b = departments()
    cat = category()
    entry = referral_entry()
    d1, d2, d3 = d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=3)
    t1 = case(at(d, 9), channel="voice", department_id=a.id, category_id=cat.id, respondent_region="海淀",
              respondent_name="甲商店", accepted_at=at(d, 10))
    event(t1, at(d, 10), "status", from_value="new", to_value="accepted")
    event(t1, at(d, 11), "status", from_value="forwarded", to_value="accepted")  # a return, not an acceptance
    clock(t1, "accept", due=at(d, 12), met=at(d, 11))
    clock(t1, "forward", due=at(d1, 12), met=at(d1, 13))
    t2 = case(at(d, 15), channel="sms", department_id=a.id, respondent_name="甲商店", status="new")
    clock(t2, "accept", due=at(d1, 10))
    clock(t2, "mediation", due=at(d1, 11), state="paused")
    clock(t2, "forward", due=at(d1, 11), state="cancelled")
    t3 = case(at(d1, 9), channel="web", kind="report", department_id=b.id, respondent_name="乙公司",
              status="rejected", reject_ground="time_barred")
    event(t3, at(d1, 10), "status", from_value="new", to_value="rejected")
    t4 = case(at(d1, 20), kind="consultation", status="referred", referral_id=entry.id)
    event(t4, at(d1, 21), "status", from_value="new", to_value="referred")
    t5 = case(at(d2, 23, 30), department_id=b.id)
    event(t5, at(d2, 23, 40), "returned", from_value=str(b.id), to_value="wrong_department")
    db.session.add(Appeal(ticket_id=t5.id, department_id=b.id, channel="sms", target="department",
                          created_at=at(d2, 23, 45)))
    case(at(d3, 0, 30), department_id=b.id)  # the next local day, though the same UTC date
    db.session.commit()
    return {"a": a, "b": b, "category": cat, "entry": entry, "tickets": [t1, t2, t3, t4, t5]}


def five_surveys(d, a, operator=None):
    """Surveys answered 5, 4, 2, one unanswered, one never sent; callbacks done, unreachable,
    scheduled (all due) and one cancelled."""
    for score, status in [(5, "answered"), (4, "answered"), (2, "answered"), (None, "unanswered"), (None, "pending")]:
        t = case(at(d, 8), department_id=a.id, status="closed", assigned_to_id=operator)
        sent = None if status == "pending" else at(d, 9)
        db.session.add(Survey(ticket_id=t.id, phone="+8613800138000", status=status, sent_at=sent, score=score,
                              answered_at=at(d, 10) if score else None, comment="差" if score == 2 else None))
    for status in ["done", "unreachable", "scheduled", "cancelled"]:
        t = case(at(d, 8), department_id=a.id, status="resolved")
        db.session.add(FollowUp(ticket_id=t.id, status=status, reason="handled", due_at=at(d, 11),
                                assigned_to_id=operator))
    db.session.commit()
