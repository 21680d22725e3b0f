"""A callback visit's call speaks real HTTP to Twilio's API as its OpenAPI spec defines it (Prism).

Prism answers with the spec's example, so the tests assert on the request that went out.
"""

import pytest

from hotline.telephony import callcontrol
from tests.contract.test_call_control import ACCOUNT_SID, use_twilio

pytestmark = pytest.mark.prism

COMPLAINANT = "+8613800138000"
CALL_SID = "CA" + "fedcba9876543210" * 2


def test_place_call_creates_a_call_from_the_hotline_number(app, prism_url):
    use_twilio(app, prism_url)
    control = callcontrol.call_control(app.config)
    assert isinstance(control, callcontrol.TwilioCallControl)

    with app.test_request_context():
        sid = control.place_call(COMPLAINANT, "http://hotline.test/twiml", status_callback="http://hotline.test/status")

    http = control.client.http_client
    assert http._test_only_last_response.status_code == 201
    assert sid.startswith("CA")
    request = http._test_only_last_request
    assert request.method == "POST"
    assert request.url == f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert dict(request.data) == {
        "To": COMPLAINANT, "From": app.config["TWILIO_NUMBER"], "Url": "http://hotline.test/twiml",
        "Method": "POST", "StatusCallback": "http://hotline.test/status", "StatusCallbackMethod": "POST",
    }


def test_redirect_updates_the_live_call(app, prism_url):
    use_twilio(app, prism_url)
    control = callcontrol.call_control(app.config)
    with app.test_request_context():
        control.redirect(CALL_SID, "http://hotline.test/survey")
    request = control.client.http_client._test_only_last_request
    assert request.url == f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}.json"
    assert dict(request.data) == {"Url": "http://hotline.test/survey", "Method": "POST"}


def test_a_refused_call_is_a_call_control_error(app, prism_url):
    use_twilio(app, prism_url)  # a To that is no phone number: Prism, like Twilio, answers 4xx
    control = callcontrol.call_control(app.config)
    with app.test_request_context(), pytest.raises(callcontrol.CallControlError):
        control.place_call("", "not a url")
