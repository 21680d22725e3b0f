"""A call's Twilio id (CA…) is for the hotline's own troubleshooting: the operator's case page offers
it under "Twilio reference"; a department's view of the same forwarded case does not."""

import pytest

from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, Role
from hotline.timeutil import now
from tests.routing.desk_helpers import put_on_desk

SID = "CA0123456789abcdef0123456789abcdef"


@pytest.fixture
def forwarded_call_case(create_ticket, dept):
    ticket = put_on_desk(create_ticket(respondent_name="某某食品店"), dept)
    db.session.add(Contact(sid=SID, channel=Channel.VOICE, direction=Direction.INBOUND, ticket=ticket,
                           caller=ticket.caller, from_number=ticket.caller.phone, queued_at=now(),
                           answered_at=now(), ended_at=now(), status="completed"))
    db.session.commit()
    return ticket


@pytest.mark.parametrize(("role", "shown"), [(Role.OPERATOR, True), (Role.SUPERVISOR, True), (Role.DEPARTMENT, False)])
def test_the_calls_twilio_id_is_shown_to_the_hotline_only(client, make_user, login, dept, forwarded_call_case,
                                                          role, shown):
    login(make_user(role, department=dept if role == Role.DEPARTMENT else None))
    response = client.get(f"/tickets/{forwarded_call_case.number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="timeline-entry"' in html  # the call itself is on the history either way
    assert (SID in html) is shown
    assert ("Twilio 编号" in html) is shown  # the zh label of "Twilio reference"
