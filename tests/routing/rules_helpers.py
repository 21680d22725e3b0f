"""Helpers shared by the routing-rule, forward and department tests."""

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import Category, Department, Role, TicketStatus
from hotline.seeds import seed_categories
from hotline.timeutil import now
from routing import services


@pytest.fixture
def world(app, make_user):
    """Categories, the three demo departments, a supervisor and an operator."""
    seed_categories()
    departments = {}
    for code, name, region, phone in [("MS01", "东城市场监管所", "东城区", "010-64000001"),
                                      ("MS02", "西城市场监管所", "西城区", None),
                                      ("MS03", "海淀市场监管所", "海淀区", "010-82000003")]:
        departments[code] = Department(code=code, name=name, region=region, contact_phone=phone,
                                       working_hours="08:30-17:30" if phone else None)
        db.session.add(departments[code])
    db.session.commit()
    supervisor = make_user(Role.SUPERVISOR)
    operator = make_user(Role.OPERATOR)
    return {"departments": departments, "supervisor": supervisor, "operator": operator}


def category(code):
    return db.session.scalar(select(Category).where(Category.code == code))


def add_rule(actor, reason="test", **changes):
    """A saved rule (committed); `department` may be a Department."""
    department = changes.pop("department", None)
    if department is not None:
        changes["department_id"] = department.id
    changes.setdefault("name", f"rule {changes.get('region') or changes.get('keywords') or 'catch-all'}")
    rule = services.create_rule(changes, actor, reason)
    db.session.commit()
    return rule


def accepted(create_ticket, **fields):
    """A complaint accepted at intake, as the decisions engineer's accept_ticket leaves it."""
    ticket = create_ticket(**fields)
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    ticket.accepted_at = now()
    db.session.commit()
    return ticket
