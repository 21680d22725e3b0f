"""Live-call control speaks real HTTP to Twilio's API as its OpenAPI spec defines it (Prism).

Prism answers with the spec's example, so the tests assert on the request that went out.
"""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Contact
from hotline.telephony import callcontrol
from tests.calls.test_operator_actions import available, english

pytestmark = pytest.mark.prism

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
OPERATOR_PHONE = "+8613911112222"


def use_twilio(app, base_url):
    app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN="test-auth-token",
                      TWILIO_API_BASE_URL=base_url)


def queued(phone):  # noqa: F811 (the fixture's product is passed in)
    caller = phone()
    caller.call()
    caller.press("1")
    db.session.expire_all()
    return caller, db.session.scalar(select(Contact).where(Contact.sid == caller.sid))


def test_connect_redirects_the_live_call_to_the_connect_twiml(app, prism_url, phone, call_clock, make_user):  # noqa: F811
    use_twilio(app, prism_url)
    caller, contact = queued(phone)
    operator = make_user(phone=OPERATOR_PHONE)
    control = callcontrol.call_control(app.config)
    assert isinstance(control, callcontrol.TwilioCallControl)

    with app.test_request_context():
        assert control.connect(contact, operator) is False  # answered later, by the whisper

    http = control.client.http_client
    assert http._test_only_last_response.status_code == 200
    request = http._test_only_last_request
    assert request.method == "POST"
    assert request.url == f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{caller.sid}.json"
    assert dict(request.data) == {
        "Url": f"http://hotline.test/twilio/voice/connect/{contact.id}/{operator.id}",
        "Method": "POST",
    }


def test_answer_button_with_twilio_rings_the_operator(app, prism_url, phone, call_clock, make_user, login, client):  # noqa: F811
    use_twilio(app, prism_url)
    caller, contact = queued(phone)
    operator = available(english(make_user(phone=OPERATOR_PHONE)))
    login(operator)

    page = client.post("/calls/answer-next", follow_redirects=True)

    assert "Your phone is ringing" in page.get_data(as_text=True)
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.answered_by_id == operator.id and contact.answered_at is None  # reserved, ringing


def test_a_refused_redirect_leaves_the_caller_queued(app, prism_url, phone, call_clock, make_user, login, client):  # noqa: F811
    # A PUBLIC_BASE_URL without a scheme makes the Url no URL: Prism, like Twilio, answers 422.
    use_twilio(app, prism_url)
    caller, contact = queued(phone)
    app.config["PUBLIC_BASE_URL"] = "hotline.example"
    login(available(english(make_user(phone=OPERATOR_PHONE))))

    page = client.post(f"/calls/{contact.id}/answer", follow_redirects=True)

    assert "Twilio could not put the call through" in page.get_data(as_text=True)
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.answered_by_id is None and contact.queued_at is not None and contact.ended_at is None


def test_an_unreachable_twilio_is_a_call_control_error(app, phone, call_clock, make_user):  # noqa: F811
    use_twilio(app, "http://127.0.0.1:9")  # discard port: nothing listens
    _, contact = queued(phone)
    control = callcontrol.call_control(app.config)
    with app.test_request_context(), pytest.raises(callcontrol.CallControlError):
        control.connect(contact, make_user(phone=OPERATOR_PHONE))


def test_hang_up_completes_the_live_call(app, prism_url, phone, call_clock, make_user):  # noqa: F811
    use_twilio(app, prism_url)
    caller, contact = queued(phone)
    control = callcontrol.call_control(app.config)
    control.hang_up(contact)

    request = control.client.http_client._test_only_last_request
    assert request.method == "POST"
    assert request.url == f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{caller.sid}.json"
    assert dict(request.data) == {"Status": "completed"}
    assert control.client.http_client._test_only_last_response.status_code == 200


def test_an_unreachable_twilio_cannot_hang_up(app, phone, call_clock):  # noqa: F811
    use_twilio(app, "http://127.0.0.1:9")
    _, contact = queued(phone)
    with pytest.raises(callcontrol.CallControlError):
        callcontrol.call_control(app.config).hang_up(contact)


def test_a_refused_hang_up_asks_twilio_how_the_call_ended(app, prism_url, phone, call_clock):  # noqa: F811
    """When Twilio refuses the hang-up, the call is fetched: a final status there ends it here."""
    use_twilio(app, prism_url)
    caller, contact = queued(phone)
    control = callcontrol.call_control(app.config)
    ended = control._ended(contact.sid)

    request = control.client.http_client._test_only_last_request
    assert request.method == "GET"
    assert request.url == f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{caller.sid}.json"
    assert control.client.http_client._test_only_last_response.status_code == 200
    assert ended is None or ended[0] in callcontrol.calls.FINAL_STATUSES
