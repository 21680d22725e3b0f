"""An operator works the callback list: places the call (sandbox), records "not reached", and
at the next try records "satisfied", which closes the case."""

from datetime import timedelta

import pytest

from followup import callback_visits
from hotline import tickets
from hotline.extensions import db
from hotline.models import FollowUp, Role, Ticket, TicketStatus
from hotline.timeutil import now

pytestmark = pytest.mark.e2e


def handled_case(app):
    """A complaint with its result recorded and its visit due a minute ago; returns (number, visit id)."""
    with app.app_context():
        ticket = tickets.open_ticket("voice", caller=tickets.find_or_create_caller("+8613800138000"),
                                     kind="complaint", facts="空调不制冷")
        for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
            tickets.change_status(ticket, status)
        visit = callback_visits.open_visit(ticket)
        visit.due_at = now() - timedelta(minutes=1)
        db.session.commit()
        return ticket.number, visit.id


def make_due(app, visit_id):
    """The retry's moment has come."""
    with app.app_context():
        db.session.get(FollowUp, visit_id).due_at = now() - timedelta(minutes=1)
        db.session.commit()


def record(page, outcome, note):
    page.check(f"input[name=outcome][value={outcome}]")
    page.fill("#visit-note", note)
    with page.expect_navigation():
        page.click("#visit-save")


def test_not_reached_then_satisfied(live_server, browser_page, browser_errors, sign_in):
    app, page = live_server.app, browser_page
    live_server.create_user(Role.OPERATOR, "op1", phone="+8613911112222")
    number, visit_id = handled_case(app)
    sign_in(page, "op1")

    page.goto(f"{live_server.url}/followup/callbacks/")
    with page.expect_navigation():
        page.click(f"#callbacks-now tr[data-number='{number}'] a.button")
    with page.expect_navigation():
        page.click("#visit-call")
    assert page.locator("[data-testid=attempt][data-outcome='']").count() == 1  # the call, outcome pending
    record(page, "not_reached", "无人接听")
    assert page.locator("[data-testid=attempt][data-outcome=not_reached]").count() == 1
    assert page.locator("#visit-tries").inner_text().startswith("1")

    page.goto(f"{live_server.url}/followup/callbacks/")
    assert page.locator(f"#callbacks-now tr[data-number='{number}']").count() == 0  # retry is later
    make_due(app, visit_id)
    page.reload()
    with page.expect_navigation():
        page.click(f"#callbacks-now tr[data-number='{number}'] a.button")
    record(page, "satisfied", "已退款")

    assert page.locator("#visit-status").get_attribute("data-status") == "done"
    with app.app_context():
        assert db.session.scalar(db.select(Ticket.status).where(Ticket.number == number)) == TicketStatus.CLOSED
    assert browser_errors == []
