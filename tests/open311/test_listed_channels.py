"""Open311 GETs as a stranger would use them to find other people's cases: only cases filed
through Open311 are listed; a phone, SMS or web case is unknown to Open311, by list, by id and
by id filter, exactly like a number that does not exist."""

import pytest

from hotline.extensions import db
from hotline.models import Channel, Ticket
from tests.open311.conftest import BASE, FORMATS
from tests.open311.test_endpoints import _post


@pytest.fixture
def cases(o311, api_key, create_ticket):
    """One case per channel; the Open311 one filed through the API itself."""
    response, data = _post(o311, "json", api_key)
    assert response.status_code == 201
    filed = db.session.query(Ticket).filter_by(number=data[0]["service_request_id"]).one()
    return {
        Channel.OPEN311: filed,
        Channel.VOICE: create_ticket(phone="+8613800138001", channel=Channel.VOICE),
        Channel.SMS: create_ticket(phone="+8613800138002", channel=Channel.SMS),
        Channel.WEB: create_ticket(phone="+8613800138003", channel=Channel.WEB),
        Channel.API: create_ticket(phone="+8613800138004", channel=Channel.API),
    }


def _listed(o311, fmt, **params):
    response, data = o311.get("requests", fmt, **params)
    assert response.status_code == 200
    return {r["service_request_id"] for r in data}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_list_holds_only_cases_filed_through_open311(o311, cases, fmt):
    assert _listed(o311, fmt) == {cases[Channel.OPEN311].number}
    everything = ",".join(t.number for t in cases.values())
    assert _listed(o311, fmt, service_request_id=everything) == {cases[Channel.OPEN311].number}
    assert _listed(o311, fmt, status="open,closed") == {cases[Channel.OPEN311].number}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("channel", [Channel.VOICE, Channel.SMS, Channel.WEB, Channel.API])
def test_another_channels_case_by_id_is_a_404_like_an_unknown_number(client, cases, fmt, channel):
    number = cases[channel].number
    unknown = "20991231-99999"
    hidden = client.get(f"{BASE}/requests/{number}.{fmt}")
    missing = client.get(f"{BASE}/requests/{unknown}.{fmt}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data(as_text=True).replace(number, unknown) == missing.get_data(as_text=True)
    assert hidden.headers["Content-Type"] == missing.headers["Content-Type"]
    assert client.get(f"{BASE}/requests/{cases[Channel.OPEN311].number}.{fmt}").status_code == 200


def test_a_deployment_may_list_web_form_cases_but_never_phone_or_sms(app, o311, cases):
    app.config["OPEN311_LISTED_CHANNELS"] = ["open311", "api", "web", "voice", "sms"]
    listed = _listed(o311, "json")
    assert listed == {cases[c].number for c in (Channel.OPEN311, Channel.API, Channel.WEB)}
    for channel in (Channel.VOICE, Channel.SMS):
        assert o311.get(f"requests/{cases[channel].number}", "json")[0].status_code == 404
