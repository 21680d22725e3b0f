"""Accounts tried as an attacker would: weak passwords on every form that sets one, a stolen
session cookie after a reset, and a stranger trying to lock the admin out by guessing."""

import pytest
from sqlalchemy import select

from hotline import accounts
from hotline.demo import DEMO_USERS
from hotline.extensions import db
from hotline.models import Role, SignInFailure, User
from tests.conftest import PASSWORD

ENGLISH = {"Accept-Language": "en"}
CHINESE = {"Accept-Language": "zh"}
WEAK = ["12345678", "password", "aaaaaaaa", "Password", "qwertyuiop", "11111111"]
STRONG = "tidal-quince-harbour-7"
STRANGER, OFFICE = "203.0.113.66", "198.51.100.7"
COMMON_EN = "one of the most common passwords"
GUESSABLE_EN = "too easy to guess"
COMMON_ZH = "最常见的密码"
GUESSABLE_ZH = "太容易被猜到"


def _refused(text, lang="en"):
    if lang == "en":
        return COMMON_EN in text or GUESSABLE_EN in text
    return COMMON_ZH in text or GUESSABLE_ZH in text


def _user(username):
    db.session.rollback()
    return db.session.scalar(select(User).where(User.username == username))


def _sign_in(client, username, password=PASSWORD, address="127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password}, headers=ENGLISH,
                       environ_base={"REMOTE_ADDR": address})


def _signed_in(client, address="127.0.0.1"):
    return client.get("/", environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user(role=Role.ADMIN, username="boss")
    client = app.test_client()
    assert _sign_in(client, "boss").status_code == 302
    return client, admin


# ---- weak passwords ------------------------------------------------------------------------------

def test_the_admin_new_account_form_refuses_weak_passwords(admin_client):
    client, _admin = admin_client
    for weak in WEAK:
        form = {"username": "li.na", "display_name": "李娜", "role": "operator", "department": "0",
                "password": weak, "confirm": weak}
        for headers, lang in ((ENGLISH, "en"), (CHINESE, "zh")):
            response = client.post("/admin/users/new", data=form, headers=headers)
            assert response.status_code == 200 and _refused(response.get_data(as_text=True), lang), weak
    assert _user("li.na") is None


def test_the_admin_reset_form_refuses_weak_passwords(admin_client, make_user):
    client, _admin = admin_client
    user = make_user(username="op")
    before = user.password_hash
    for weak in WEAK:
        response = client.post(f"/admin/users/{user.id}/password", data={"password": weak, "confirm": weak},
                               headers=CHINESE)
        assert response.status_code == 200 and _refused(response.get_data(as_text=True), "zh"), weak
    assert _user("op").password_hash == before


def test_ones_own_change_refuses_weak_passwords(client, make_user):
    make_user(username="op")
    _sign_in(client, "op")
    for weak in WEAK:
        response = client.post("/password", data={"current": PASSWORD, "password": weak, "confirm": weak},
                               headers=ENGLISH)
        assert response.status_code == 400 and _refused(response.get_data(as_text=True)), weak
    assert accounts.authenticate("op", PASSWORD) is not None


def test_the_cli_refuses_weak_passwords(app):
    for weak in WEAK:
        result = app.test_cli_runner().invoke(args=["hotline", "create-user", "op", "--role", "operator",
                                                    "--password", weak])
        assert result.exit_code != 0, weak
        assert _refused(result.output, "zh"), weak  # the CLI speaks BABEL_DEFAULT_LOCALE
    assert _user("op") is None


def test_the_account_name_counts_as_an_easy_guess(admin_client):
    client, _admin = admin_client
    form = {"username": "zhangwei", "display_name": "zhangwei", "role": "operator", "department": "0",
            "password": "zhangwei2024", "confirm": "zhangwei2024"}
    response = client.post("/admin/users/new", data=form, headers=ENGLISH)
    assert response.status_code == 200 and "user name" in response.get_data(as_text=True)
    assert _user("zhangwei") is None


def test_the_service_refuses_what_the_forms_refuse(app):
    with pytest.raises(accounts.WeakPassword):
        accounts.create_user("op", "password", Role.OPERATOR)


def test_the_demo_logins_in_the_readme_pass_the_rules(app):
    for username, password, *_ in DEMO_USERS:
        assert accounts.password_problem(password, (username,)) is None, username


# ---- sessions end with the password --------------------------------------------------------------

def test_an_admin_reset_ends_every_session_of_the_account_even_a_stolen_cookie(app, admin_client, make_user):
    client, _admin = admin_client
    user = make_user(username="op")
    laptop, thief = app.test_client(), app.test_client()
    _sign_in(laptop, "op")
    stolen = laptop.get_cookie("session")
    thief.set_cookie("session", stolen.value)
    assert _signed_in(laptop) and _signed_in(thief)

    response = client.post(f"/admin/users/{user.id}/password", data={"password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    for session in (laptop, thief):
        refused = session.get("/")
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert _signed_in(client)  # the admin who reset it is still in
    assert _sign_in(laptop, "op", STRONG).status_code == 302 and _signed_in(laptop)


def test_ones_own_change_keeps_this_session_and_ends_the_others(app, client, make_user):
    make_user(username="op")
    other_device = app.test_client()
    _sign_in(client, "op")
    _sign_in(other_device, "op")
    response = client.post("/password", data={"current": PASSWORD, "password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other_device)


def test_signing_out_makes_a_copy_of_the_session_cookie_worthless(app, client, make_user):
    """Found from outside: after 退出, a copied cookie stayed signed in for its 12-hour life."""
    make_user(username="op")
    thief = app.test_client()
    _sign_in(client, "op")
    thief.set_cookie("session", client.get_cookie("session").value)
    assert _signed_in(thief)
    assert client.post("/logout").status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)
    assert _sign_in(client, "op").status_code == 302 and _signed_in(client)  # signing in again works


def test_own_change_needs_the_current_password(client, make_user):
    make_user(username="op")
    _sign_in(client, "op")
    response = client.post("/password", data={"current": "not-my-password", "password": STRONG, "confirm": STRONG},
                           headers=ENGLISH)
    assert response.status_code == 400 and "not your current password" in response.get_data(as_text=True)
    assert accounts.authenticate("op", PASSWORD) is not None


def test_api_tokens_are_separate_credentials_and_survive_a_reset(app, admin_client, make_user):
    client, _admin = admin_client
    user = make_user(username="op")
    plain, _token = accounts.create_token(user, "web form")
    db.session.commit()
    client.post(f"/admin/users/{user.id}/password", data={"password": STRONG, "confirm": STRONG})
    assert app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {plain}"}).status_code == 200


# ---- guessing can lock out the guesser only ---------------------------------------------------------

def test_fifty_wrong_passwords_from_one_address_do_not_stop_the_admin_elsewhere(app, make_user):
    make_user(role=Role.ADMIN, username="boss")
    attacker = app.test_client()
    answers = [_sign_in(attacker, "boss", f"guess-{n}", address=STRANGER).status_code for n in range(50)]
    # Every failure from the stranger's address counts; after 20 that address is throttled.
    assert answers[:20] == [200] * 20 and set(answers[20:]) == {429}
    throttled = _sign_in(attacker, "boss", PASSWORD, address=STRANGER)  # even the right password
    assert throttled.status_code == 429 and 'id="sign-in-throttled"' in throttled.get_data(as_text=True)
    assert not _signed_in(attacker, STRANGER)

    office = app.test_client()
    assert _sign_in(office, "boss", PASSWORD, address=OFFICE).status_code == 302
    assert _signed_in(office, OFFICE)


def test_the_account_locks_for_the_guessing_address_only(app, make_user):
    user = make_user(role=Role.ADMIN, username="boss")
    attacker, owner = app.test_client(), app.test_client()
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _sign_in(attacker, "boss", f"guess-{n}", address=STRANGER).status_code == 200
    refused = _sign_in(attacker, "boss", PASSWORD, address=STRANGER)
    assert refused.status_code == 200 and "Sign-in failed" in refused.get_data(as_text=True)
    assert accounts.is_locked(_user("boss"), STRANGER)
    assert not accounts.is_locked(_user("boss"), OFFICE)
    assert _sign_in(owner, "boss", PASSWORD, address=OFFICE).status_code == 302
    # The admins' page still shows the lock on the stranger's address.
    assert accounts.is_locked(_user("boss"))
    assert db.session.scalar(select(SignInFailure.address).where(SignInFailure.user_id == user.id)) == STRANGER


def test_spraying_one_guess_over_many_accounts_is_throttled_too(app, make_user):
    for n in range(25):
        make_user(username=f"op{n}")
    attacker = app.test_client()
    answers = [_sign_in(attacker, f"op{n}", "Spring2026!", address=STRANGER).status_code for n in range(25)]
    assert answers[:20] == [200] * 20 and set(answers[20:]) == {429}
    assert _sign_in(app.test_client(), "op24", PASSWORD, address=OFFICE).status_code == 302


def test_unknown_usernames_count_against_the_address(app, make_user):
    make_user(username="op")
    attacker = app.test_client()
    for n in range(20):
        _sign_in(attacker, f"nobody{n}", "whatever-guess", address=STRANGER)
    assert _sign_in(attacker, "op", PASSWORD, address=STRANGER).status_code == 429


def test_x_forwarded_for_does_not_let_the_stranger_reset_their_count(app, make_user):
    make_user(username="op")
    attacker = app.test_client()
    for n in range(20):
        attacker.post("/login", data={"username": "op", "password": f"guess-{n}"},
                      environ_base={"REMOTE_ADDR": STRANGER}, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    assert attacker.post("/login", data={"username": "op", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": STRANGER},
                         headers={"X-Forwarded-For": "192.0.2.200"}).status_code == 429
