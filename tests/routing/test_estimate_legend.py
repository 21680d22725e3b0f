"""The estimate mark `*` beside a due date counted without the official holiday calendar is
explained once, under the list or table that shows it, on every page that shows it: the desk
list, the desk's case page, the case page's time limits, the wall's late cases. No mark, no
explanation."""

from datetime import timedelta

import pytest

from hotline.deadlines.clocks import start_clock
from hotline.extensions import db
from hotline.models import Clock, ClockKind, Role, TicketStatus
from hotline.timeutil import now
from tests.routing.desk_helpers import put_on_desk
from tests.routing.rules_helpers import accepted

LEGEND = 'data-testid="estimate-legend"'
MARK = 'data-testid="estimate-mark"'
WORDS = "* 估算值：该期间部分日期没有官方日历数据（按周一至周五为工作日计算）。"


@pytest.fixture
def desk_case(create_ticket, dept):
    def make(estimated):
        ticket = put_on_desk(create_ticket(facts="冰箱买回三天不制冷"), dept, TicketStatus.IN_PROGRESS)
        clock = start_clock(ticket, ClockKind.MEDIATION)
        clock.estimated = estimated
        db.session.commit()
        return ticket

    return make


def marks_and_legends(html):
    return html.count(MARK), html.count(LEGEND)


@pytest.mark.parametrize("estimated", [True, False])
def test_the_desk_list_and_case_page_explain_the_mark(client, staff, desk_case, estimated):
    ticket = desk_case(estimated)
    desk_case(estimated)  # two rows: still one explanation
    listing = client.get("/desk?tab=in_progress").get_data(as_text=True)
    assert marks_and_legends(listing) == ((2, 1) if estimated else (0, 0))
    page = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert marks_and_legends(page) == ((1, 1) if estimated else (0, 0))
    if estimated:
        assert WORDS in listing and WORDS in page
        assert listing.index(LEGEND) > listing.index("</table>")  # under the table


@pytest.mark.parametrize("estimated", [True, False])
def test_the_case_pages_time_limits_explain_the_mark(client, make_user, login, desk_case, estimated):
    ticket = desk_case(estimated)
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert marks_and_legends(page) == ((1, 1) if estimated else (0, 0))


@pytest.mark.parametrize("estimated", [True, False])
def test_the_walls_late_cases_explain_the_mark(client, make_user, login, desk_case, estimated):
    ticket = desk_case(estimated)
    clock = db.session.query(Clock).filter_by(ticket_id=ticket.id).one()
    clock.due_at = now() - timedelta(hours=2)
    db.session.commit()
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/dashboard/late?department={ticket.department_id}&which=overdue").get_data(as_text=True)
    assert page.count('data-testid="late-case"') == 1
    assert marks_and_legends(page) == ((1, 1) if estimated else (0, 0))


@pytest.mark.parametrize("estimated", [True, False])
def test_the_triage_lists_forwarding_deadlines_explain_the_mark(client, make_user, login, create_ticket, estimated):
    for facts in ("快递丢件", "空调不制冷"):  # two rows: still one explanation
        ticket = accepted(create_ticket, facts=facts)
        start_clock(ticket, ClockKind.FORWARD).estimated = estimated
    db.session.commit()
    login(make_user(Role.SUPERVISOR))
    page = client.get("/routing/triage").get_data(as_text=True)
    assert marks_and_legends(page) == ((2, 1) if estimated else (0, 0))
    if estimated:
        assert WORDS in page and page.index(LEGEND) > page.index("</table>")
