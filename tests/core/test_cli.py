"""`flask hotline ...`: accounts, tokens, unlock, demo data."""

import pytest
from sqlalchemy import func, select

from hotline import accounts
from hotline.extensions import db
from hotline.models import Department, Role, Ticket, User

PASSWORD = "cli-password-1"


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=["hotline", *args], input=input)

    return invoke


def _user(username):
    db.session.rollback()  # only what the command committed counts
    return db.session.scalar(select(User).where(User.username == username))


def _count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_asks_for_the_password_twice(run):
    result = run("create-user", "op", "--role", "operator", "--name", "李娜", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created operator op" in result.output
    user = _user("op")
    assert (user.display_name, user.role) == ("李娜", Role.OPERATOR)
    assert PASSWORD not in user.password_hash
    assert accounts.authenticate("op", PASSWORD) == user


def test_create_user_with_department_and_phone(run):
    db.session.add(Department(code="MS01", name="东城市场监管所"))
    db.session.commit()
    result = run(
        "create-user", "dept", "--role", "department", "--department", "MS01",
        "--phone", "138 0013 8000", "--password", PASSWORD,
    )
    assert result.exit_code == 0, result.output
    user = _user("dept")
    assert user.department.code == "MS01"
    assert user.phone == "+8613800138000"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "operator", "--department", "NOPE"], "no department with code 'NOPE'"),
        (["--role", "operator", "--phone", "not a phone"], "not a phone number"),
        (["--role", "wizard"], "Invalid value for '--role'"),
    ],
)
def test_create_user_refuses_bad_input(run, args, message):
    result = run("create-user", "op", *args, "--password", PASSWORD)
    assert result.exit_code != 0
    assert message in result.output
    assert _user("op") is None


def test_create_user_refuses_a_short_password(run):
    result = run("create-user", "op", "--role", "operator", input="short\nshort\n")
    assert result.exit_code != 0
    assert "至少需要 8 个字符" in result.output  # the CLI speaks BABEL_DEFAULT_LOCALE
    assert _user("op") is None


def test_create_user_refuses_a_duplicate_username(run, make_user):
    make_user(role=Role.SUPERVISOR, username="op")
    result = run("create-user", "op", "--role", "admin", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "username 'op' is taken" in result.output
    assert _user("op").role == Role.SUPERVISOR
    assert _count(User) == 1


def test_create_token_prints_a_token_that_authenticates(run, make_user):
    make_user(username="op")
    result = run("create-token", "op", "--name", "crm")
    assert result.exit_code == 0, result.output
    plain = result.output.strip()
    assert plain.startswith("hl_")
    assert accounts.user_for_token(plain).username == "op"
    assert accounts.user_for_token(plain + "x") is None


def test_create_token_for_an_unknown_user(run):
    result = run("create-token", "ghost")
    assert result.exit_code != 0
    assert "no user 'ghost'" in result.output


def test_unlock(run, make_user, app):
    user = make_user(username="op")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        accounts.authenticate("op", "wrong-password")
    db.session.commit()
    assert accounts.is_locked(user)
    result = run("unlock", "op")
    assert result.exit_code == 0, result.output
    assert "unlocked op" in result.output
    assert not accounts.is_locked(_user("op"))
    assert run("unlock", "ghost").exit_code != 0


def test_seed_demo_is_idempotent_and_prints_the_logins(run):
    first = run("seed-demo")
    assert first.exit_code == 0, first.output
    counts = (_count(User), _count(Ticket), _count(Department))
    assert counts[0] == 5 and counts[1] > 0
    second = run("seed-demo")
    assert second.exit_code == 0, second.output
    assert (_count(User), _count(Ticket), _count(Department)) == counts
    from hotline.demo import DEMO_USERS

    for output in (first.output, second.output):
        for username, password, role, _name, _dept in DEMO_USERS:
            line = next(line for line in output.splitlines() if f" {username} " in line)
            assert password in line and role.value in line
    for username, password, *_rest in DEMO_USERS:
        assert accounts.authenticate(username, password) is not None, username
