"""Admin account pages: list, create, edit, reset password, unlock; every change audited."""

import re

from sqlalchemy import select

from hotline import accounts
from hotline.extensions import db
from hotline.models import AuditLog, Role, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "fresh-password-9"


def _user(username):
    db.session.rollback()  # only what the view committed counts
    return db.session.scalar(select(User).where(User.username == username))


def _new_user_form(**overrides):
    data = {
        "username": "li.na",
        "display_name": "李娜",
        "role": "operator",
        "department": "0",
        "phone": "138 0013 8000",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    return {**data, **overrides}


def test_users_page_lists_accounts_with_masked_phone(client, admin, make_user, department):
    make_user(role=Role.DEPARTMENT, username="dept9", department=department, phone="+8613912345678")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "dept9" in page
    assert "东城市场监管所" in page
    assert "139****5678" in page
    assert "13912345678" not in page


def test_create_user(client, admin, audit_actions):
    response = client.post("/admin/users/new", data=_new_user_form())
    assert response.status_code == 302
    user = _user("li.na")
    assert (user.display_name, user.role, user.phone) == ("李娜", Role.OPERATOR, "+8613800138000")
    assert user.password_hash != NEW_PASSWORD
    assert accounts.authenticate("li.na", NEW_PASSWORD) == user
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user_created"))
    assert (entry.user_id, entry.target_id) == (admin.id, str(user.id))


def test_create_user_with_department(client, admin, department):
    client.post("/admin/users/new", data=_new_user_form(role="department", department=str(department.id)))
    assert _user("li.na").department == department


def test_invalid_new_user_is_shown_on_the_form_and_nothing_saved(client, admin, make_user, audit_actions):
    make_user(username="taken")
    cases = {
        "taken": _new_user_form(username="taken"),
        "short": _new_user_form(password="short", confirm="short"),
        "differ": _new_user_form(confirm="something-else"),
        "phone": _new_user_form(phone="not a phone"),
        "no department": _new_user_form(role="department"),
        "bad role": _new_user_form(role="superuser"),
        "bad username": _new_user_form(username="li na<script>"),
    }
    for why, form in cases.items():
        response = client.post("/admin/users/new", data=form)
        assert response.status_code == 200, why
        assert 'class="error"' in response.get_data(as_text=True), why
    assert _user("li.na") is None
    assert db.session.scalar(select(User).where(User.username == "li na<script>")) is None
    assert audit_actions() == []


def test_a_display_name_that_would_read_backwards_is_refused(client, admin, audit_actions):
    """U+202E turns what follows right to left: "李娜" beside a look-alike of another account."""
    response = client.post("/admin/users/new", data=_new_user_form(display_name="李\u202e娜"))
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)
    assert _user("li.na") is None and audit_actions() == []


def test_edit_user(client, admin, make_user, department, audit_actions):
    user = make_user(username="op")
    form = {"display_name": "王五", "role": "department", "department": str(department.id), "phone": "13800138001"}
    response = client.post(f"/admin/users/{user.id}/edit", data=form)  # "active" unticked
    assert response.status_code == 302
    user = _user("op")
    assert (user.display_name, user.role, user.department, user.phone) == (
        "王五", Role.DEPARTMENT, department, "+8613800138001",
    )
    assert not user.active
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user_updated"))
    assert entry.target_id == str(user.id)
    assert entry.data["changes"]["role"] == ["operator", "department"]
    assert entry.data["changes"]["phone"] is None  # the number itself stays out of the trail


def test_a_department_clerk_made_operator_leaves_the_department(client, admin, make_user, department, audit_actions):
    user = make_user(username="clerk", role=Role.DEPARTMENT, department=department)
    form = {"display_name": "王五", "role": "operator", "department": str(department.id), "active": "y"}
    assert client.post(f"/admin/users/{user.id}/edit", data=form).status_code == 302
    assert (_user("clerk").role, _user("clerk").department) == (Role.OPERATOR, None)
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "user_updated")).all()
    assert entry.data["changes"]["department"] == [department.code, None]
    page = client.get("/admin/users").get_data(as_text=True)
    assert department.name not in page


def test_edit_form_shows_current_values(client, admin, make_user):
    user = make_user(username="op", phone="+8613800138001")
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert 'value="op"' in page  # display name defaults to the username
    selected = re.findall(r"<option (?=[^>]*selected)[^>]*value=\"([^\"]*)\"", page)
    assert selected == ["operator", "0"]  # role, no department


def test_admin_cannot_deactivate_or_demote_themselves(client, admin, audit_actions):
    for form in (
        {"display_name": "Boss", "role": "admin", "department": "0"},  # active unticked
        {"display_name": "Boss", "role": "operator", "department": "0", "active": "y"},
    ):
        response = client.post(f"/admin/users/{admin.id}/edit", data=form)
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
    me = _user("boss")
    assert (me.active, me.role, me.display_name) == (True, Role.ADMIN, "boss")
    assert audit_actions() == []
    assert client.get("/admin/users").status_code == 200


def test_admin_may_edit_own_name(client, admin):
    form = {"display_name": "Boss", "role": "admin", "department": "0", "active": "y"}
    assert client.post(f"/admin/users/{admin.id}/edit", data=form).status_code == 302
    assert _user("boss").display_name == "Boss"


def test_reset_password(client, admin, make_user, audit_actions):
    user = make_user(username="op")
    bad = client.post(f"/admin/users/{user.id}/password", data={"password": "short", "confirm": "short"})
    assert bad.status_code == 200 and 'class="error"' in bad.get_data(as_text=True)
    ok = client.post(f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert ok.status_code == 302
    assert accounts.authenticate("op", PASSWORD) is None
    assert accounts.authenticate("op", NEW_PASSWORD) is not None
    assert audit_actions() == ["password_reset"]


def test_unlock_is_post_only_and_audited(client, admin, make_user, app, audit_actions):
    user = make_user(username="op")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        accounts.authenticate("op", "wrong-password")
    db.session.commit()
    assert accounts.is_locked(user)
    assert client.get(f"/admin/users/{user.id}/unlock").status_code == 405
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert not accounts.is_locked(_user("op"))
    assert audit_actions() == ["user_unlocked"]


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999/edit").status_code == 404
    assert client.post("/admin/users/999/unlock").status_code == 404


def test_admin_pages_refuse_other_roles(client, make_user, login):
    login(make_user(role=Role.SUPERVISOR))
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data=_new_user_form()).status_code == 403
    assert _user("li.na") is None


def test_names_are_escaped(client, admin):
    user = accounts.create_user("<b>x</b>", PASSWORD, Role.OPERATOR, display_name="<i>d</i>")
    db.session.commit()
    for path in ("/admin/users", f"/admin/users/{user.id}/edit", f"/admin/users/{user.id}/password"):
        page = client.get(path).get_data(as_text=True)
        assert "<b>x</b>" not in page and "<i>d</i>" not in page, path
        assert "&lt;b&gt;x&lt;/b&gt;" in page, path
