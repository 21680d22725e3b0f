"""Who sees who filed a case: anonymous and confidential reports, named complainants, on the
console's ticket page and through the REST API."""

import pytest

from hotline import accounts
from hotline.access import can_reveal_phone, can_see_identity
from hotline.extensions import db
from hotline.models import Department, Role, Ticket
from tests.intake.form.conftest import english
from tests.intake.form.helpers import COMPLAINT, post_form

NAME, ADDRESS, PHONE_MASKED = "王五", "广州市天河区体育西路", "139****9000"
REPORT = {
    "kind": "report", "complainant_name": NAME, "complainant_phone": "13900139000",
    "complainant_address": ADDRESS, "respondent_name": "某黑作坊", "facts": "在居民楼里生产食品，无证经营。",
}


@pytest.fixture
def filed(client, operator, call_ticket, department):
    """File a case through the form as the operator, then hand it to the department."""

    def file(**fields):
        ticket = call_ticket(operator, phone="+8613900139000")
        assert post_form(client, ticket, **fields).status_code == 302
        db.session.expire_all()
        saved = db.session.get(Ticket, ticket.id)
        saved.department_id = department.id
        db.session.commit()
        return saved

    return file


@pytest.fixture
def page_as(client, make_user, login, department):
    """The console's ticket page as seen by a new user of `role`."""

    def view(role, ticket):
        user = english(make_user(role=role, department=department if role == Role.DEPARTMENT else None))
        login(user)
        response = client.get(f"/tickets/{ticket.number}")
        if response.status_code == 404:
            return None  # the case is not this role's to see
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return view


@pytest.fixture
def api_as(client, make_user, department):
    def read(role, ticket):
        user = make_user(role=role, department=department if role == Role.DEPARTMENT else None)
        token, _ = accounts.create_token(user, "test")
        db.session.commit()
        response = client.get(f"/api/v1/tickets/{ticket.number}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        return response

    return read


def identity_shown(page):
    return NAME in page or ADDRESS in page or PHONE_MASKED in page


def test_confidential_reporter_seen_only_by_intake_staff_and_supervisors(filed, page_as):
    ticket = filed(**REPORT, confidential="y")
    assert ticket.confidential and not ticket.anonymous
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        page = page_as(role, ticket)
        assert NAME in page and ADDRESS in page and PHONE_MASKED in page
        assert "13900139000" not in page  # the full number still takes the audited reveal
    assert page_as(Role.ADMIN, ticket) is None  # admins see no case at all (issue 13)
    for role in (Role.DEPARTMENT,):
        page = page_as(role, ticket)
        assert "Confidential reporter" in page
        assert not identity_shown(page), role  # not in the details, the caller panel or the history
        assert 'id="reveal-phone"' not in page
        assert "某黑作坊" in page  # the case itself is still theirs to handle


def test_named_report_identity_withheld_from_departments(filed, page_as):
    ticket = filed(**REPORT)
    page = page_as(Role.DEPARTMENT, ticket)
    assert "Identity withheld" in page and not identity_shown(page)
    assert identity_shown(page_as(Role.SUPERVISOR, ticket))


def test_anonymous_report_shows_as_anonymous_to_everyone(filed, page_as):
    ticket = filed(kind="report", anonymous="y", respondent_name="某黑作坊", facts="无证经营。")
    for role in (Role.OPERATOR, Role.DEPARTMENT):
        page = page_as(role, ticket)
        detail = page.split('id="ticket-complainant">', 1)[1].split("</dd>", 1)[0]
        assert "Anonymous" in detail


def test_complainant_known_to_the_department_mediating(filed, page_as):
    ticket = filed(**dict(COMPLAINT, complainant_phone="13900139000"))
    page = page_as(Role.DEPARTMENT, ticket)
    assert COMPLAINT["complainant_name"] in page and "Confidential reporter" not in page


def test_api_never_gives_a_confidential_reporters_identity(filed, api_as):
    ticket = filed(**REPORT, confidential="y")
    for role in (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT):
        response = api_as(role, ticket)
        body = response.get_data(as_text=True)
        assert NAME not in body and ADDRESS not in body and "9000" not in body, (role, body)
        assert response.json["phone_masked"] is None and response.json["caller"]["phone_masked"] is None
        identity_events = [e for e in response.json["events"] if e["field"] == "complainant_name"]
        assert identity_events and all(e["to"] is None for e in identity_events)


def test_api_list_hides_a_confidential_reporters_number(filed, client, make_user):
    ticket = filed(**REPORT, confidential="y")
    token, _ = accounts.create_token(make_user(role=Role.OPERATOR), "test")
    db.session.commit()
    items = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert [(i["number"], i["phone_masked"]) for i in items] == [(ticket.number, None)]


def test_api_masks_phone_numbers_in_the_history(filed, api_as):
    ticket = filed(**dict(COMPLAINT, complainant_phone="13900139000"))
    response = api_as(Role.OPERATOR, ticket)
    phone_events = [e for e in response.json["events"] if e["field"] == "complainant_phone"]
    assert [e["to"] for e in phone_events] == [PHONE_MASKED]
    assert "13900139000" not in response.get_data(as_text=True)
    assert response.json["caller"]["name"] == COMPLAINT["complainant_name"]


def test_split_link_stays_with_intake_staff(client, operator, call_ticket, department, page_as, api_as):
    ticket = call_ticket(operator)
    post_form(client, ticket, **dict(COMPLAINT, kind="mixed", report_facts="销售无3C认证的电器。"))
    db.session.expire_all()
    complaint = db.session.get(Ticket, ticket.id)
    complaint.department_id = department.id
    db.session.commit()
    report_number = complaint.linked_ticket.number
    assert report_number in page_as(Role.SUPERVISOR, complaint)
    assert report_number not in page_as(Role.DEPARTMENT, complaint)
    assert report_number not in api_as(Role.DEPARTMENT, complaint).get_data(as_text=True)


def test_a_confidential_reporter_who_also_complains_keeps_the_complaint_mediable(client, operator, call_ticket,
                                                                                 department, page_as):
    """Complaint and report in one call, the reporter asking for confidentiality: the report is
    confidential, the complaint is not (its department must reach the complainant to mediate)."""
    ticket = call_ticket(operator)
    post_form(client, ticket, **dict(COMPLAINT, kind="mixed", report_facts="销售无3C认证的电器。", confidential="y"))
    db.session.expire_all()
    complaint = db.session.get(Ticket, ticket.id)
    assert (complaint.confidential, complaint.linked_ticket.confidential) == (False, True)
    complaint.department_id = department.id
    db.session.commit()
    assert COMPLAINT["complainant_name"] in page_as(Role.DEPARTMENT, complaint)


def test_privacy_rules(make_user, department, create_ticket):
    from hotline.models import TicketKind

    ticket = create_ticket(kind=TicketKind.REPORT)
    ticket.department_id, ticket.confidential = department.id, True
    dept_user = make_user(role=Role.DEPARTMENT, department=department)
    assert can_see_identity(make_user(role=Role.OPERATOR), ticket)
    assert not can_see_identity(dept_user, ticket) and not can_reveal_phone(dept_user, ticket)
    ticket.kind, ticket.confidential = TicketKind.COMPLAINT, False
    assert can_see_identity(dept_user, ticket) and can_reveal_phone(dept_user, ticket)
    other = Department(code="D02", name="别的所")
    db.session.add(other)
    db.session.flush()
    ticket.department_id = other.id
    assert not can_see_identity(dept_user, ticket)


def test_department_worklist_and_search_do_not_name_a_reporter(filed, client, make_user, login, department):
    ticket = filed(**REPORT, confidential="y")
    login(english(make_user(role=Role.DEPARTMENT, department=department)))
    for path in ("/", f"/search?q={ticket.number}"):
        listing = client.get(path).get_data(as_text=True)
        assert ticket.number in listing
        assert not identity_shown(listing), path


def _past_intake(ticket):
    from hotline import tickets
    from hotline.models import TicketStatus

    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    tickets.change_status(ticket, TicketStatus.FORWARDED)
    db.session.commit()
    return ticket


@pytest.mark.parametrize("confidential", [None, "y"])
def test_a_forwarded_report_edited_into_a_complaint_is_refused_on_the_form(client, operator, filed, page_as,
                                                                          confidential):
    """The edit form let a forwarded report become a complaint, which named the reporter to the
    department holding it."""
    ticket = _past_intake(filed(**REPORT, confidential=confidential))
    as_complaint = {**COMPLAINT, "complainant_name": NAME, "complainant_phone": "13900139000",
                    "complainant_address": ADDRESS}

    response = post_form(client, ticket, **as_complaint)  # refused before any "confirm N changes"

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A report already past intake stays a report" in page and 'name="confirm"' not in page
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).kind.value == "report"
    assert not identity_shown(page_as(Role.DEPARTMENT, ticket))


def test_a_forwarded_confidential_report_keeps_its_confidentiality_on_the_form(client, operator, filed):
    ticket = _past_intake(filed(**REPORT, confidential="y"))
    response = post_form(client, ticket, **REPORT, confirm="y")  # the box left unticked
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "it stays confidential" in page
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).confidential is True
