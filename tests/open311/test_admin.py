"""Admins issue Open311 api keys (shown once, only a hash kept), set their rate, revoke them."""

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Open311Key, Role
from hotline.open311 import services

KEY = re.compile(r'id="plain-key">(o311_[^<]+)<')
EN = {"Accept-Language": "en"}


@pytest.fixture
def admin(make_user, login):
    user = make_user(role=Role.ADMIN, username="boss")
    login(user)
    return user


def _issue(client, name="city app", rate="30"):
    response = client.post("/admin/open311/keys", data={"name": name, "requests_per_minute": rate}, headers=EN)
    assert response.status_code == 200
    return KEY.search(response.get_data(as_text=True)).group(1), response


def _audit():
    db.session.rollback()
    return [e.action for e in db.session.scalars(select(AuditLog).where(AuditLog.target_type == "open311_key"))]


def test_a_key_is_shown_once_and_only_its_hash_is_kept(client, admin):
    plain, response = _issue(client)
    assert response.headers["Cache-Control"] == "no-store"
    stored = db.session.scalar(select(Open311Key))
    assert stored.key_hash == services.hash_key(plain) and plain not in (stored.key_hash, stored.prefix)
    assert (stored.name, stored.requests_per_minute, stored.created_by_id) == ("city app", 30, admin.id)
    listing = client.get("/admin/open311/keys", headers=EN).get_data(as_text=True)
    assert plain not in listing and stored.prefix in listing and "city app" in listing
    assert services.key_for(plain) == stored
    assert _audit() == ["open311_key_created"]


def test_the_admin_sets_the_rate_and_revokes(client, admin):
    plain, _response = _issue(client)
    key = services.key_for(plain)
    response = client.post(f"/admin/open311/keys/{key.id}/rate", data={"requests_per_minute": "120"})
    assert response.status_code == 302
    db.session.refresh(key)
    assert key.requests_per_minute == 120
    client.post(f"/admin/open311/keys/{key.id}/rate", data={"requests_per_minute": "0"})
    db.session.refresh(key)
    assert key.requests_per_minute == 120  # refused: from 1 to 10000
    assert client.post(f"/admin/open311/keys/{key.id}/revoke").status_code == 302
    db.session.refresh(key)
    assert key.revoked_at is not None
    assert client.get(f"/open311/v2/services.json?api_key={plain}").status_code == 403
    assert _audit() == ["open311_key_created", "open311_key_rate", "open311_key_revoked"]


def test_a_bad_form_is_shown_again(client, admin):
    response = client.post("/admin/open311/keys", data={"name": "", "requests_per_minute": "60"}, headers=EN)
    assert response.status_code == 400
    assert db.session.scalar(select(Open311Key)) is None


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT])
def test_only_admins_manage_keys(client, make_user, login, role):
    login(make_user(role=role))
    assert client.get("/admin/open311/keys").status_code == 403
    assert client.post("/admin/open311/keys", data={"name": "x", "requests_per_minute": "5"}).status_code == 403
    assert db.session.scalar(select(Open311Key)) is None


def test_anonymous_visitors_are_sent_to_sign_in(client, app):
    response = client.get("/admin/open311/keys")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
