"""Every GeoReport v2 endpoint in both formats, against the spec's field lists; and its errors."""

import pytest

from hotline.extensions import db
from hotline.models import Category, Open311Request, Ticket
from tests.open311.conftest import FORMATS, errors_of

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}
CREATED_FIELDS = {"service_request_id", "service_notice", "account_id"}
TELECOM = {"service_code": "S04", "address_string": "1 Jianguo Road", "description": "Billed twice",
           "attribute[operator_first]": "yes"}


def _post(o311, fmt, api_key, **changes):
    return o311.post(fmt, {**TELECOM, "api_key": api_key, **changes})


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(o311, seeded, fmt):
    response, data = o311.get("discovery", fmt)
    assert response.status_code == 200
    if fmt == "xml":
        root, data = data
        assert root == "discovery"
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = data["endpoints"][0]
    assert set(endpoint) == {"specification", "url", "changeset", "type", "formats"}
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://hotline.test/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_our_categories(o311, seeded, fmt):
    response, data = o311.get("services", fmt)
    assert response.status_code == 200
    assert all(set(service) == SERVICE_FIELDS for service in data)
    codes = [service["service_code"] for service in data]
    # Goods and services classes; problem types are an attribute, group roots are groups.
    assert "G01" in codes and "S13" in codes and "P01" not in codes and "G" not in codes
    telecom = next(s for s in data if s["service_code"] == "S04")
    assert telecom["service_name"] == "电信服务" and telecom["group"] == "服务"
    assert str(telecom["metadata"]).lower() == "true" and telecom["type"] == "realtime"
    assert "Telecom services" in telecom["keywords"]


def test_services_follow_the_language_asked_for(client, seeded):
    data = client.get("/open311/v2/services.json", headers={"Accept-Language": "en"}).get_json()
    telecom = next(s for s in data if s["service_code"] == "S04")
    assert (telecom["service_name"], telecom["group"]) == ("Telecom services", "Services")


def test_an_inactive_category_is_not_a_service(o311, seeded):
    db.session.query(Category).filter_by(code="S04").update({"active": False})
    db.session.commit()
    assert "S04" not in [s["service_code"] for s in o311.get("services", "json")[1]]
    response, data = o311.get("services/S04", "json")
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_the_intake_questions(o311, seeded, fmt):
    response, data = o311.get("services/S04", fmt)
    assert response.status_code == 200
    if fmt == "xml":
        root, data = data
        assert root == "service_definition"
    assert data["service_code"] == "S04"
    attributes = data["attributes"]
    assert all(set(a) >= ATTRIBUTE_FIELDS and a["datatype"] in DATATYPES for a in attributes)
    by_code = {a["code"]: a for a in attributes}
    assert list(by_code) == ["problem_type", "operator_first", "operator_first_date"]
    assert [str(a["order"]) for a in attributes] == ["1", "2", "3"]
    first = by_code["operator_first"]
    assert first["datatype"] == "singlevaluelist" and str(first["required"]).lower() == "true"
    assert [v["key"] for v in first["values"]] == ["yes", "no"]
    assert by_code["operator_first_date"]["datatype"] == "datetime"
    assert by_code["operator_first_date"]["datatype_description"] == "YYYY-MM-DD"
    assert "P01" in [v["key"] for v in by_code["problem_type"]["values"]]


def test_a_supervisors_own_questions_replace_the_defaults(o311, seeded):
    category = db.session.query(Category).filter_by(code="G01").one()
    category.questions = [{"code": "model", "zh": "型号？", "en": "Model?", "type": "text", "required": False}]
    db.session.commit()
    attributes = o311.get("services/G01", "json")[1]["attributes"]
    assert [(a["code"], a["datatype"], a["description"]) for a in attributes][1:] == [("model", "string", "型号？")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_case_and_reads_back(o311, api_key, fmt):
    response, data = _post(o311, fmt, api_key, **{"attribute[problem_type]": "P02"})
    assert response.status_code == 201
    created = data[0]
    assert set(created) == CREATED_FIELDS
    ticket = db.session.query(Ticket).filter_by(number=created["service_request_id"]).one()
    assert ticket.channel.value == "open311" and ticket.category.code == "S04"
    assert ticket.problem_type.code == "P02" and ticket.answers == {"operator_first": "yes"}
    assert ticket.facts == "Billed twice"
    _response, found = o311.get(f"requests/{ticket.number}", fmt)
    assert len(found) == 1 and set(found[0]) == REQUEST_FIELDS
    assert found[0]["status"] == "open" and found[0]["service_code"] == "S04"
    assert found[0]["description"] == "Billed twice"


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_has_the_spec_fields(o311, api_key, fmt):
    _post(o311, "json", api_key)
    _post(o311, "json", api_key)
    response, data = o311.get("requests", fmt)
    assert response.status_code == 200
    assert len(data) == 2 and all(set(r) == REQUEST_FIELDS for r in data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_gives_the_request_id(o311, api_key, fmt):
    number = _post(o311, "json", api_key)[1][0]["service_request_id"]
    token = db.session.query(Open311Request).one().token
    response, data = o311.get(f"tokens/{token}", fmt)
    assert response.status_code == 200
    assert data == [{"service_request_id": number, "token": token}]
    response, data = o311.get("tokens/nope", fmt)
    assert response.status_code == 404 and errors_of(data) == [(404, "token nope was not found")]


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("changes", "status", "text"), [
    ({"service_code": ""}, 400, "service_code was not provided"),
    ({"service_code": "ZZ9"}, 404, "service_code ZZ9 was not found"),
    ({"service_code": "P01"}, 404, "service_code P01 was not found"),
    ({"address_string": ""}, 400, "a location is required: lat and long, or address_string"),
    ({"address_string": "", "lat": "39.9"}, 400, "lat and long must be given together"),
    ({"address_string": "", "lat": "91", "long": "116"}, 400, "lat must be a number between -90 and 90"),
    ({"lat": "nan", "long": "116"}, 400, "lat must be a number between -90 and 90"),
    ({"attribute[operator_first]": ""}, 400, "required attribute missing: attribute[operator_first]"),
    ({"attribute[operator_first]": "maybe"}, 400, "attribute[operator_first] must be one of yes, no"),
    ({"attribute[operator_first_date]": "May 1"}, 400, "attribute[operator_first_date] must be a date, YYYY-MM-DD"),
    ({"attribute[colour]": "red"}, 400, "attribute[colour] is not an attribute of service_code S04"),
    ({"attribute[problem_type]": "G01"}, 400, "attribute[problem_type] must be one of P01, P02, P03, P04, P05, "
                                              "P06, P07, P08, P09, P10"),
    ({"description": "x" * 4001}, 400, "description must be text of at most 4000 characters"),
    ({"phone": "12"}, 400, "phone is not a phone number"),
    ({"email": "not-an-address"}, 400, "email is not an email address"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL"),
    ({"jurisdiction_id": "elsewhere.gov"}, 404, "jurisdiction_id elsewhere.gov was not found"),
])
def test_post_errors(o311, api_key, app, fmt, changes, status, text):
    app.config["OPEN311_JURISDICTION_ID"] = "hotline.test"
    response, data = _post(o311, fmt, api_key, **changes)
    assert (response.status_code, errors_of(data)) == (status, [(status, text)])
    assert db.session.query(Ticket).count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("key", "text"), [
    ("", "api_key was not provided"),
    ("o311_wrong", "api_key is invalid"),
])
def test_post_without_a_good_key_is_forbidden(o311, api_key, fmt, key, text):
    response, data = _post(o311, fmt, key)
    assert (response.status_code, errors_of(data)) == (403, [(403, text)])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("path", "params", "status", "text"), [
    ("services/NOPE", {}, 404, "service_code NOPE was not found"),
    ("requests/20990101-00001", {}, 404, "service_request_id 20990101-00001 was not found"),
    ("requests", {"start_date": "last week"}, 400,
     "start_date and end_date must be W3C datetimes, e.g. 2010-01-01T00:00:00Z"),
    ("requests", {"status": "pending"}, 400, "status must be open or closed (comma separated)"),
    ("requests", {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, 400,
     "start_date is after end_date"),
    ("services", {"api_key": "o311_wrong"}, 403, "api_key is invalid"),
    ("services", {"jurisdiction_id": "elsewhere.gov"}, 404, "jurisdiction_id elsewhere.gov was not found"),
])
def test_get_errors(o311, seeded, app, fmt, path, params, status, text):
    app.config["OPEN311_JURISDICTION_ID"] = "hotline.test"
    response, data = o311.get(path, fmt, **params)
    assert (response.status_code, errors_of(data)) == (status, [(status, text)])


def test_our_own_jurisdiction_id_is_accepted(o311, seeded, app):
    app.config["OPEN311_JURISDICTION_ID"] = "hotline.test"
    assert o311.get("services", "json", jurisdiction_id="hotline.test")[0].status_code == 200



def test_no_endpoint_fails_on_dummy_input(app, client, seeded):
    """The route walk skips public views; this one walks Open311's with nonsense, expecting no 5xx."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("open311.")]
    assert len(rules) == 7
    for rule in rules:
        for fmt in FORMATS:
            values = {name: fmt if name == "fmt" else "x" for name in rule.arguments}
            url = rule.build(values, append_unknown=False)[1]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                nonsense = {"lat": "x", "long": "y", "start_date": "x", "status": "x", "service_code": "x"}
                response = client.open(url, method=method, query_string=nonsense)
                assert response.status_code < 500, (method, url, response.status_code)
                response = client.open(url, method=method, query_string={**nonsense, "api_key": "x"})
                assert response.status_code == 403, (method, url, response.status_code)


def test_discovery_without_a_public_url_names_the_host_asked(o311, seeded, app):
    app.config["PUBLIC_BASE_URL"] = ""
    assert o311.get("discovery", "json")[1]["endpoints"][0]["url"] == "http://localhost/open311/v2"
