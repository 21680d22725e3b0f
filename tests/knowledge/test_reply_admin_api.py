"""The API twins of the supervisors' canned-reply page (hotline/knowledge/reply_views.py): add,
edit, deactivate and move a reply through the same service, audited, with the form's limits and
variable check; a deactivated reply leaves GET /replies. Every answer checked against the
OpenAPI document."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.knowledge import replies
from hotline.models import AuditLog, ReplyScope, Role
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.hostile import changed, refused_unchanged, snapshot

NEW = {"title": "补充材料", "body": "请补充凭证，案件{case_number}，详询{hotline}。", "scope": "sms"}


@pytest.fixture
def boss(as_role):  # noqa: F811
    return as_role(Role.SUPERVISOR)


@pytest.fixture
def stock(app):
    made = {title: replies.create(title, body, scope, None)
            for title, body, scope in (("受理告知", "案件{case_number}已登记。", ReplyScope.SMS),
                                       ("转办告知", "已转{department}办理。", ReplyScope.ANY))}
    db.session.commit()
    return made


def patch(client, path, body):
    return client.open("PATCH", path, json=body)


def actions():
    db.session.expire_all()
    """What people did to replies (the stock's own creation has no user)."""
    return [a.action for a in db.session.scalars(select(AuditLog).where(
        AuditLog.action.like("canned_reply.%"), AuditLog.user_id.is_not(None)).order_by(AuditLog.id))]


def picker(client, scope="sms"):
    return [r["title"] for r in client.get(f"/api/v1/replies?scope={scope}").json["items"]]


def test_a_reply_added_is_offered_last_and_a_deactivated_one_no_longer_lists(boss, as_role, stock):  # noqa: F811
    operator = as_role(Role.OPERATOR)
    added = boss.post("/api/v1/replies", json=NEW)
    assert added.status_code == 201, added.json
    assert (added.json["title"], added.json["active"], added.json["position"]) == ("补充材料", True, 3)
    assert picker(operator) == ["受理告知", "转办告知", "补充材料"]
    gone = boss.post(f"/api/v1/replies/{added.json['id']}/deactivate")
    assert gone.status_code == 200 and gone.json["active"] is False
    assert picker(operator) == ["受理告知", "转办告知"]
    listed = boss.get("/api/v1/replies?include_inactive=true").json["items"]
    assert [(r["title"], r["active"]) for r in listed] == [("受理告知", True), ("转办告知", True), ("补充材料", False)]
    assert boss.post(f"/api/v1/replies/{added.json['id']}/deactivate", json={}).status_code == 200  # already off
    back = patch(boss, f"/api/v1/replies/{added.json['id']}", {"active": True, "scope": "desk"})
    assert (back.json["active"], back.json["scope"], back.json["body"]) == (True, "desk", NEW["body"])
    assert picker(operator) == ["受理告知", "转办告知"] and picker(operator, "desk") == ["转办告知", "补充材料"]
    assert actions() == ["canned_reply.create", "canned_reply.deactivate", "canned_reply.update"]


def test_moving_a_reply_changes_the_pickers_order_and_the_end_is_409(boss, stock):
    second = stock["转办告知"]
    moved = boss.post(f"/api/v1/replies/{second.id}/move", json={"direction": "up"})
    assert moved.status_code == 200 and [r["title"] for r in moved.json["items"]] == ["转办告知", "受理告知"]
    assert picker(boss) == ["转办告知", "受理告知"]
    before = snapshot()
    assert boss.post(f"/api/v1/replies/{second.id}/move", json={"direction": "up"}).status_code == 409
    assert not changed(before, snapshot())
    refused_unchanged(boss, f"/api/v1/replies/{second.id}/move", {"direction": "left"}, 422, ["direction"])
    for wrong in (["up"], {"up": 1}, None, 1):  # a list was a 500 (unhashable), found by the fuzzer
        refused_unchanged(boss, f"/api/v1/replies/{second.id}/move", {"direction": wrong}, 422, ["direction"])
    assert actions() == ["canned_reply.move"]


@pytest.mark.parametrize(("field", "value"), [
    ("title", ""), ("title", "题" * (replies.MAX_TITLE + 1)), ("title", None), ("body", "x" * (replies.MAX_BODY + 1)),
    ("body", "您好{name}，案件{case_number}"), ("body", " "), ("scope", "email"), ("scope", None), ("active", "y"),
    ("body", "a\x00b"), ("colour", "red"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_saved(boss, field, value):
    response = refused_unchanged(boss, "/api/v1/replies", {**NEW, field: value}, 422, [field])
    if value == "您好{name}，案件{case_number}":
        assert "{name}" in response.json["fields"]["body"]


def test_an_edit_refused_changes_nothing_unknown_ids_404(boss, stock):
    first = stock["受理告知"]
    before = snapshot()
    refused = patch(boss, f"/api/v1/replies/{first.id}", {"title": "新标题", "body": "{ticket_no}"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"body"}
    assert not changed(before, snapshot())
    for wrong in ("999999", "x", "99999999999999999999"):
        assert patch(boss, f"/api/v1/replies/{wrong}", {"title": "x"}).status_code == 404
        assert boss.post(f"/api/v1/replies/{wrong}/deactivate").status_code == 404
        assert boss.post(f"/api/v1/replies/{wrong}/move", json={"direction": "up"}).status_code == 404
    assert boss.post("/api/v1/replies", data="[]", content_type="application/json").status_code == 400


def test_supervisors_and_admins_manage_others_are_refused(as_role, stock, make_department):  # noqa: F811
    first = stock["受理告知"]
    assert as_role(Role.ADMIN).post("/api/v1/replies", json=NEW).status_code == 201
    for client in (as_role(Role.OPERATOR), as_role(Role.DEPARTMENT, make_department())):
        assert client.post("/api/v1/replies", json={**NEW, "title": "别的"}).status_code == 403
        assert patch(client, f"/api/v1/replies/{first.id}", {"active": False}).status_code == 403
        assert client.post(f"/api/v1/replies/{first.id}/deactivate").status_code == 403
        assert client.post(f"/api/v1/replies/{first.id}/move", json={"direction": "down"}).status_code == 403
        assert client.get("/api/v1/replies?include_inactive=true").status_code == 403
    db.session.expire_all()
    assert first.active is True and actions() == ["canned_reply.create"]
    bad = as_role(Role.SUPERVISOR).get("/api/v1/replies?include_inactive=yes")
    assert bad.status_code == 422 and set(bad.json["fields"]) == {"include_inactive"}
