"""The console tells people what the clock sweep found: the owner of a case due within a working
day, and supervisors and the department's lead of an overdue one."""

import pytest

from followup import escalation
from hotline.deadlines.clocks import start_clock
from hotline.extensions import db
from hotline.models import ClockKind, Role
from hotline.timeutil import clock_at

EN = {"Accept-Language": "en"}


@pytest.fixture
def late_case(calendar_2025, ticket_at, local, department, make_user):
    operator = make_user(Role.OPERATOR, username="owner")
    ticket = ticket_at(local(2025, 9, 30, 10, 0), department=department, assigned_to=operator)
    start_clock(ticket, ClockKind.ACCEPT)  # due 2025-10-16, end of day
    db.session.commit()
    return ticket


def page(client, login, user, path):
    login(user)
    body = client.get(path, headers=EN).get_data(as_text=True)
    client.post("/logout")
    return body


def test_the_owner_is_warned_on_the_console_a_working_day_before(client, login, make_user, late_case, local):
    other = make_user(Role.OPERATOR, username="someone-else")
    owner = late_case.assigned_to
    assert "due within one working day" not in page(client, login, owner, "/")
    with clock_at(local(2025, 10, 15, 9, 0)):
        escalation.sweep()
        db.session.commit()
    body = page(client, login, owner, "/")
    assert "1 case is due within one working day" in body and late_case.number in body
    assert "due within one working day" not in page(client, login, other, "/")


def test_overdue_cases_reach_supervisors_and_the_department_lead(client, login, make_user, late_case, department,
                                                                 local):
    supervisor = make_user(Role.SUPERVISOR)
    lead = make_user(Role.DEPARTMENT, department=department)
    lead.department_lead = True
    staff = make_user(Role.DEPARTMENT, department=department, username="not-a-lead")
    db.session.commit()
    with clock_at(local(2025, 10, 17, 0, 1)):
        escalation.sweep()
        db.session.commit()
    for user, path in ((supervisor, "/"), (lead, "/desk")):
        body = page(client, login, user, path)
        assert "1 case is overdue" in body and late_case.number in body, user.username
    assert "is overdue" not in page(client, login, staff, "/desk")
