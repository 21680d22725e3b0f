"""POST /api/v1/tickets: a case from another channel; every bad input a clear 400 or 422."""

import json

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Caller, Ticket
from tests.api.conftest import CheckedClient

GOOD = {"phone": "138 1234 1234", "kind": "complaint", "facts": "空调不制冷，商家拒绝退货"}
HUGE = "x" * 100_000


def ticket_count():
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_a_minimal_case_is_created(api, make_user, token_for):
    client = api.as_(token_for(make_user(username="zhang")))
    response = client.post("/api/v1/tickets", json=GOOD)
    assert response.status_code == 201
    case = response.json
    assert (case["status"], case["kind"], case["channel"], case["facts"]) == (
        "new", "complaint", "api", GOOD["facts"])
    assert case["phone_masked"] == "138****1234"
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{case['number']}")
    assert [(e["type"], e["actor"]) for e in case["events"]] == [("created", "zhang")]
    assert client.get(response.headers["Location"]).json["number"] == case["number"]
    assert db.session.scalar(select(Caller.phone)) == "+8613812341234"


def test_a_full_case_is_created_with_every_field(operator_api, categories, make_user, token_for):
    body = {
        **GOOD, "name": "李四", "address": "北京市朝阳区", "category": "G01", "problem_type": "P02",
        "demand": "退货退款", "amount": 2999.5, "respondent_name": "某电器店",
        "respondent_address": "北京市海淀区", "respondent_region": "海淀区", "channel": "web",
    }
    client = operator_api.as_(token_for(make_user(username="webform")))
    case = client.post("/api/v1/tickets", json=body).json
    assert (case["category"], case["problem_type"], case["amount"], case["channel"]) == ("G01", "P02", 2999.5, "web")
    assert (case["demand"], case["respondent_name"], case["respondent_region"]) == ("退货退款", "某电器店", "海淀区")
    assert case["caller"] == {"phone_masked": "138****1234", "name": "李四", "address": "北京市朝阳区"}
    assert case["events"][0]["actor"] == "webform"


def test_a_known_callers_name_is_kept_and_the_caller_reused(operator_api):
    first = operator_api.post("/api/v1/tickets", json={**GOOD, "name": "李四"}).json
    second = operator_api.post(
        "/api/v1/tickets", json={**GOOD, "phone": "+86 138-1234-1234", "name": "别人", "address": "上海"}).json
    assert second["caller"]["name"] == "李四"
    assert second["caller"]["address"] == "上海"
    assert first["number"] != second["number"]
    assert db.session.scalar(select(func.count()).select_from(Caller)) == 1


def test_null_optional_fields_are_accepted(operator_api):
    body = {**GOOD, "name": None, "category": None, "amount": None, "channel": None}
    assert operator_api.post("/api/v1/tickets", json=body).status_code == 201


@pytest.mark.parametrize(
    "data",
    [b"", b"{", b"not json", b'{"phone": "1"', b"null", b"[]", b"[1, 2]", b'"text"', b"42", b"true",
     b"\xff\xfe\x00{", "{\"facts\": \"\xe9\"}".encode("latin-1"), b"[" * 100_000 + b"]" * 100_000,
     b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
    ids=["empty", "truncated", "words", "unterminated", "null", "empty-list", "list", "string", "number", "bool",
         "binary", "latin-1", "deep-list", "deep-object"],
)
def test_a_body_that_is_not_a_json_object_is_400(operator_api, data):
    response = operator_api.post("/api/v1/tickets", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"
    assert ticket_count() == 0


def test_a_form_post_is_400(operator_api):
    response = operator_api.post("/api/v1/tickets", data=GOOD)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": None}, "phone"),
        ({"phone": "abc"}, "phone"),
        ({"phone": "1"}, "phone"),
        ({"phone": "1" * 41}, "phone"),
        ({"phone": 13812341234}, "phone"),
        ({"phone": {"number": "13812341234"}}, "phone"),
        ({"kind": None}, "kind"),
        ({"kind": "unknown"}, "kind"),
        ({"kind": "Complaint"}, "kind"),
        ({"kind": ["complaint"]}, "kind"),
        ({"facts": None}, "facts"),
        ({"facts": "   "}, "facts"),
        ({"facts": "x" * 10_001}, "facts"),
        ({"facts": "a\x00b"}, "facts"),
        ({"facts": {"text": "x"}}, "facts"),
        ({"category": "ZZZ"}, "category"),
        ({"category": "P01"}, "category"),  # a problem type is not a category
        ({"problem_type": "G01"}, "problem_type"),
        ({"category": 1}, "category"),
        ({"amount": -1}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 10**13}, "amount"),
        ({"amount": [1]}, "amount"),
        ({"channel": "voice"}, "channel"),
        ({"channel": "API"}, "channel"),
        ({"name": "x" * 121}, "name"),
        ({"address": HUGE}, "address"),
        ({"demand": HUGE}, "demand"),
        ({"respondent_name": "x" * 201}, "respondent_name"),
        ({"respondent_address": HUGE}, "respondent_address"),
        ({"respondent_region": "x" * 101}, "respondent_region"),
        ({"respondent_region": {"a": {"b": [1, 2, {}]}}}, "respondent_region"),
        ({"catgory": "G01"}, "catgory"),
    ],
)
def test_each_bad_field_is_422_naming_it(operator_api, categories, changes, field):
    response = operator_api.post("/api/v1/tickets", json={**GOOD, **changes})
    assert response.status_code == 422, response.json
    assert response.json["error"] == "validation failed"
    assert set(response.json["fields"]) == {field}
    assert ticket_count() == 0


def test_every_bad_field_is_named_at_once(operator_api, categories):
    body = {"phone": "abc", "kind": "gripe", "facts": HUGE, "category": "nope", "problem_type": "nope",
            "amount": -5, "name": HUGE, "address": HUGE, "demand": HUGE, "respondent_name": HUGE,
            "respondent_address": HUGE, "respondent_region": HUGE, "channel": "fax", "extra": 1}
    response = operator_api.post("/api/v1/tickets", json=body)
    assert response.status_code == 422
    assert set(response.json["fields"]) == set(body)
    assert response.json["fields"]["phone"] == "not a valid phone number"


def test_an_empty_object_names_the_required_fields(operator_api):
    response = operator_api.post("/api/v1/tickets", json={})
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"phone", "kind", "facts"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('"amount": NaN', "amount"),
        ('"amount": Infinity', "amount"),
        ('"amount": -Infinity', "amount"),
        ('"amount": 1e400', "amount"),
        ('"facts": "\\ud800 lone surrogate"', "facts"),
        ('"name": "\\u0000"', "name"),
    ],
)
def test_json_that_python_reads_but_a_database_cannot_store_is_422(operator_api, raw, field):
    text = json.dumps(GOOD)[:-1] + ", " + raw + "}"
    response = operator_api.post("/api/v1/tickets", data=text, content_type="application/json")
    assert response.status_code == 422
    assert set(response.json["fields"]) == {field}


def test_a_number_too_long_for_the_json_reader_is_400(operator_api):
    text = json.dumps(GOOD)[:-1] + ', "amount": ' + "9" * 5000 + "}"
    response = operator_api.post("/api/v1/tickets", data=text, content_type="application/json")
    assert response.status_code == 400


def test_amounts_are_kept_to_the_cent(operator_api):
    assert operator_api.post("/api/v1/tickets", json={**GOOD, "amount": 0}).json["amount"] == 0
    assert operator_api.post("/api/v1/tickets", json={**GOOD, "amount": 12.344}).json["amount"] == 12.34
    assert operator_api.post("/api/v1/tickets", json={**GOOD, "amount": 9999999999.99}).json["amount"] == 9999999999.99


def test_the_longest_allowed_values_are_stored(operator_api):
    body = {**GOOD, "facts": "事" * 10_000, "name": "名" * 120, "respondent_name": "店" * 200}
    response = operator_api.post("/api/v1/tickets", json=body)
    assert response.status_code == 201
    assert len(response.json["facts"]) == 10_000


def test_a_body_over_the_upload_limit_is_a_json_413(app_factory, spec, make_user, token_for):
    small = app_factory(MAX_CONTENT_LENGTH=1000)
    with small.app_context():
        plain = token_for(make_user())
        client = CheckedClient(small.test_client(), spec, plain)
        response = client.post("/api/v1/tickets", json={**GOOD, "facts": "x" * 2000})
    assert response.status_code == 413
    assert response.json["error"] == "Request Entity Too Large"
