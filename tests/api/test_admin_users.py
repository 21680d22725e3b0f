"""The API twins of the admin console's account pages (hotline/admin/api.py): list, create, edit,
set a password, unlock; admins only, audited as the console, no password or hash ever shown."""

import pytest
from sqlalchemy import select

from hotline import accounts
from hotline.extensions import db
from hotline.models import Role, User
from tests.api.conftest import audit_entries
from tests.conftest import PASSWORD
from tests.hostile import refused_unchanged

NEW_PASSWORD = "fresh-password-9"
NEW_USER = {"username": "li.na", "password": NEW_PASSWORD, "display_name": "李娜", "role": "operator",
            "phone": "138 0013 8000"}


def _user(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _signs_in(app, username, password):
    """Whether the sign-in page lets `username` in with `password` (a browser of its own)."""
    response = app.test_client().post("/login", data={"username": username, "password": password})
    return response.status_code == 302


def test_an_admin_creates_an_account_that_signs_in_and_sees_it_listed(app, admin_api):
    created = admin_api.post("/api/v1/admin/users", json=NEW_USER)
    assert created.status_code == 201, created.json
    assert created.json["username"] == "li.na" and created.json["role"] == "operator"
    assert created.json["phone_masked"] == "138****8000" and created.json["active"] is True
    assert not {"password", "password_hash"} & set(created.json)
    assert NEW_PASSWORD not in created.get_data(as_text=True)
    listed = admin_api.get("/api/v1/admin/users").json["items"]
    assert [u["username"] for u in listed] == ["boss", "li.na"]
    assert "13800138000" not in admin_api.get("/api/v1/admin/users").get_data(as_text=True)
    assert _signs_in(app, "li.na", NEW_PASSWORD)
    (entry,) = audit_entries("user_created")
    assert entry.target_id == str(created.json["id"]) and entry.user.username == "boss"


def test_a_department_account_names_its_department_by_code(admin_api, department):
    created = admin_api.post("/api/v1/admin/users", json={**NEW_USER, "role": "department",
                                                           "department": department.code})
    assert created.status_code == 201 and created.json["department"] == department.code
    assert _user("li.na").department_id == department.id


def test_bad_accounts_are_422_naming_the_field_and_nothing_is_saved(admin_api, make_user):
    make_user(username="taken")
    path = "/api/v1/admin/users"
    for body, fields in [
        ({**NEW_USER, "username": "taken"}, {"username"}),
        ({**NEW_USER, "username": "Taken"}, {"username"}),  # the same name to a person reading a list
        ({**NEW_USER, "username": "li na<script>"}, {"username"}),
        ({**NEW_USER, "username": "x" * 65}, {"username"}),
        ({**NEW_USER, "password": "short"}, {"password"}),
        ({**NEW_USER, "password": "password123"}, {"password"}),  # one of the most common
        ({**NEW_USER, "phone": "not a phone"}, {"phone"}),
        ({**NEW_USER, "role": "department"}, {"department"}),
        ({**NEW_USER, "role": "department", "department": "NOPE"}, {"department"}),
        ({**NEW_USER, "role": "superuser"}, {"role"}),
        ({**NEW_USER, "display_name": "x" * 121, "is_admin": True}, {"display_name", "is_admin"}),
        ({"username": "li.na"}, {"password", "display_name", "role"}),
    ]:
        refused_unchanged(admin_api, path, body, 422, fields)
    weak = refused_unchanged(admin_api, path, {**NEW_USER, "password": "password123"}, 422, {"password"})
    assert "most common passwords" in weak.json["fields"]["password"]  # in English, why it is refused
    refused_unchanged(admin_api, path, "[]", 400)
    assert _user("li.na") is None


def test_an_admin_edits_an_account_and_the_change_is_audited(admin_api, make_user, department):
    user = make_user(username="op", phone="+8613800138001")
    changed = admin_api.patch(f"/api/v1/admin/users/{user.id}",
                              json={"display_name": "王五", "role": "department", "department": department.code,
                                    "active": False})
    assert changed.status_code == 200, changed.json
    assert (changed.json["display_name"], changed.json["role"], changed.json["department"],
            changed.json["active"], changed.json["phone_masked"]) == ("王五", "department", department.code,
                                                                     False, "138****8001")
    (entry,) = audit_entries("user_updated")
    assert entry.data["changes"]["role"] == ["operator", "department"]
    cleared = admin_api.patch(f"/api/v1/admin/users/{user.id}", json={"phone": None})
    assert cleared.json["phone_masked"] is None and _user("op").phone is None
    assert audit_entries("user_updated")[-1].data["changes"]["phone"] is None  # the number stays out of the trail
    operator = admin_api.patch(f"/api/v1/admin/users/{user.id}", json={"role": "operator"})
    assert (operator.json["role"], operator.json["department"]) == ("operator", None)  # no longer department staff


def test_an_edit_is_refused_whole_422_409_404(admin_api, make_user):
    user = make_user(username="op")
    path = f"/api/v1/admin/users/{user.id}"
    for body, fields in [({"role": "department"}, {"department"}), ({"active": "no"}, {"active"}),
                         ({"display_name": "", "phone": "x"}, {"display_name", "phone"}), ({"username": "x"}, {"username"})]:
        response = admin_api.patch(path, json=body)
        assert response.status_code == 422 and set(response.json["fields"]) == fields, response.json
    boss = _user("boss")
    for body in ({"active": False}, {"role": "operator"}):
        response = admin_api.patch(f"/api/v1/admin/users/{boss.id}", json=body)
        assert response.status_code == 409, response.json
    for missing in ("99999", "x1", "99999999999999999999"):
        assert admin_api.patch(f"/api/v1/admin/users/{missing}", json={"active": True}).status_code == 404
    assert audit_entries("user_updated") == []
    assert (_user("op").role, _user("boss").role, _user("boss").active) == (Role.OPERATOR, Role.ADMIN, True)


def test_a_new_password_signs_in_and_the_old_one_does_not(app, admin_api, make_user):
    user = make_user(username="op")
    path = f"/api/v1/admin/users/{user.id}/password"
    refused_unchanged(admin_api, path, {"password": "short"}, 422, {"password"})
    refused_unchanged(admin_api, path, {"password": "op"}, 422, {"password"})
    refused_unchanged(admin_api, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, 422, {"confirm"})
    set_ = admin_api.post(path, json={"password": NEW_PASSWORD})
    assert set_.status_code == 200 and NEW_PASSWORD not in set_.get_data(as_text=True)
    assert _signs_in(app, "op", NEW_PASSWORD) and not _signs_in(app, "op", PASSWORD)
    assert len(audit_entries("password_reset")) == 1
    assert admin_api.post("/api/v1/admin/users/99999/password", json={"password": NEW_PASSWORD}).status_code == 404


def test_unlock_lets_a_locked_account_sign_in_again(app, admin_api, make_user):
    user = make_user(username="op")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        accounts.authenticate("op", "wrong-password", "10.0.0.9")
    db.session.commit()
    listed = {u["username"]: u for u in admin_api.get("/api/v1/admin/users").json["items"]}
    assert listed["op"]["locked"] is True and listed["op"]["locked_addresses"] == 1
    assert listed["op"]["locked_until"] is not None
    unlocked = admin_api.post(f"/api/v1/admin/users/{user.id}/unlock")
    assert unlocked.status_code == 200
    assert unlocked.json["locked"] is False and unlocked.json["failed_logins"] == 0
    assert accounts.authenticate("op", PASSWORD, "10.0.0.9") is not None
    (entry,) = audit_entries("user_unlocked")
    assert entry.data["was_locked"] is True
    assert admin_api.post("/api/v1/admin/users/99999/unlock").status_code == 404


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT])
def test_only_admins(as_role, make_user, department, role):
    other = as_role(role, department if role == Role.DEPARTMENT else None)
    target = make_user(username="op")
    assert other.get("/api/v1/admin/users").status_code == 403
    assert other.post("/api/v1/admin/users", json=NEW_USER).status_code == 403
    assert other.patch(f"/api/v1/admin/users/{target.id}", json={"active": False}).status_code == 403
    assert other.post(f"/api/v1/admin/users/{target.id}/password", json={"password": NEW_PASSWORD}).status_code == 403
    assert other.post(f"/api/v1/admin/users/{target.id}/unlock").status_code == 403
    assert _user("li.na") is None and _user("op").active
    assert audit_entries("password_reset") == [] and audit_entries("user_unlocked") == []
