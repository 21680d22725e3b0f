"""The API twins of /intake/rules (intake/api.py): supervisors add and change the keyword rules that
override the classifier, through the console's service and limits, audited; POST /suggest uses a
rule at once. Every answer checked against the OpenAPI document."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Role, SuggestionRule
from intake.suggestion_rules import suggestion_for
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.hostile import changed, refused_unchanged, snapshot

SAMPLE = "买的破壁机转了两下就冒烟了"
SMOKE = {"target": "category", "value": "G09", "keywords": ["冒烟"], "weight": 1, "position": 1}


@pytest.fixture
def boss(as_role):  # noqa: F811
    return as_role(Role.SUPERVISOR)


def patch(client, path, body):
    return client.open("PATCH", path, json=body)


def audits():
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "suggestion_rule_changed")
                              .order_by(AuditLog.id)).all()


def test_a_rule_added_by_the_api_wins_the_suggestion_and_is_audited(boss):
    assert suggestion_for(SAMPLE)["category"]["code"] != "G09"
    added = boss.post("/api/v1/suggestion-rules", json={**SMOKE, "keywords": ["冒烟", " 冒烟 ", ""]})
    assert added.status_code == 201, added.json
    assert (added.json["keywords"], added.json["active"], added.json["target"]) == (["冒烟"], True, "category")
    found = boss.post("/api/v1/suggest", json={"text": SAMPLE}).json["category"]
    assert (found["code"], found["source"]) == ("G09", "rule")
    assert [r["id"] for r in boss.get("/api/v1/suggestion-rules").json["items"]] == [added.json["id"]]
    [entry] = audits()
    assert entry.data["before"] is None and entry.data["after"]["value"] == "G09"


def test_a_rule_switched_off_gives_the_model_back_its_say_and_an_edit_keeps_target_and_value(boss):
    rule = boss.post("/api/v1/suggestion-rules", json=SMOKE).json
    off = patch(boss, f"/api/v1/suggestion-rules/{rule['id']}", {"active": False})
    assert off.status_code == 200 and off.json["active"] is False and off.json["keywords"] == ["冒烟"]
    assert suggestion_for(SAMPLE)["category"]["source"] == "model"
    more = patch(boss, f"/api/v1/suggestion-rules/{rule['id']}",
                 {"active": True, "keywords": ["冒烟", "暖风机"], "weight": 3})
    assert (more.json["keywords"], more.json["weight"], more.json["value"]) == (["冒烟", "暖风机"], 3, "G09")
    found = suggestion_for("我家的暖风机坏了")["category"]
    assert (found["code"], found["source"]) == ("G09", "rule")
    assert [(a.data["before"]["active"], a.data["after"]["active"]) for a in audits()[1:]] == [(True, False),
                                                                                               (False, True)]
    before = snapshot()
    refused = patch(boss, f"/api/v1/suggestion-rules/{rule['id']}", {"value": "G01", "weight": 101})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"value", "weight"}
    assert not changed(before, snapshot())


def test_a_referral_rule_names_a_directory_key(boss):
    added = boss.post("/api/v1/suggestion-rules", json={"target": "referral", "value": "12305",
                                                         "keywords": ["邮政普遍服务"], "weight": 2})
    assert added.status_code == 201
    assert suggestion_for("邮政普遍服务的问题")["referral"]["key"] == "12305"


@pytest.mark.parametrize(("field", "value"), [
    ("target", "colour"), ("target", None), ("value", "G99"), ("value", "P01x"), ("value", ""), ("value", "x" * 33),
    ("value", "a\x00"), ("keywords", "冒烟"), ("keywords", ["冒\n烟"]), ("keywords", ["x" * 20_001]),
    ("keywords", [1]), ("weight", 101), ("weight", -1), ("weight", "1"), ("weight", True), ("weight", 1.5),
    ("position", 100_001), ("active", "yes"), ("priority", 1),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_saved(boss, field, value):
    refused_unchanged(boss, "/api/v1/suggestion-rules", {**SMOKE, field: value}, 422, [field])


def test_a_value_of_another_targets_group_is_refused(boss):
    refused_unchanged(boss, "/api/v1/suggestion-rules", {**SMOKE, "target": "problem"}, 422, ["value"])
    refused_unchanged(boss, "/api/v1/suggestion-rules", {**SMOKE, "target": "kind", "value": "praise"}, 422, ["value"])


def test_only_supervisors_unknown_ids_404_bad_bodies_400(boss, as_role, make_department):  # noqa: F811
    rule = boss.post("/api/v1/suggestion-rules", json=SMOKE).json
    for client in (as_role(Role.OPERATOR), as_role(Role.ADMIN), as_role(Role.DEPARTMENT, make_department())):
        assert client.get("/api/v1/suggestion-rules").status_code == 403
        assert client.post("/api/v1/suggestion-rules", json=SMOKE).status_code == 403
        assert patch(client, f"/api/v1/suggestion-rules/{rule['id']}", {"active": False}).status_code == 403
    for wrong in ("999999", "x", "99999999999999999999"):
        assert patch(boss, f"/api/v1/suggestion-rules/{wrong}", {"active": False}).status_code == 404
    refused_unchanged(boss, "/api/v1/suggestion-rules", "[]", 400)
    db.session.expire_all()
    assert db.session.get(SuggestionRule, rule["id"]).active is True and len(audits()) == 1
