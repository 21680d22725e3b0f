"""A third-party Open311 client from PyPI (civicbot's GeoReport v2 client) against the app
served over HTTP: it lists services, reads a service definition, posts a request with an
api_key and reads it back, by id and through its token."""

import importlib.util
import threading

import pytest
from werkzeug.serving import make_server

from hotline.extensions import db
from hotline.models import Open311Request
from hotline.open311 import services
from hotline.seeds import seed_categories
from tests.conftest import require


@pytest.fixture
def served(app):
    """(base URL, plain api_key): the test's app on a free loopback port, stopped afterwards."""
    seed_categories()
    plain, _key = services.issue_key(None, "civicbot", 60)
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="open311-live", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2", plain
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def client_for():
    require("civicbot", importlib.util.find_spec("civicbot") is not None,
            "the third-party Open311 client (requirements-dev.txt)")
    from civicbot.http import HttpTransport, RateLimiter
    from civicbot.open311 import CONFIRM_TOKEN, Open311Client
    from civicbot.registry import Endpoint

    def make(base_url):
        endpoint = Endpoint(id="hotline", name="Hotline", base_url=base_url, write=True)
        # Its politeness delay between calls is for real cities, not a test server.
        transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))
        return Open311Client(endpoint, transport=transport), CONFIRM_TOKEN

    return make


def test_a_third_party_client_lists_posts_and_reads_back(served, client_for):
    base_url, api_key = served
    georeport, confirm = client_for(base_url)

    codes = [s["service_code"] for s in georeport.list_services()]
    assert "S04" in codes and "G01" in codes
    definition = georeport.get_service_definition("S04")
    assert [a["code"] for a in definition["attributes"]][:2] == ["problem_type", "operator_first"]

    # validate_remote: the client checks its form against our services and the definition first.
    sent = georeport.create_request(
        "S04", dry_run=False, confirm=confirm, api_key=api_key, validate_remote=True,
        address_string="1 Jianguo Road", description="Charged for a plan I cancelled",
        attributes={"operator_first": "yes", "problem_type": "P03"},
        first_name="Lei", last_name="Li", phone="13700001111",
    )
    number = sent.response[0]["service_request_id"]

    found = georeport.get_request(number)
    assert found["service_request_id"] == number
    assert (found["status"], found["service_code"]) == ("open", "S04")
    assert found["description"] == "Charged for a plan I cancelled"
    assert "Lei" not in str(found) and "13700001111" not in str(found)
    assert number in [r["service_request_id"] for r in georeport.list_requests(service_code="S04", status="open")]

    token = db.session.query(Open311Request).one().token
    db.session.rollback()  # in-memory SQLite: the server shares this connection, so end our transaction
    assert georeport.get_token(token) == [{"service_request_id": number, "token": token}]


def test_the_client_sees_our_refusals(served, client_for):
    from civicbot.http import HttpError

    base_url, _api_key = served
    georeport, confirm = client_for(base_url)
    with pytest.raises(HttpError) as refused:
        georeport.create_request("S04", dry_run=False, confirm=confirm, api_key="o311_wrong",
                                 address_string="x", attributes={"operator_first": "yes"})
    assert refused.value.status == 403
    assert '"code": 403' in refused.value.body
