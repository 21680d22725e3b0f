"""Admin API token pages: create (shown once), list, revoke."""

import re

from sqlalchemy import select

from hotline import accounts
from hotline.extensions import db
from hotline.models import ApiToken, Role

TOKEN = re.compile(r'id="plain-token">(hl_[^<]+)<')


def _create(client, owner, name="crm sync"):
    response = client.post("/admin/tokens", data={"owner": str(owner.id), "name": name})
    assert response.status_code == 200
    return response


def test_token_is_shown_once_and_authenticates(client, admin, make_user, audit_actions):
    owner = make_user(role=Role.SUPERVISOR, username="sup")
    response = _create(client, owner)
    assert response.headers["Cache-Control"] == "no-store"
    plain = TOKEN.search(response.get_data(as_text=True)).group(1)
    assert accounts.user_for_token(plain).username == "sup"
    db.session.commit()
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert plain not in listing
    assert plain[:8] in listing and "crm sync" in listing and "sup" in listing
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != plain and plain not in stored.token_hash
    assert audit_actions("api_token") == ["token_created"]


def test_revoke_token(client, admin, make_user, audit_actions):
    owner = make_user(username="op")
    plain = TOKEN.search(_create(client, owner).get_data(as_text=True)).group(1)
    token = db.session.scalar(select(ApiToken))
    assert client.get(f"/admin/tokens/{token.id}/revoke").status_code == 405
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 302
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 302  # twice is harmless
    assert accounts.user_for_token(plain) is None
    assert audit_actions("api_token") == ["token_created", "token_revoked"]


def test_invalid_token_form_creates_nothing(client, admin, make_user):
    owner = make_user(username="op")
    for data in ({"owner": str(owner.id), "name": ""}, {"owner": "999", "name": "x"}):
        response = client.post("/admin/tokens", data=data)
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
        assert "hl_" not in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(ApiToken)) is None


def test_inactive_users_are_not_offered_as_owners(client, admin, make_user):
    user = make_user(username="gone")
    user.active = False
    db.session.commit()
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert f'value="{user.id}"' not in page
    assert f'value="{admin.id}"' in page
