"""The API twins of the console's referral directory (routing/referral_views.py): supervisors add,
edit, switch off and on an entry through the same service, audited, with the form's limits; an
entry switched off is offered for no referral. Every answer checked against the OpenAPI document."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, OutboxMessage, ReferralEntry, Role, TicketStatus
from routing import referrals
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)
from tests.hostile import changed, refused_unchanged, snapshot

NEW_ENTRY = {"key": "12399", "agency_zh": "人力资源和社会保障局", "agency_en": "Human Resources and Social Security",
             "hotline": "12399", "scope": "工资拖欠、社保", "caller_script": "请拨打 12399。",
             "sms_text": "您的来电（{number}）属人社部门受理，请拨打 12399。", "transfer_number": "+8612399",
             "position": 5}


@pytest.fixture
def boss(app, as_role):  # noqa: F811
    referrals.seed_referral_directory()
    db.session.commit()
    return as_role(Role.SUPERVISOR)


def patch(client, path, body):
    return client.open("PATCH", path, json=body)


def audits():
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "referral_entry_changed")
                              .order_by(AuditLog.id)).all()


def entry(key):
    db.session.expire_all()
    return db.session.scalar(select(ReferralEntry).where(ReferralEntry.key == key))


def test_an_entry_added_by_the_api_is_listed_audited_and_a_case_is_referred_to_it(boss, create_ticket):
    added = boss.post("/api/v1/referral-entries", json=NEW_ENTRY)
    assert added.status_code == 201, added.json
    assert {k: added.json[k] for k in NEW_ENTRY} == NEW_ENTRY and added.json["active"] is True
    listed = boss.get("/api/v1/referral-entries").json["items"]
    assert listed[0]["key"] == "12399"  # position 5: first
    assert "12305" in [e["key"] for e in listed]  # inactive entries are listed too
    [entry_audit] = audits()
    assert entry_audit.data["before"] is None and entry_audit.data["after"]["key"] == "12399"

    ticket = create_ticket(facts="公司拖欠三个月工资")
    referred = boss.post(f"/api/v1/tickets/{ticket.number}/refer", json={"referral": "12399"})
    assert referred.status_code == 200 and referred.json["status"] == TicketStatus.REFERRED.value
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
    assert ticket.number in sms.body and "12399" in sms.body


def test_an_entry_switched_off_is_offered_for_no_referral_until_switched_on(boss, create_ticket):
    taxes = entry("12366")
    off = boss.post(f"/api/v1/referral-entries/{taxes.id}/active", json={"active": False})
    assert off.status_code == 200 and off.json["active"] is False
    ticket = create_ticket(facts="发票问题")
    refused = boss.post(f"/api/v1/tickets/{ticket.number}/refer", json={"referral": "12366"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"referral"}
    assert boss.post(f"/api/v1/referral-entries/{taxes.id}/active", json={"active": True}).json["active"] is True
    assert boss.post(f"/api/v1/tickets/{ticket.number}/refer", json={"referral": "12366"}).status_code == 200
    assert [(a.data["before"]["active"], a.data["after"]["active"]) for a in audits()] == [(True, False), (False, True)]


def test_an_edit_changes_the_fields_sent_and_keeps_the_key(boss):
    taxes = entry("12366")
    edited = patch(boss, f"/api/v1/referral-entries/{taxes.id}",
                   {"caller_script": "请拨打 12366 纳税服务热线。", "transfer_number": None, "position": 1})
    assert edited.status_code == 200, edited.json
    assert (edited.json["key"], edited.json["caller_script"], edited.json["transfer_number"], edited.json["position"]) \
        == ("12366", "请拨打 12366 纳税服务热线。", None, 1)
    assert edited.json["agency_zh"] == taxes.agency_zh
    [change] = audits()
    assert change.data["after"]["caller_script"] == "请拨打 12366 纳税服务热线。"
    refused_unchanged(boss, "/api/v1/referral-entries", {**NEW_ENTRY, "key": "12366"}, 422, ["key"])
    before = snapshot()
    refused = patch(boss, f"/api/v1/referral-entries/{taxes.id}", {"key": "99999", "agency_zh": ""})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"key", "agency_zh"}
    assert not changed(before, snapshot())


@pytest.mark.parametrize(("field", "value"), [
    ("key", "bad key!"), ("key", "k" * 33), ("key", ""), ("agency_zh", ""), ("agency_en", None),
    ("agency_zh", "局" * 201), ("hotline", "1" * 33), ("scope", "x" * 2001), ("caller_script", "x" * 2001),
    ("sms_text", "x" * 501), ("transfer_number", "010-12399"), ("position", -1), ("position", 100_001),
    ("position", "5"), ("position", True), ("active", "yes"), ("scope", "a\x00b"), ("colour", "red"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_saved(boss, field, value):
    refused_unchanged(boss, "/api/v1/referral-entries", {**NEW_ENTRY, field: value}, 422, [field])


def test_only_supervisors_unknown_ids_404_bad_bodies_400(boss, as_role, make_department):  # noqa: F811
    taxes = entry("12366")
    for client in (as_role(Role.OPERATOR), as_role(Role.ADMIN), as_role(Role.DEPARTMENT, make_department())):
        assert client.get("/api/v1/referral-entries").status_code == 403
        assert client.post("/api/v1/referral-entries", json=NEW_ENTRY).status_code == 403
        assert patch(client, f"/api/v1/referral-entries/{taxes.id}", {"position": 1}).status_code == 403
        assert client.post(f"/api/v1/referral-entries/{taxes.id}/active", json={"active": False}).status_code == 403
    for wrong in ("999999", "x", "99999999999999999999"):
        assert patch(boss, f"/api/v1/referral-entries/{wrong}", {"position": 1}).status_code == 404
        assert boss.post(f"/api/v1/referral-entries/{wrong}/active", json={"active": False}).status_code == 404
    refused_unchanged(boss, f"/api/v1/referral-entries/{taxes.id}/active", {}, 422, ["active"])
    refused_unchanged(boss, f"/api/v1/referral-entries/{taxes.id}/active", {"active": "no"}, 422, ["active"])
    refused_unchanged(boss, "/api/v1/referral-entries", "[]", 400)
    assert entry("12366").active is True and entry("12399") is None and audits() == []
