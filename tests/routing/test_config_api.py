"""The API twins of the console's departments and routing rules (routing/views.py): supervisors
(departments: admins too) add and change them through the same services, with the same limits,
audit and rule history; every answer checked against the OpenAPI document."""

from datetime import datetime

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Department, Role, RoutingRule, RoutingRuleChange, TicketStatus
from routing import services
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.hostile import changed, refused_unchanged, snapshot
from tests.routing import rules_helpers
from tests.routing.rules_helpers import accepted, add_rule

world = rules_helpers.world

HAIDIAN = "110108"
NEW_DEPARTMENT = {"code": "MS04", "name": "朝阳市场监管所", "region": "朝阳区", "contact_phone": "010-65000004",
                  "working_hours": "08:30-17:30", "categories": ["G01", "S03"], "sms_lead": True}


@pytest.fixture
def boss(world, as_role):  # noqa: F811
    return as_role(Role.SUPERVISOR)


def patch(client, path, body):
    return client.open("PATCH", path, json=body)


def audits():
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "department_saved").order_by(AuditLog.id)).all()


def changes_of(rule_id):
    db.session.expire_all()
    return db.session.scalars(select(RoutingRuleChange).where(RoutingRuleChange.rule_id == rule_id)
                              .order_by(RoutingRuleChange.version)).all()


def route(create_ticket, world, **fields):
    ticket = accepted(create_ticket, **fields)
    services.route_accepted(ticket, world["operator"])
    db.session.commit()
    return ticket


# --- departments ---------------------------------------------------------------------------------


def test_a_supervisor_adds_a_department_audited_and_listed(boss):
    added = boss.post("/api/v1/departments", json=NEW_DEPARTMENT)
    assert added.status_code == 201, added.json
    assert added.json["categories"] == ["G01", "S03"] and added.json["active"] is True
    assert (added.json["code"], added.json["working_hours"], added.json["sms_lead"]) == ("MS04", "08:30-17:30", True)
    [entry] = audits()
    assert entry.data["before"] is None and entry.data["after"]["categories"] == ["G01", "S03"]
    listed = boss.get("/api/v1/departments").json["items"]
    assert [d["code"] for d in listed] == ["MS01", "MS02", "MS03", "MS04"]


def test_a_deactivated_department_stays_listed_and_is_offered_for_no_forward(world, boss):
    dept = world["departments"]["MS02"]
    changed_ = patch(boss, f"/api/v1/departments/{dept.id}", {"active": False, "categories": ["S09"]})
    assert changed_.status_code == 200
    assert (changed_.json["active"], changed_.json["name"], changed_.json["categories"]) == (False, "西城市场监管所", ["S09"])
    assert dept.id not in [d.id for d in services.active_departments()]
    assert [d["code"] for d in boss.get("/api/v1/departments").json["items"]][-1] == "MS02"
    [entry] = audits()
    assert (entry.data["before"]["active"], entry.data["after"]["active"]) == (True, False)
    # Sending what it already is writes no audit line.
    assert patch(boss, f"/api/v1/departments/{dept.id}", {"active": False}).status_code == 200
    assert len(audits()) == 1


def test_admins_keep_departments_operators_and_departments_are_refused(world, as_role):  # noqa: F811
    admin = as_role(Role.ADMIN)
    assert admin.get("/api/v1/departments").status_code == 200
    assert admin.post("/api/v1/departments", json=NEW_DEPARTMENT).status_code == 201
    for role, department in ((Role.OPERATOR, None), (Role.DEPARTMENT, world["departments"]["MS01"])):
        client = as_role(role, department)
        assert client.get("/api/v1/departments").status_code == 403
        assert client.post("/api/v1/departments", json={**NEW_DEPARTMENT, "code": "MS05"}).status_code == 403
        assert patch(client, f"/api/v1/departments/{world['departments']['MS01'].id}",
                     {"name": "x"}).status_code == 403
    assert db.session.scalar(select(Department).where(Department.code == "MS05")) is None


@pytest.mark.parametrize(("field", "value"), [
    ("code", "MS02"),  # another department's
    ("code", "bad code!"), ("code", "x" * 33), ("name", ""), ("name", None), ("working_hours", "9-5"),
    ("working_hours", "25:00-17:00"), ("contact_phone", "not a phone"), ("categories", ["X99"]),
    ("categories", "G01"), ("sms_lead", "yes"), ("region", "区" * 101), ("description", "\x00"),
])
def test_bad_department_input_is_422_naming_the_field_and_nothing_is_saved(boss, field, value):
    refused_unchanged(boss, "/api/v1/departments", {**NEW_DEPARTMENT, field: value}, 422, [field])


def test_a_change_refused_changes_nothing_and_unknown_ids_are_404(world, boss):
    dept = world["departments"]["MS01"]
    before = snapshot()
    refused = patch(boss, f"/api/v1/departments/{dept.id}", {"code": "MS03", "name": "新名字", "colour": "red"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"code", "colour"}
    assert not changed(before, snapshot())
    db.session.refresh(dept)
    assert dept.name == "东城市场监管所"
    for wrong in ("999999", "x1", "99999999999999999999"):
        assert patch(boss, f"/api/v1/departments/{wrong}", {"name": "x"}).status_code == 404
    assert boss.post("/api/v1/departments", data="[]", content_type="application/json").status_code == 400


# --- routing rules -------------------------------------------------------------------------------


def new_rule(**fields):
    return {"name": "被投诉方在海淀区", "division": HAIDIAN, "department": "MS03", "action": "auto",
            "reason": "海淀所开始受理", **fields}


def test_a_rule_added_by_the_api_routes_a_matching_case_and_keeps_its_history(world, boss, create_ticket):
    catch_all = add_rule(world["supervisor"], name="其他：人工分派")
    added = boss.post("/api/v1/routing-rules", json=new_rule(keywords=["空调", " 冰箱 ", ""]))
    assert added.status_code == 201, added.json
    rule = added.json
    assert (rule["division"], rule["region"], rule["department"]["code"]) == (HAIDIAN, "北京市海淀区", "MS03")
    assert (rule["keywords"], rule["version"], rule["action"], rule["active"]) == (["空调", "冰箱"], 1, "auto", True)
    # Placed above the catch-all, as the console places a new rule.
    assert [r["id"] for r in boss.get("/api/v1/routing-rules").json["items"]] == [rule["id"], catch_all.id]
    [change] = changes_of(rule["id"])
    assert (change.reason, change.user_id, change.before) == ("海淀所开始受理", boss_user_id(boss), None)

    ticket = route(create_ticket, world, respondent_division="110108", facts="空调不制冷")
    assert (ticket.status, ticket.department.code, ticket.routed_by_rule_id) == (
        TicketStatus.FORWARDED, "MS03", rule["id"])
    other = route(create_ticket, world, respondent_division="110105", facts="空调不制冷")  # 朝阳区
    assert other.status == TicketStatus.ACCEPTED


def boss_user_id(client):
    from hotline import accounts

    return accounts.user_for_token(client.token).id


def test_a_rule_switched_off_by_the_api_routes_nothing_and_a_no_change_is_no_version(world, boss, create_ticket):
    rule = boss.post("/api/v1/routing-rules", json=new_rule()).json
    off = patch(boss, f"/api/v1/routing-rules/{rule['id']}", {"active": False, "reason": "海淀所暂停受理"})
    assert off.status_code == 200 and (off.json["active"], off.json["version"]) == (False, 2)
    assert route(create_ticket, world, respondent_division=HAIDIAN, facts="空调").status == TicketStatus.ACCEPTED
    same = patch(boss, f"/api/v1/routing-rules/{rule['id']}", {"active": False, "reason": "再点一次"})
    assert same.status_code == 200 and same.json["version"] == 2 and len(changes_of(rule["id"])) == 2
    # Clearing the division clears its name too: the rule holds anywhere.
    anywhere = patch(boss, f"/api/v1/routing-rules/{rule['id']}",
                     {"division": None, "active": True, "action": "ask", "kind": "report", "reason": "全市"})
    assert (anywhere.json["division"], anywhere.json["region"], anywhere.json["kind"]) == (None, None, "report")
    last = changes_of(rule["id"])[-1]
    assert (last.before["division"], last.after["division"], last.after["action"]) == (HAIDIAN, None, "ask")


def test_moving_a_rule_swaps_it_with_its_neighbour_and_the_edge_is_409(world, boss):
    first = add_rule(world["supervisor"], name="first", keywords="a")
    second = add_rule(world["supervisor"], name="second", keywords="b")
    moved = boss.post(f"/api/v1/routing-rules/{second.id}/move", json={"direction": "up", "reason": "先试 b"})
    assert moved.status_code == 200
    assert [r["name"] for r in moved.json["items"]] == ["second", "first"]
    assert [r["version"] for r in moved.json["items"]] == [2, 2]
    before = snapshot()
    edge = boss.post(f"/api/v1/routing-rules/{second.id}/move", json={"direction": "up", "reason": "再往上"})
    assert edge.status_code == 409 and not changed(before, snapshot())
    refused_unchanged(boss, f"/api/v1/routing-rules/{first.id}/move", {"direction": "left", "reason": "x"}, 422,
                      ["direction"])
    refused_unchanged(boss, f"/api/v1/routing-rules/{first.id}/move", {"direction": "up", "reason": " "}, 422,
                      ["reason"])
    assert boss.post("/api/v1/routing-rules/999999/move", json={"direction": "up", "reason": "x"}).status_code == 404


@pytest.mark.parametrize(("field", "value"), [
    ("reason", ""), ("reason", None), ("reason", "x" * 501), ("name", ""), ("name", "x" * 201),
    ("division", "999999"), ("division", "海淀区"), ("department", "NOPE"), ("category", "P01"),
    ("problem_type", "G01"), ("kind", "weather"), ("action", None), ("action", "later"), ("active", "yes"),
    ("keywords", "空调"), ("keywords", ["空调\n冰箱"]), ("keywords", ["x" * 5001]), ("keywords", [1]),
    ("respondent", "x" * 201), ("priority", 1),
])
def test_bad_rule_input_is_422_naming_the_field_and_nothing_is_saved(world, boss, field, value):
    refused_unchanged(boss, "/api/v1/routing-rules", new_rule(**{field: value}), 422, [field])


def test_a_refused_rule_change_changes_nothing(world, boss):
    rule = add_rule(world["supervisor"], name="海淀", division=HAIDIAN, department=world["departments"]["MS03"])
    before = snapshot()
    refused = patch(boss, f"/api/v1/routing-rules/{rule.id}", {"department": "MS01"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"reason"}
    refused = patch(boss, f"/api/v1/routing-rules/{rule.id}", {"division": "110000x", "reason": "x"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"division"}
    assert not changed(before, snapshot())
    for wrong in ("999999", "abc", "99999999999999999999"):
        assert patch(boss, f"/api/v1/routing-rules/{wrong}", {"reason": "x"}).status_code == 404
    assert boss.post("/api/v1/routing-rules", data="{", content_type="application/json").status_code == 400


def test_only_supervisors_keep_rules(world, as_role):  # noqa: F811
    rule = add_rule(world["supervisor"], name="海淀", division=HAIDIAN)
    for client in (as_role(Role.ADMIN), as_role(Role.OPERATOR), as_role(Role.DEPARTMENT, world["departments"]["MS01"])):
        assert client.get("/api/v1/routing-rules").status_code == 403
        assert client.post("/api/v1/routing-rules", json=new_rule()).status_code == 403
        assert patch(client, f"/api/v1/routing-rules/{rule.id}", {"active": False, "reason": "x"}).status_code == 403
        assert client.post(f"/api/v1/routing-rules/{rule.id}/move",
                           json={"direction": "down", "reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(RoutingRule, rule.id).active is True


# --- a rule's history and the rules tester (the edit page's history, the "try it" box) -------------


def test_a_supervisor_reads_a_rules_history_newest_first(world, boss):
    rule = boss.post("/api/v1/routing-rules", json=new_rule()).json
    assert patch(boss, f"/api/v1/routing-rules/{rule['id']}", {"action": "ask", "reason": "先确认"}).status_code == 200
    assert patch(boss, f"/api/v1/routing-rules/{rule['id']}",
                 {"keywords": ["空调"], "reason": "只管空调"}).status_code == 200
    history = boss.get(f"/api/v1/routing-rules/{rule['id']}/history")
    assert history.status_code == 200
    items = history.json["items"]
    assert [(c["version"], c["reason"]) for c in items] == [(3, "只管空调"), (2, "先确认"), (1, "海淀所开始受理")]
    newest, middle, first = items
    assert (newest["before"]["keywords"], newest["after"]["keywords"]) == (None, "空调")
    assert (middle["before"]["action"], middle["after"]["action"]) == ("auto", "ask")
    assert first["before"] is None and first["after"]["division"] == HAIDIAN
    assert newest["by"]["username"] and newest["by"]["display_name"]
    assert datetime.fromisoformat(newest["at"]).utcoffset() is not None  # with its offset, as every time
    # The default rules were written by no one.
    seeded = add_rule(None, name="其他：人工分派")
    assert boss.get(f"/api/v1/routing-rules/{seeded.id}/history").json["items"][0]["by"] is None
    for wrong in ("999999", "abc", "99999999999999999999"):
        assert boss.get(f"/api/v1/routing-rules/{wrong}/history").status_code == 404


def tried(client, body):
    response = client.post("/api/v1/routing-rules/try", json=body)
    assert response.status_code == 200, response.json
    return response.json


def test_the_tester_sends_a_sample_where_the_rules_do_and_says_why(world, boss):
    catch_all = add_rule(world["supervisor"], name="其他：人工分派")
    aircon = boss.post("/api/v1/routing-rules", json=new_rule(keywords=["空调"], category="G01")).json
    before = snapshot()
    answer = tried(boss, {"text": "空调不制冷", "category": "G01", "region": "北京市海淀区中关村大街1号",
                          "kind": "complaint", "respondent": "某电器行"})
    assert not changed(before, snapshot())
    assert "draft" not in answer
    saved = answer["saved"]
    assert saved["rule"] == {"id": aircon["id"], "name": "被投诉方在海淀区", "version": 1}
    assert saved["department"] == {"code": "MS03", "name": "海淀市场监管所"}
    assert (saved["action"], saved["to_triage"]) == ("auto", False)
    assert (saved["region"]["code"], saved["region"]["source"]) == (HAIDIAN, "respondent")
    [step] = saved["trace"]
    assert step["matched"] is True and step["rule"] == {"id": aircon["id"], "name": "被投诉方在海淀区"}
    checks = {c["condition"]: c for c in step["checks"]}
    assert checks["category"]["wanted"] == "G01" and checks["category"]["ok"] is True
    assert (checks["keywords"]["found"], checks["region"]["ok"]) == ("空调", True)
    # Elsewhere: the rule is tried and fails on the region; the catch-all sends it to triage.
    elsewhere = tried(boss, {"text": "空调不制冷", "category": "G01"})["saved"]
    assert elsewhere["rule"]["id"] == catch_all.id and elsewhere["department"] is None
    assert (elsewhere["action"], elsewhere["to_triage"], elsewhere["region"]["value"]) == (None, True, None)
    first, last = elsewhere["trace"]
    assert first["matched"] is False and [c["condition"] for c in first["checks"] if not c["ok"]] == ["region"]
    assert last == {"rule": {"id": catch_all.id, "name": "其他：人工分派"}, "matched": True, "checks": []}


def test_the_tester_takes_a_past_case_by_number(world, boss, create_ticket):
    rule = add_rule(world["supervisor"], name="海淀", division=HAIDIAN, department=world["departments"]["MS03"])
    ticket = create_ticket(respondent_division=HAIDIAN, facts="冰箱不制冷")
    saved = tried(boss, {"case": ticket.number})["saved"]
    assert saved["rule"]["id"] == rule.id and saved["department"]["code"] == "MS03"
    assert saved["region"]["code"] == HAIDIAN
    unknown = boss.post("/api/v1/routing-rules/try", json={"case": "20200101-99999"})
    assert unknown.status_code == 422 and set(unknown.json["fields"]) == {"case"}
    both = boss.post("/api/v1/routing-rules/try", json={"case": ticket.number, "text": "空调"})
    assert both.status_code == 422 and set(both.json["fields"]) == {"case"}


def test_a_draft_shows_where_the_case_would_go_and_stores_nothing(world, boss):
    add_rule(world["supervisor"], name="其他：人工分派")
    rule = add_rule(world["supervisor"], name="海淀", division=HAIDIAN, department=world["departments"]["MS03"])
    sample = {"text": "预付卡商家跑路", "region": "北京市海淀区中关村大街1号"}
    before = snapshot()
    answer = tried(boss, {**sample, "rule_id": rule.id, "draft": {"department": "MS01", "action": "ask"}})
    assert not changed(before, snapshot())
    assert answer["saved"]["department"]["code"] == "MS03" and answer["saved"]["action"] == "auto"
    draft = answer["draft"]
    assert draft["rule"] == {"id": rule.id, "name": "海淀", "version": 2}
    assert (draft["department"]["code"], draft["action"]) == ("MS01", "ask")
    # The rule being edited, unchanged: the same outcome; a new rule's draft goes before the catch-all.
    assert tried(boss, {**sample, "rule_id": rule.id})["draft"]["department"]["code"] == "MS03"
    new = tried(boss, {"text": "预付卡商家跑路",
                       "draft": {"name": "跑路", "keywords": ["跑路"], "department": "MS02"}})
    assert new["saved"]["department"] is None
    assert new["draft"]["rule"] == {"id": None, "name": "跑路", "version": 1}
    assert new["draft"]["department"]["code"] == "MS02"
    db.session.expire_all()
    assert db.session.get(RoutingRule, rule.id).version == 1


@pytest.mark.parametrize(("body", "fields"), [
    ({"colour": "red"}, {"colour"}), ({"text": 5}, {"text"}), ({"text": "x" * 5001}, {"text"}),
    ({"region": "x" * 201}, {"region"}), ({"respondent": "x" * 201}, {"respondent"}),
    ({"platform": "x" * 101}, {"platform"}), ({"kind": "weather"}, {"kind"}), ({"category": "P01"}, {"category"}),
    ({"problem_type": "G01"}, {"problem_type"}), ({"case": 12}, {"case"}), ({"rule_id": "1"}, {"rule_id"}),
    ({"rule_id": 999999}, {"rule_id"}), ({"rule_id": True}, {"rule_id"}), ({"draft": []}, {"draft"}),
    ({"draft": {"keywords": ["x"]}}, {"draft.name"}),  # a new rule's draft needs its name
    ({"draft": {"name": "x", "reason": "why"}}, {"draft.reason"}),
    ({"draft": {"name": "x", "division": "999999", "active": "yes"}}, {"draft.division", "draft.active"}),
])
def test_bad_tester_input_is_422_naming_the_field(world, boss, body, fields):
    refused_unchanged(boss, "/api/v1/routing-rules/try", body, 422, sorted(fields))


def test_the_tester_refuses_a_body_that_is_not_an_object(world, boss):
    for raw in ("[]", "{", "null", '"x"'):
        assert boss.post("/api/v1/routing-rules/try", data=raw, content_type="application/json").status_code == 400


def test_only_supervisors_read_history_and_try_rules(world, as_role):  # noqa: F811
    rule = add_rule(world["supervisor"], name="海淀", division=HAIDIAN)
    for client in (as_role(Role.ADMIN), as_role(Role.OPERATOR), as_role(Role.DEPARTMENT, world["departments"]["MS01"])):
        assert client.get(f"/api/v1/routing-rules/{rule.id}/history").status_code == 403
        assert client.post("/api/v1/routing-rules/try", json={"text": "空调"}).status_code == 403
