"""POST /api/v1/suggest: bearer tokens, roles, the answer's shape, and bad input."""

import pytest

from hotline.extensions import db
from hotline.models import Role
from intake.suggestion_rules import save_rule

URL = "/api/v1/suggest"


def test_no_token_or_a_wrong_one_is_401_json(client):
    assert client.post(URL, json={"text": "空调不制冷"}).status_code == 401
    response = client.post(URL, json={"text": "空调不制冷"}, headers={"Authorization": "Bearer hl_nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "Unauthorized"


def test_department_staff_are_refused(client, bearer):
    response = client.post(URL, json={"text": "空调不制冷"}, headers=bearer(Role.DEPARTMENT))
    assert response.status_code == 403
    assert response.get_json()["error"] == "Forbidden"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN])
def test_staff_get_the_suggestion_with_names_confidence_and_reasons(client, bearer, role):
    response = client.post(URL, json={"text": "格力空调买了一周就不制冷了，要求换货"}, headers=bearer(role))
    assert response.status_code == 200
    body = response.get_json()
    assert body["kind"]["value"] == "complaint" and body["kind"]["source"] == "model"
    category = body["category"]
    assert category["code"] == "G01"
    assert (category["name_zh"], category["name_en"]) == ("家用电器", "Household appliances")
    assert category["source"] == "model" and 0.5 < category["score"] <= 1
    assert {"空调", "不制冷"} & set(category["keywords"])
    assert category["reason"].startswith("model ") and category["keywords"][0] in category["reason"]
    assert category["alternatives"][0] == {"code": "G01", "name_zh": "家用电器", "name_en": "Household appliances",
                                           "score": category["score"]}
    assert body["problem_type"]["code"] == "P01" and body["problem_type"]["name_zh"] == "质量"
    assert body["referral"] is None and body["in_scope"] > 0.5


def test_out_of_scope_texts_get_a_referral_with_its_words(client, bearer):
    body = client.post(URL, json={"text": "包工头拖欠工资半年了"}, headers=bearer()).get_json()
    assert body["referral"]["key"] == "12333"
    assert "拖欠工资" in body["referral"]["keywords"]
    body = client.post(URL, json={"text": "中国移动 话费多扣 增值业务"}, headers=bearer()).get_json()
    assert body["referral"]["key"] == "12300" and body["category"]["code"] == "S04"
    assert body["in_scope"] < 0.5


def test_a_supervisors_rule_in_the_database_overrides_the_model(client, bearer, make_user):
    save_rule(None, make_user(role=Role.SUPERVISOR),
              {"target": "category", "value": "G09", "keywords": "格力", "weight": 1, "position": 1, "active": True})
    db.session.commit()
    body = client.post(URL, json={"text": "格力空调买了一周就不制冷了"}, headers=bearer()).get_json()
    assert (body["category"]["code"], body["category"]["source"]) == ("G09", "rule")
    assert body["category"]["reason"] == "matched 格力" and body["category"]["name_zh"] == "家具及建材"
    assert body["category"]["alternatives"][0]["code"] == "G01"  # what the model would have said


def test_the_view_declares_its_roles(app):
    view = app.view_functions["intake_api.suggest"]
    assert view.allowed_roles == frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"data": "text=空调", "content_type": "application/x-www-form-urlencoded"}, 400, "body"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "body"),
        ({"json": ["空调"]}, 400, "body"),
        ({"json": {}}, 422, "text"),
        ({"json": {"text": "   "}}, 422, "text"),
        ({"json": {"text": 12315}}, 422, "text"),
        ({"json": {"text": None}}, 422, "text"),
        ({"json": {"text": "空" * 10_001}}, 422, "text"),
        # Nested deeper than the parser recurses: was a 500 (RecursionError), found from outside.
        ({"data": "[" * 5_000 + "]" * 5_000, "content_type": "application/json"}, 400, "body"),
        ({"data": '{"text":' + "[" * 100_000, "content_type": "application/json"}, 400, "body"),
    ],
)
def test_bad_input_is_a_clear_4xx_naming_the_field(client, bearer, kwargs, status, field):
    response = client.post(URL, headers=bearer(), **kwargs)
    assert response.status_code == status
    assert response.get_json()["field"] == field


def test_the_longest_text_allowed_is_answered(client, bearer):
    assert client.post(URL, json={"text": "空调" * 5_000}, headers=bearer()).status_code == 200
