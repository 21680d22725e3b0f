"""Issue 13: a department never ties a confidential or anonymous report to a person.

The attack as the issue saw it: one number texts a confidential report, later files a named
complaint, both are forwarded to one department; that department's user looks the number (or
its last four digits) up in the console and the API, and opens the complaint to see its
"other cases". Each path goes through hotline.access; each is tried here."""

import re

import pytest

from hotline.extensions import db
from hotline.models import AuditLog, Channel, Role, TicketKind, TicketStatus
from tests.conftest import PASSWORD

PHONE = "+8613912345678"
LAST4 = "5678"


@pytest.fixture
def world(create_ticket, make_department):
    dept = make_department(code="MS01", name="朝阳市场监管所")
    other = make_department(code="MS02", name="海淀市场监管所")
    report = create_ticket(phone=PHONE, channel=Channel.SMS, kind=TicketKind.REPORT, confidential=True,
                           facts="某药店无证销售处方药", respondent_name="某药店", department=dept)
    anonymous = create_ticket(phone=PHONE, kind=TicketKind.REPORT, anonymous=True, facts="某餐馆后厨脏乱",
                              respondent_name="某餐馆", department=dept)
    complaint = create_ticket(phone=PHONE, complainant_name="王小明", facts="买的手机是翻新机，要求退货",
                              respondent_name="某手机店", department=dept)
    elsewhere = create_ticket(phone=PHONE, complainant_name="王小明", facts="健身房跑路", department=other)
    for ticket in (report, anonymous, complaint, elsewhere):
        ticket.status = TicketStatus.FORWARDED
    db.session.commit()
    return {"dept": dept, "report": report, "anonymous": anonymous, "complaint": complaint,
            "elsewhere": elsewhere}


def _console(client, make_user, role, department=None):
    user = make_user(role=role, department=department)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _found(client, query):
    """The case links a search lists (the page also repeats the query itself in its links)."""
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return " ".join(re.findall(r'href="/tickets/([\d-]+)"', response.get_data(as_text=True)))


@pytest.mark.parametrize("query", [PHONE, "13912345678", LAST4, "139 1234 5678"])
def test_a_department_finds_by_number_only_the_complaints_it_mediates(client, make_user, world, query):
    _console(client, make_user, Role.DEPARTMENT, world["dept"])
    page = _found(client, query)
    assert world["complaint"].number in page
    for hidden in ("report", "anonymous", "elsewhere"):
        assert world[hidden].number not in page, hidden


def test_a_department_still_finds_the_report_by_its_number_and_words(client, make_user, world):
    """It handles the report: the case itself is not hidden, only who filed it."""
    _console(client, make_user, Role.DEPARTMENT, world["dept"])
    assert world["report"].number in _found(client, world["report"].number)
    assert world["report"].number in _found(client, "处方药")


def test_the_complaints_page_lists_no_report_among_the_callers_other_cases(client, make_user, world):
    _console(client, make_user, Role.DEPARTMENT, world["dept"])
    page = client.get(f"/tickets/{world['complaint'].number}").get_data(as_text=True)
    assert "王小明" in page  # the complainant, whose case the department mediates
    for hidden in ("report", "anonymous"):
        assert world[hidden].number not in page, hidden


def test_the_reports_page_shows_neither_the_reporter_nor_their_other_cases(client, make_user, world):
    _console(client, make_user, Role.DEPARTMENT, world["dept"])
    page = client.get(f"/tickets/{world['report'].number}").get_data(as_text=True)
    assert "某药店" in page
    assert world["complaint"].number not in page and "王小明" not in page and LAST4 not in page


def test_operators_find_every_case_of_the_number(client, make_user, world):
    _console(client, make_user, Role.OPERATOR)
    page = _found(client, LAST4)
    for name in ("report", "anonymous", "complaint", "elsewhere"):
        assert world[name].number in page, name


def test_admins_see_no_case(client, make_user, world):
    _console(client, make_user, Role.ADMIN)
    assert world["complaint"].number not in _found(client, LAST4)
    assert world["report"].number not in _found(client, world["report"].number)
    assert client.get(f"/tickets/{world['complaint'].number}").status_code == 404


@pytest.mark.parametrize("phone", [LAST4, PHONE])
def test_the_apis_phone_filter_keeps_the_same_rule(as_role, world, phone):
    api = as_role(Role.DEPARTMENT, department=world["dept"])
    listed = api.get("/api/v1/tickets", query_string={"phone": phone})
    assert listed.status_code == 200
    assert [t["number"] for t in listed.json["items"]] == [world["complaint"].number]
    assert listed.json["total"] == 1
    everything = api.get("/api/v1/tickets").json
    assert world["report"].number in [t["number"] for t in everything["items"]]  # its own case, unnamed


def test_the_intake_form_masks_the_calling_number_until_an_audited_reveal(client, make_user, create_ticket):
    ticket = create_ticket(phone=PHONE, kind=TicketKind.UNKNOWN)
    _console(client, make_user, Role.OPERATOR)
    page = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    assert "139****5678" in page
    assert "13912345678" not in page
    revealed = client.post(f"/intake/tickets/{ticket.number}/reveal-phone")
    assert revealed.status_code == 200
    assert "13912345678" in revealed.get_data(as_text=True) or PHONE in revealed.get_data(as_text=True)
    entry = db.session.query(AuditLog).filter_by(action="reveal_phone", target_id=ticket.number).one()
    assert entry.user_id is not None


# A confidential reporter texts the hotline and says who they are; the operator rewrites the
# facts for the department. The text stays the case's summary and its SMS contact.
OWN_WORDS = "举报东城区海鲜酒楼卖病死猪肉。我是王五，身份证110105199001011234，电话13911112222，请保密。"
WHO = ("王五", "110105199001011234", "13911112222", "1234")


@pytest.fixture
def texted_report(create_ticket, make_department):
    from hotline.models import Contact, Direction

    dept = make_department(code="MS01", name="东城市场监管所")
    report = create_ticket(phone="+8613911112222", channel=Channel.SMS, kind=TicketKind.REPORT, confidential=True,
                           summary=OWN_WORDS[:60], facts="海鲜酒楼卖病死猪肉。", respondent_name="海鲜酒楼",
                           department=dept)
    report.status = TicketStatus.FORWARDED
    db.session.add(Contact(channel=Channel.SMS, direction=Direction.INBOUND, ticket=report, caller=report.caller,
                           from_number="+8613911112222", body=OWN_WORDS, status="received"))
    db.session.commit()
    return report, dept


def test_a_department_never_reads_a_confidential_reporters_own_texts(client, make_user, texted_report, as_role):
    """Walked from outside (issue 13's attack, by SMS): the reporter's own words, kept as the
    summary and the SMS contact, named them; lists, search, the case page and the API showed it."""
    report, dept = texted_report
    _console(client, make_user, Role.DEPARTMENT, dept)
    pages = [client.get(path).get_data(as_text=True) for path in ("/", "/desk", f"/tickets/{report.number}")]
    assert report.number in pages[0] and report.number in pages[1] and "海鲜酒楼卖病死猪肉" in pages[0]
    assert "短信原文不予显示" in pages[2] or "Text withheld" in pages[2]
    for page in pages:
        assert not any(word in page for word in WHO[:3])
    for query in WHO[:3]:
        assert report.number not in _found(client, query), query
    assert report.number in _found(client, "病死猪肉")  # the department still finds it by the facts
    api = as_role(Role.DEPARTMENT, department=dept)
    detail = api.get(f"/api/v1/tickets/{report.number}")
    assert detail.status_code == 200 and not any(word in detail.get_data(as_text=True) for word in WHO[:3])
    for query in WHO[:3]:
        listed = api.get("/api/v1/tickets", query_string={"text": query}).json
        assert report.number not in [t["number"] for t in listed["items"]], query


def test_the_hotline_still_reads_the_reporters_texts_on_the_case_page(client, make_user, texted_report):
    report, _dept = texted_report
    _console(client, make_user, Role.OPERATOR)
    page = client.get(f"/tickets/{report.number}").get_data(as_text=True)
    assert "我是王五" in page
    assert report.number in _found(client, "王五")
