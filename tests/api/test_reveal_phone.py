"""The API twin of "show full number" (console.reveal_phone): the calling number in full for
whoever hotline.access lets see it, each reveal in the audit log; nobody else gets a digit more."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Channel, Role, TicketKind

CALLER = "+8613812345678"


def _reveal(api, number, **kwargs):
    return api.post(f"/api/v1/tickets/{number}/reveal-phone", **kwargs)


def _reveals(number):
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal_phone",
                                                     AuditLog.target_id == number)).all()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_the_hotline_reads_the_number_in_full_and_the_reveal_is_audited(as_role, create_ticket, role):
    ticket = create_ticket(phone=CALLER)
    api = as_role(role)
    assert api.get(f"/api/v1/tickets/{ticket.number}").json["phone_masked"] == "138****5678"

    response = _reveal(api, ticket.number)
    assert response.status_code == 200
    assert response.json == {"number": ticket.number, "phone": CALLER, "phone_masked": "138****5678",
                             "complainant_phone": None, "complainant_phone_masked": None}
    (entry,) = _reveals(ticket.number)
    assert entry.user_id is not None and entry.data == {"via": "api"}


def test_a_number_typed_for_the_complainant_is_revealed_beside_the_calling_one(as_role, create_ticket,
                                                                               make_department):
    """Someone calls for a relative: the complainant's own number is the one to call back; a case
    filed through the API or the web has no calling number at all, only the complainant's."""
    own = make_department("D01", "海淀分局")
    relayed = create_ticket(phone=CALLER, complainant_phone="+8613700137071")
    filed = create_ticket(phone=None, channel=Channel.API, complainant_phone="+8613755556666")
    filed.department_id = own.id
    db.session.commit()
    both = _reveal(as_role(Role.OPERATOR), relayed.number).json
    assert (both["phone"], both["complainant_phone"], both["complainant_phone_masked"]) == (
        CALLER, "+8613700137071", "137****7071")
    only = _reveal(as_role(Role.DEPARTMENT, department=own), filed.number)
    assert only.status_code == 200 and (only.json["phone"], only.json["complainant_phone"]) == (None, "+8613755556666")
    assert len(_reveals(relayed.number)) == 1 and len(_reveals(filed.number)) == 1


def test_the_department_mediating_a_complaint_may_another_may_not(as_role, create_ticket, make_department):
    own, other = make_department("D01", "海淀分局"), make_department("D02", "朝阳分局")
    ticket = create_ticket(phone=CALLER, kind=TicketKind.COMPLAINT)
    ticket.department_id = own.id
    db.session.commit()
    assert _reveal(as_role(Role.DEPARTMENT, department=own), ticket.number).json["phone"] == CALLER
    assert _reveal(as_role(Role.DEPARTMENT, department=other), ticket.number).status_code == 404
    assert len(_reveals(ticket.number)) == 1


@pytest.mark.parametrize("fields", [{"kind": TicketKind.REPORT}, {"kind": TicketKind.COMPLAINT, "anonymous": True}])
def test_a_department_never_learns_who_reported(as_role, create_ticket, make_department, fields):
    own = make_department("D01", "海淀分局")
    ticket = create_ticket(phone=CALLER, channel=Channel.SMS, **fields)
    ticket.department_id = own.id
    db.session.commit()
    response = _reveal(as_role(Role.DEPARTMENT, department=own), ticket.number)
    assert response.status_code == 403 and CALLER not in response.get_data(as_text=True)
    assert _reveals(ticket.number) == []


def test_a_confidential_reporters_number_never_leaves_through_the_api(as_role, create_ticket):
    ticket = create_ticket(phone=CALLER, kind=TicketKind.REPORT, confidential=True)
    response = _reveal(as_role(Role.SUPERVISOR), ticket.number)
    assert response.status_code == 403 and "13812345678" not in response.get_data(as_text=True)
    assert _reveals(ticket.number) == []


def test_refusals_are_clear_and_write_nothing(as_role, create_ticket, api):
    ticket = create_ticket(phone=CALLER)
    operator = as_role(Role.OPERATOR)
    assert _reveal(as_role(Role.ADMIN), ticket.number).status_code == 403
    assert _reveal(api, ticket.number).status_code == 401  # no token
    assert _reveal(operator, "20990101-99999").status_code == 404
    assert _reveal(operator, ticket.number, json={"why": "curious"}).json["fields"] == {"why": "unknown field"}
    assert _reveal(operator, ticket.number, data="[", content_type="application/json").status_code == 400
    no_caller = create_ticket(phone=None)
    assert _reveal(operator, no_caller.number).status_code == 409
    assert _reveals(ticket.number) == [] and _reveals(no_caller.number) == []
    assert _reveal(operator, ticket.number, json={}).status_code == 200  # an empty object is no body
