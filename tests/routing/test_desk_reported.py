"""Defects a tester found on the desk and the case history: the department's case page shows its
deadlines, a return's reason and a forward's instructions read in words on the history, and a
report's desk speaks of checking, not mediating."""


import pytest

from hotline.deadlines.clocks import start_clock
from hotline.extensions import db
from hotline.models import ClockKind, Role, TicketKind, TicketStatus
from routing import services
from tests.routing.desk_helpers import came_in_days_ago, put_on_desk, texts


@pytest.fixture
def case(create_ticket, dept):
    def make(status=TicketStatus.FORWARDED, **fields):
        fields.setdefault("facts", "冰箱买回三天不制冷")
        return put_on_desk(create_ticket(**fields), dept, status)

    return make


def history(client, ticket):
    """The entries of the full case page's history, as read."""
    return texts(client.get(f"/tickets/{ticket.number}"), "timeline-entry")


def entry(client, ticket, label):
    (found,) = [text for text in history(client, ticket) if label in text]
    return found


@pytest.mark.parametrize(("locale", "label", "reason", "code"), [
    ("zh", "已退回热线", "信息不全", "missing_information"),
    ("en", "Returned to the hotline", "Information missing", "missing_information"),
])
def test_a_returns_reason_reads_in_words_on_the_history(client, staff, case, locale, label, reason, code):
    ticket = case()
    staff.locale = locale
    db.session.commit()
    client.post(f"/desk/tickets/{ticket.number}/return", data={"reason": code, "text": "缺少购买凭证"})
    # The department no longer holds the case: a supervisor reads the history.
    supervisor = staff
    supervisor.role, supervisor.department_id = Role.SUPERVISOR, None
    db.session.commit()
    returned = entry(client, ticket, label)
    assert reason in returned and code not in returned
    assert "缺少购买凭证" in returned


def test_every_forwards_instructions_stay_on_the_history(client, make_user, login, create_ticket, dept,
                                                         make_department):
    other = make_department("D02", "西城区市场监管所")
    supervisor = make_user(Role.SUPERVISOR)
    ticket = put_on_desk(create_ticket(), dept, TicketStatus.ACCEPTED)
    services.forward(ticket, dept, supervisor, instructions="请三日内联系商家")
    ticket.status = TicketStatus.ACCEPTED  # returned by the department
    services.forward(ticket, other, supervisor, instructions="请核实经营地址")
    db.session.commit()
    login(supervisor)
    forwards = [text for text in history(client, ticket) if "已转办承办部门" in text]
    assert len(forwards) == 2
    assert "请三日内联系商家" in forwards[0] and "请核实经营地址" in forwards[1]
    assert "转办意见" in forwards[0]


def test_the_departments_case_page_shows_its_deadline(client, staff, case, app):
    ticket = case(TicketStatus.IN_PROGRESS)
    mediation = start_clock(ticket, ClockKind.MEDIATION)
    start_clock(ticket, ClockKind.CALLBACK)  # the hotline's own: not the department's to see here
    mediation.estimated = True
    db.session.commit()
    desk_list = texts(client.get("/desk?tab=in_progress"), "desk-row")[0]
    page = client.get(f"/desk/tickets/{ticket.number}")
    (deadline,) = texts(page, "desk-deadline")
    due = deadline.split("调解", 1)[1].replace("*", "").strip()
    assert deadline.startswith("调解") and due in desk_list
    assert deadline.endswith("*")  # the date is estimated, as the case page's clock panel marks it


def test_a_reports_desk_speaks_of_checking_not_mediation(client, staff, case):
    ticket = case(TicketStatus.IN_PROGRESS, kind=TicketKind.REPORT, facts="无证经营")
    yesterday = came_in_days_ago(ticket, 3)
    client.post(f"/desk/tickets/{ticket.number}/steps",
                data={"kind": "business_contact", "on": yesterday, "text": "电话联系经营者"})
    client.post(f"/desk/tickets/{ticket.number}/steps",
                data={"kind": "mediation", "on": yesterday, "text": "现场核查"})
    page = client.get(f"/desk/tickets/{ticket.number}")
    body = page.get_data(as_text=True)
    assert "调解" not in body
    assert "核查记录" in body
    assert [step.split(" ")[1] for step in texts(page, "desk-step")] == ["与经营者联系", "处理步骤"]
    steps = [text for text in history(client, ticket) if "电话联系经营者" in text or "现场核查" in text]
    assert "与经营者联系" in steps[0] and "处理步骤" in steps[1]
    assert not any("调解" in text for text in steps)


def test_a_complaints_steps_keep_their_words(client, staff, case):
    ticket = case(TicketStatus.IN_PROGRESS)
    yesterday = came_in_days_ago(ticket, 3)
    client.post(f"/desk/tickets/{ticket.number}/steps",
                data={"kind": "business_contact", "on": yesterday, "text": "电话联系商家"})
    client.post(f"/desk/tickets/{ticket.number}/steps",
                data={"kind": "mediation", "on": yesterday, "text": "组织双方调解"})
    assert "调解记录" in client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    steps = [text for text in history(client, ticket) if "电话联系商家" in text or "组织双方调解" in text]
    assert "与经营者联系" in steps[0] and "调解步骤" not in steps[0]
    assert "调解步骤" in steps[1]
