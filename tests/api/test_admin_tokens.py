"""The API twins of the admin console's token page (hotline/admin/api.py): list, create (the
secret shown once), revoke; admins only, audited as the console."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import ApiToken, Role
from tests.api.conftest import audit_entries
from tests.hostile import refused_unchanged


@pytest.fixture
def admin_api(api, make_user, token_for):
    return api.as_(token_for(make_user(role=Role.ADMIN, username="boss"), name="admin script"))


def test_a_created_token_works_once_shown_and_a_revoked_one_gets_401(api, admin_api, make_user):
    operator = make_user(role=Role.OPERATOR, username="web.form")
    created = admin_api.post("/api/v1/admin/tokens", json={"owner": operator.id, "name": "网站表单"})
    assert created.status_code == 201, created.json
    assert created.headers["Cache-Control"] == "no-store"
    secret = created.json["token"]
    assert secret.startswith(created.json["prefix"]) and created.json["owner"]["username"] == "web.form"
    assert api.as_(secret).get("/api/v1/tickets").status_code == 200  # acts as the operator
    assert api.as_(secret).get("/api/v1/admin/tokens").status_code == 403

    listed = admin_api.get("/api/v1/admin/tokens")
    assert [t["name"] for t in listed.json["items"]] == ["网站表单", "admin script"]  # newest first
    assert secret not in listed.get_data(as_text=True) and "token" not in listed.json["items"][0]
    (entry,) = audit_entries("token_created")
    assert entry.target_id == str(created.json["id"]) and entry.user.username == "boss"

    revoked = admin_api.post(f"/api/v1/admin/tokens/{created.json['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert secret not in revoked.get_data(as_text=True)
    assert api.as_(secret).get("/api/v1/tickets").status_code == 401
    assert admin_api.post(f"/api/v1/admin/tokens/{created.json['id']}/revoke").status_code == 409
    assert len(audit_entries("token_revoked")) == 1
    for missing in ("99999", "x1", "99999999999999999999"):
        assert admin_api.post(f"/api/v1/admin/tokens/{missing}/revoke").status_code == 404


def test_a_bad_token_request_is_422_naming_the_field_and_creates_nothing(admin_api, make_user):
    inactive = make_user(username="gone")
    inactive.active = False
    db.session.commit()
    path = "/api/v1/admin/tokens"
    for body, fields in [
        ({"owner": inactive.id, "name": "x"}, {"owner"}),  # the console offers active accounts only
        ({"owner": 99999, "name": "x"}, {"owner"}),
        ({"owner": "1", "name": "x"}, {"owner"}),
        ({"owner": True, "name": "x"}, {"owner"}),
        ({"owner": 10**30, "name": "x"}, {"owner"}),
        ({"owner": inactive.id, "name": "x" * 121, "secret": "mine"}, {"owner", "name", "secret"}),
        ({"name": " "}, {"owner", "name"}),
    ]:
        refused_unchanged(admin_api, path, body, 422, fields)
    refused_unchanged(admin_api, path, "{", 400)
    assert audit_entries("token_created") == []


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_only_admins(as_role, make_user, token_for, role):
    other = as_role(role)
    owner = make_user(username="web.form")
    token_for(owner)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    assert other.get("/api/v1/admin/tokens").status_code == 403
    assert other.post("/api/v1/admin/tokens", json={"owner": owner.id, "name": "x"}).status_code == 403
    assert other.post(f"/api/v1/admin/tokens/{token.id}/revoke").status_code == 403
    db.session.expire_all()
    assert token.revoked_at is None and audit_entries("token_created") == []
