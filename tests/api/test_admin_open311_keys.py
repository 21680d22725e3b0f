"""The API twins of the admin console's Open311 key page (hotline.open311.admin_views, twinned in
hotline/admin/api.py): list, issue (the key shown once), set the rate, revoke; admins only,
audited as the console."""

import pytest

from hotline.extensions import db
from hotline.models import Open311Key, Role
from hotline.open311 import services
from tests.api.conftest import audit_entries
from tests.hostile import refused_unchanged

SERVICES = "/open311/v2/services.json"


def test_an_issued_key_calls_open311_at_its_rate_until_revoked(client, admin_api):
    created = admin_api.post("/api/v1/admin/open311/keys", json={"name": "city app", "requests_per_minute": 1})
    assert created.status_code == 201, created.json
    assert created.headers["Cache-Control"] == "no-store"
    plain = created.json["api_key"]
    assert plain.startswith(created.json["prefix"]) and created.json["created_by"] == "boss"
    assert client.get(SERVICES, query_string={"api_key": plain}).status_code == 200
    assert client.get(SERVICES, query_string={"api_key": plain}).status_code == 429  # one a minute

    raised = admin_api.post(f"/api/v1/admin/open311/keys/{created.json['id']}/rate", json={"requests_per_minute": 10})
    assert raised.status_code == 200 and raised.json["requests_per_minute"] == 10
    assert client.get(SERVICES, query_string={"api_key": plain}).status_code == 200  # at once
    (entry,) = audit_entries("open311_key_rate")
    assert (entry.data["before"], entry.data["after"]) == (1, 10)

    listed = admin_api.get("/api/v1/admin/open311/keys")
    assert [k["name"] for k in listed.json["items"]] == ["city app"]
    assert plain not in listed.get_data(as_text=True) and "api_key" not in listed.json["items"][0]
    assert len(audit_entries("open311_key_created")) == 1

    revoked = admin_api.post(f"/api/v1/admin/open311/keys/{created.json['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert plain not in revoked.get_data(as_text=True)
    assert client.get(SERVICES, query_string={"api_key": plain}).status_code == 403
    assert admin_api.post(f"/api/v1/admin/open311/keys/{created.json['id']}/revoke").status_code == 409
    assert admin_api.post(f"/api/v1/admin/open311/keys/{created.json['id']}/rate",
                          json={"requests_per_minute": 5}).status_code == 409
    assert len(audit_entries("open311_key_revoked")) == 1 and len(audit_entries("open311_key_rate")) == 1
    for missing in ("99999", "x1", "99999999999999999999"):
        assert admin_api.post(f"/api/v1/admin/open311/keys/{missing}/revoke").status_code == 404
        assert admin_api.post(f"/api/v1/admin/open311/keys/{missing}/rate",
                              json={"requests_per_minute": 5}).status_code == 404


def test_the_rate_defaults_to_the_forms(admin_api):
    created = admin_api.post("/api/v1/admin/open311/keys", json={"name": "city app"})
    assert created.status_code == 201 and created.json["requests_per_minute"] == 60


def test_bad_input_is_422_naming_the_field_and_changes_nothing(admin_api):
    path = "/api/v1/admin/open311/keys"
    for body, fields in [
        ({"name": "", "requests_per_minute": 60}, {"name"}),
        ({"name": "x" * 121}, {"name"}),
        ({"name": "x", "requests_per_minute": 0}, {"requests_per_minute"}),
        ({"name": "x", "requests_per_minute": 10_001}, {"requests_per_minute"}),
        ({"name": "x", "requests_per_minute": "60"}, {"requests_per_minute"}),
        ({"name": "x", "requests_per_minute": 1.5, "key": "mine"}, {"requests_per_minute", "key"}),
    ]:
        refused_unchanged(admin_api, path, body, 422, fields)
    refused_unchanged(admin_api, path, "[]", 400)
    _plain, key = services.issue_key(None, "city app", 30)
    db.session.commit()
    for rate in (0, True, None, 10**40):
        refused_unchanged(admin_api, f"{path}/{key.id}/rate", {"requests_per_minute": rate}, 422,
                          {"requests_per_minute"})
    db.session.expire_all()
    assert db.session.get(Open311Key, key.id).requests_per_minute == 30


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_only_admins(as_role, role):
    other = as_role(role)
    _plain, key = services.issue_key(None, "city app", 30)
    db.session.commit()
    assert other.get("/api/v1/admin/open311/keys").status_code == 403
    assert other.post("/api/v1/admin/open311/keys", json={"name": "x"}).status_code == 403
    assert other.post(f"/api/v1/admin/open311/keys/{key.id}/rate", json={"requests_per_minute": 5}).status_code == 403
    assert other.post(f"/api/v1/admin/open311/keys/{key.id}/revoke").status_code == 403
    db.session.expire_all()
    key = db.session.get(Open311Key, key.id)
    assert (key.requests_per_minute, key.revoked_at) == (30, None)
