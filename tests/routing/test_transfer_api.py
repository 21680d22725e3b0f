"""The API twin of the referral page's "transfer the call" (routing/api.py): the case is referred
and the caller's live call moved, as the console does it; nothing changes when it cannot be."""

import pytest
from twilio.base.exceptions import TwilioRestException

from hotline.extensions import db
from hotline.models import Role, TicketStatus
from hotline.telephony.callcontrol import SandboxCallControl, TwilioCallControl
from hotline.timeutil import now
from routing import api as routing_api
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.routing.test_referrals import _events, _live_call, _outbox


@pytest.fixture
def operator_api(as_role):  # noqa: F811
    return as_role(Role.OPERATOR)


def transfer(client, ticket, body):
    return client.post(f"/api/v1/tickets/{ticket.number}/transfer", json=body)


def test_the_caller_on_the_line_is_moved_and_the_case_referred(app, operator_api, directory, create_ticket):
    ticket = create_ticket(facts="话费多扣")
    contact = _live_call(ticket)

    response = transfer(operator_api, ticket, {"referral": "12300", "note": "转通信管理局"})

    assert response.status_code == 200, response.json
    assert response.json["status"] == "referred" and response.json["referral"]["hotline"] == "12300"
    performed = SandboxCallControl.performed[-1]
    assert performed["call"] == contact.sid
    assert performed["update"]["url"] == f"{app.config['PUBLIC_BASE_URL']}/twilio/referrals/transfer/{ticket.id}/12300"
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REFERRED and ticket.referral.key == "12300"
    [event] = _events(ticket, "call_transferred")
    assert event.data["contact_id"] == contact.id
    assert len(_outbox(ticket)) == 1  # the referral SMS, as the console's transfer sends


def test_no_caller_on_the_line_is_409_and_the_case_stays_new(operator_api, directory, create_ticket):
    ticket = create_ticket()
    ended = _live_call(ticket)
    ended.ended_at = now()
    db.session.commit()
    before = len(SandboxCallControl.performed)

    response = transfer(operator_api, ticket, {"referral": "12300"})

    assert response.status_code == 409 and "not on the line" in response.json["message"]
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and _outbox(ticket) == []
    assert len(SandboxCallControl.performed) == before


def test_when_twilio_refuses_nothing_is_changed(operator_api, directory, create_ticket, monkeypatch):
    class Refusing:
        def calls(self, sid):
            raise TwilioRestException(400, "https://api.twilio.com/x", msg="Call is not in-progress")

    monkeypatch.setattr(routing_api, "call_control", lambda config: TwilioCallControl(Refusing()))
    ticket = create_ticket()
    _live_call(ticket)

    assert transfer(operator_api, ticket, {"referral": "12300"}).status_code == 502
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and _outbox(ticket) == [] and _events(ticket, "referred") == []


def test_bad_choices_are_422_and_the_wrong_roles_403(as_role, operator_api, directory, create_ticket):  # noqa: F811
    ticket = create_ticket()
    _live_call(ticket)
    unknown = transfer(operator_api, ticket, {"referral": "nope"})
    assert unknown.status_code == 422 and set(unknown.json["fields"]) == {"referral"}
    assert transfer(operator_api, ticket, {}).status_code == 422
    assert transfer(as_role(Role.ADMIN), ticket, {"referral": "12300"}).status_code == 403
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW


def test_a_referred_case_is_not_transferred_again_elsewhere(operator_api, directory, create_ticket):
    ticket = create_ticket()
    _live_call(ticket)
    assert transfer(operator_api, ticket, {"referral": "12300"}).status_code == 200
    again = transfer(operator_api, ticket, {"referral": "12378"})
    assert again.status_code == 409
    db.session.refresh(ticket)
    assert ticket.referral.key == "12300"
