"""Signing in and out: lockout, inactive accounts, CSRF, cookies, redirects."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from hotline import accounts
from hotline.extensions import db
from hotline.models import Role, User
from tests.conftest import PASSWORD

ENGLISH = {"Accept-Language": "en"}
GENERIC_FAILURE = "Sign-in failed: wrong username or password, or the account is locked."
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _sign_in(client, username, password=PASSWORD, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, headers=ENGLISH, **kwargs)


def _signed_in(client):
    """True when the client's session reaches the console."""
    return client.get("/").status_code == 200


def _reload(user):
    db.session.rollback()
    return db.session.get(User, user.id)


def test_sign_in_lands_on_the_console(client, make_user):
    user = make_user(username="op")
    response = _sign_in(client, "op")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in(client)
    assert _reload(user).last_login_at is not None


def test_wrong_password_and_unknown_user_get_the_same_generic_message(client, make_user):
    make_user(username="op")
    wrong = _sign_in(client, "op", "wrong-password")
    unknown = _sign_in(client, "nobody", "wrong-password")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_FAILURE in wrong.get_data(as_text=True)
    assert GENERIC_FAILURE in unknown.get_data(as_text=True)
    assert not _signed_in(client)


def test_password_is_stored_hashed(make_user):
    user = make_user(username="op")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def _fail_until_locked(client, app, username):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _sign_in(client, username, "wrong-password").status_code == 200


def test_failures_lock_the_account_until_an_admin_unlocks_it(app, client, make_user):
    user = make_user(username="op")
    _fail_until_locked(client, app, "op")
    locked = _sign_in(client, "op")  # the right password, refused while locked
    assert GENERIC_FAILURE in locked.get_data(as_text=True)
    assert not _signed_in(client)

    admin_client = app.test_client()
    admin = make_user(role=Role.ADMIN, username="boss")
    _sign_in(admin_client, admin.username)
    page = admin_client.get("/admin/users", headers=ENGLISH).get_data(as_text=True)
    row = re.search(rf'<tr id="user-{user.id}".*?</tr>', page, re.S).group(0)
    assert "sign-in locked from 1 address(es) until" in row
    assert f"({app.config['LOGIN_MAX_FAILURES']} failed sign-ins)" in row

    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert not accounts.is_locked(_reload(user))
    assert _sign_in(client, "op").status_code == 302
    assert _signed_in(client)


def test_a_lock_expires_by_itself(app, client, make_user):
    make_user(username="op")
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    with freeze_time(datetime.now(UTC)) as clock:
        _fail_until_locked(client, app, "op")
        clock.tick(timedelta(minutes=minutes - 1))
        assert _sign_in(client, "op").status_code == 200  # still locked
        clock.tick(timedelta(minutes=2))
        assert _sign_in(client, "op").status_code == 302
        # Inside the frozen clock: a session signed "in the future" is refused once time is real.
        assert _signed_in(client)


def test_failures_below_the_limit_do_not_lock(app, client, make_user):
    user = make_user(username="op")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _sign_in(client, "op", "wrong-password")
    assert _sign_in(client, "op").status_code == 302
    assert _reload(user).failed_logins == 0  # a success starts the count again


def test_lock_settings_are_read_from_config(app_factory, backend):
    app = app_factory(LOGIN_MAX_FAILURES=2, LOGIN_LOCK_MINUTES=1)
    client = app.test_client()
    with app.app_context():
        user = accounts.create_user("op", PASSWORD, Role.OPERATOR)
        db.session.commit()
        user_id = user.id
    for _ in range(2):
        _sign_in(client, "op", "wrong-password")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert accounts.is_locked(user)
        assert user.locked_until - datetime.now(UTC).replace(tzinfo=None) <= timedelta(minutes=1)


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user(username="op")
    user.active = False
    db.session.commit()
    response = _sign_in(client, "op")
    assert response.status_code == 200
    assert GENERIC_FAILURE in response.get_data(as_text=True)
    assert not _signed_in(client)


def test_deactivation_ends_an_open_session(client, make_user):
    user = make_user(username="op")
    _sign_in(client, "op")
    assert _signed_in(client)
    user.active = False
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_is_post_only(client, make_user):
    make_user(username="op")
    _sign_in(client, "op")
    assert client.get("/logout").status_code == 405
    assert _signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert not _signed_in(client)


def _csrf_token(page):
    match = CSRF_FIELD.search(page)
    return match.group(1) or match.group(2)


def test_with_csrf_on_a_login_without_the_token_is_refused(app_factory, backend):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("op", PASSWORD, Role.OPERATOR)
        db.session.commit()
    refused = client.post("/login", data={"username": "op", "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/").status_code == 302  # not signed in
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    accepted = client.post("/login", data={"username": "op", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302
    assert client.get("/").status_code == 200


def test_with_csrf_on_an_admin_form_without_the_token_is_refused(app_factory, backend):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("boss", PASSWORD, Role.ADMIN)
        locked = accounts.create_user("op", PASSWORD, Role.OPERATOR)
        locked.locked_until = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
        db.session.commit()
        locked_id = locked.id
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    new_user = {"username": "sneaky", "display_name": "x", "role": "admin", "department": "0",
                "password": "sneaky-password", "confirm": "sneaky-password"}
    assert client.post("/admin/users/new", data=new_user).status_code == 400
    assert client.post(f"/admin/users/{locked_id}/unlock").status_code == 400
    assert client.post("/admin/users/new", data={**new_user, "csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
        assert accounts.is_locked(db.session.get(User, locked_id))
    # The same form with the page's token goes through, so the 400s above were the token's doing.
    page_token = _csrf_token(client.get("/admin/users/new").get_data(as_text=True))
    assert client.post("/admin/users/new", data={**new_user, "csrf_token": page_token}).status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user(username="op")
    response = _sign_in(client, "op")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=lax"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
    ],
)
def test_next_cannot_leave_the_site(client, make_user, target):
    make_user(username="op")
    response = client.post(
        "/login", query_string={"next": target}, data={"username": "op", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "\\" not in location


def test_next_keeps_a_local_path(client, make_user):
    make_user(username="op")
    response = client.post(
        "/login", query_string={"next": "/search?q=abc"}, data={"username": "op", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/search?q=abc"


# A page re-rendered after a refused POST (a form with its errors) sits at its POST-only address:
# the language switch and the availability form go back to a page a GET opens, never into a 405.
POST_ONLY = "/availability"


def test_the_language_switch_never_goes_back_to_an_address_only_a_form_posts_to(client, make_user, login):
    login(make_user(username="op-lang"))
    back = client.post("/lang/en", data={"next": ""}, headers={"Referer": f"http://localhost{POST_ONLY}"})
    assert back.status_code == 302 and back.headers["Location"] == "/"
    assert client.get(back.headers["Location"]).status_code == 200
    page = client.post("/lang/zh", data={"next": "/search?q=abc"})
    assert page.headers["Location"] == "/search?q=abc"
    referred = client.post("/lang/en", headers={"Referer": "http://localhost/my"})
    assert referred.headers["Location"] == "/my"


@pytest.mark.parametrize("target", [POST_ONLY, "/no/such/page", "https://evil.example/my", "//evil.example/my"])
def test_the_availability_form_goes_back_to_an_open_page_of_this_site(client, make_user, login, target):
    login(make_user(username="op-avail"))
    back = client.post("/availability", data={"availability": "away", "next": target})
    assert back.status_code == 302 and back.headers["Location"] == "/"
    kept = client.post("/availability", data={"availability": "available", "next": "/my?page=2"})
    assert kept.headers["Location"] == "/my?page=2"
