"""Staff accounts: creation, password rules, sign-in with per-address locks, sessions that
end with a password change, API tokens.

Sign-in rule: failed sign-ins count per (account, address). LOGIN_MAX_FAILURES in a row from
one address lock the account *for that address* for LOGIN_LOCK_MINUTES; other addresses,
the owner's among them, still sign in. Separately, the sign-in page limits failed attempts
per address over every account (LOGIN_FAILURES_PER_ADDRESS, hotline.auth), so one address
cannot spray guesses across many accounts either.
"""

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import after_this_request, current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.security import check_password_hash, generate_password_hash

from hotline import audit, reading_only
from hotline.extensions import db
from hotline.models import ApiToken, Role, SignInFailure, User
from hotline.timeutil import now

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
# zxcvbn reads at most this many characters; a longer password is judged by its beginning.
_ESTIMATED_LENGTH = 72
# Compared against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# A failure older than this no longer counts towards a lock (and its row may go).
_FAILURE_MEMORY = timedelta(days=1)


class AccountError(ValueError):
    pass


class WeakPassword(AccountError):
    """The password breaks the password rules; str() is the message for the person choosing it."""


# ---- password rules --------------------------------------------------------------------------

# Hints from zxcvbn's analysis of why a password is guessable, in our own translated words.
_HINTS = {
    "repeat": _l("Repeated characters such as “aaaa” are easy to guess."),
    "sequence": _l("Sequences such as “abcd” or “1234” are easy to guess."),
    "spatial": _l("Keyboard patterns such as “qwerty” are easy to guess."),
    "date": _l("Dates and years are easy to guess."),
    "user_inputs": _l("Do not use your user name or name in the password."),
    "dictionary": _l("Common words and names are easy to guess."),
}


@lru_cache(maxsize=1)
def _common_passwords():
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password, user_inputs=()):
    """Why `password` may not be used (a translatable message), or None when it may.

    Refused: shorter than 8 characters, one of the 30,000 most common passwords (zxcvbn's
    list, compared case-insensitively), or a zxcvbn strength score below PASSWORD_MIN_SCORE
    (0-4; default 3), with user name and display name counted as easy guesses.
    """
    from zxcvbn import zxcvbn

    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("The password needs at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("The password may have at most %(max)d characters.", max=MAX_PASSWORD_LENGTH)
    if password.lower() in _common_passwords():
        return _l("This is one of the most common passwords, the first an attacker tries. Choose another.")
    result = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=[u for u in user_inputs if u])
    if result["score"] >= current_app.config.get("PASSWORD_MIN_SCORE", 3):
        return None
    message = _l("This password is too easy to guess. Use a longer phrase of several unrelated words.")
    hint = _hint(result["sequence"])
    return f"{message} {hint}" if hint else message


def _hint(sequence):
    for match in sequence:
        key = "user_inputs" if match.get("dictionary_name") == "user_inputs" else match.get("pattern")
        if key in _HINTS:
            return str(_HINTS[key])
    return None


def username_taken(username):
    """True when an account has this username in any case: "Li.Na" beside "li.na" would be two
    people the audit trail and the lists cannot tell apart."""
    wanted = (username or "").strip().lower()
    return db.session.scalar(select(User.id).where(func.lower(User.username) == wanted).limit(1)) is not None


def create_user(username, password, role, display_name=None, department=None, phone=None):
    """A new staff account with a hashed password."""
    username = (username or "").strip()
    if not username:
        raise AccountError("username is required")
    if username_taken(username):
        raise AccountError(f"username {username!r} is taken")
    user = User(
        username=username,
        display_name=display_name or username,
        role=Role(role),
        department=department if Role(role) == Role.DEPARTMENT else None,  # only department staff have one
        phone=phone,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user, password):
    """Hash and store a new password after the password rules (WeakPassword otherwise), and
    end every session signed in with the old one (see session_is_current)."""
    problem = password_problem(password, (user.username, user.display_name))
    if problem:
        raise WeakPassword(str(problem))
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user):
    """Every session signed in to the account stops counting (see session_is_current): after a
    password change, and at sign-out, so a session cookie copied before it is worth nothing."""
    user.session_generation = (user.session_generation or 0) + 1


def check_own_password(user, password):
    """Whether `password` is `user`'s current one (to confirm a change of their own)."""
    return check_password_hash(user.password_hash, password or "")


def change_own_password(user, password, ip=None):
    """The user's own new password (audited); sessions signed in before end, the caller keeps
    its own with remember_session."""
    set_password(user, password)
    audit.record(user, "password_changed", "user", user.id, ip=ip)
    db.session.flush()


# ---- sessions ----------------------------------------------------------------------------------

SESSION_KEY = "session_generation"


def remember_session(session, user):
    """Mark a session as signed in under the account's current password."""
    session[SESSION_KEY] = user.session_generation or 0


def session_is_current(session, user):
    """False once the account's password changed after this session signed in. A session from
    before the counter existed carries none and counts as generation 0."""
    return session.get(SESSION_KEY, 0) == (user.session_generation or 0)


# ---- signing in --------------------------------------------------------------------------------

def is_locked(user, address=None):
    """Whether sign-in is locked for `user` from `address`; without an address, whether any
    address is locked out (the admin pages' flag)."""
    if address is None:
        return user.locked_until is not None and user.locked_until > now()
    row = _failure_row(user, address)
    return row is not None and row.locked_until is not None and row.locked_until > now()


def authenticate(username, password, address=None):
    """The user if the password is right, the account active and not locked for `address`;
    None otherwise (the caller cannot tell which).

    A failure counts against (account, address); LOGIN_MAX_FAILURES in a row lock that pair.
    """
    address = (address or "-")[:64]
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.active:
        return None
    if is_locked(user, address):
        check_password_hash(_DUMMY_HASH, password or "")  # a locked pair answers as slowly as any
        return None
    if not check_password_hash(user.password_hash, password or ""):
        _count_failure(user, address)
        return None
    db.session.execute(delete(SignInFailure).where(SignInFailure.user_id == user.id, SignInFailure.address == address))
    _summarise(user)
    user.last_login_at = now()
    return user


def _failure_row(user, address, lock=False):
    query = select(SignInFailure).where(SignInFailure.user_id == user.id, SignInFailure.address == address[:64])
    return db.session.scalar(query.with_for_update() if lock else query)


def _count_failure(user, address):
    config, moment = current_app.config, now()
    db.session.execute(
        delete(SignInFailure).where(SignInFailure.user_id == user.id,
                                    SignInFailure.last_failed_at < moment - _FAILURE_MEMORY)
    )
    # Row-locked (PostgreSQL), so two failures at once from one address both count.
    row = _failure_row(user, address, lock=True)
    if row is None:
        try:
            with db.session.begin_nested():
                row = SignInFailure(user_id=user.id, address=address, failures=0, last_failed_at=moment)
                db.session.add(row)
        except IntegrityError:  # the same address failed at the same moment in another request
            row = _failure_row(user, address, lock=True)
    if row.locked_until is not None and row.locked_until <= moment:  # the lock ran out: a fresh count
        row.failures, row.locked_until = 0, None
    row.failures += 1
    row.last_failed_at = moment
    if row.failures >= config["LOGIN_MAX_FAILURES"]:
        row.locked_until = moment + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    db.session.flush()
    _summarise(user)


def _summarise(user):
    """Copy the per-address state onto the account for the admin pages."""
    db.session.flush()
    rows = db.session.scalars(select(SignInFailure).where(SignInFailure.user_id == user.id)).all()
    moment = now()
    user.failed_logins = sum(row.failures for row in rows)
    ends = [row.locked_until for row in rows if row.locked_until is not None and row.locked_until > moment]
    user.locked_until = max(ends) if ends else None


def locked_addresses(user):
    """How many addresses are locked out of `user` now."""
    moment = now()
    return sum(
        1 for row in db.session.scalars(select(SignInFailure).where(SignInFailure.user_id == user.id))
        if row.locked_until is not None and row.locked_until > moment
    )


def unlock(user):
    """Lift every sign-in lock of `user` (admins) and forget its failures."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.user_id == user.id))
    user.locked_until = None
    user.failed_logins = 0


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, name):
    """A new API bearer token for `user`; the plain token is returned once and never stored."""
    plain = "hl_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_hash_token(plain), prefix=plain[:8])
    db.session.add(token)
    db.session.flush()
    return plain, token


def user_for_token(plain):
    """The active user a bearer token belongs to, or None."""
    if not plain:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    moment = now()
    if token.last_used_at is None or moment - token.last_used_at > timedelta(minutes=TOKEN_TOUCH_MINUTES):
        if has_request_context() and not _one_connection():
            app, token_id = current_app._get_current_object(), token.id

            @after_this_request
            def touch_once_sent(response):
                response.call_on_close(lambda: _touch_after(app, token_id, moment))
                return response
        else:  # a command, or an in-memory database (one connection): with the work itself
            token.last_used_at = moment
    return token.user


# "Last used" is for admins spotting stale tokens: to the ten minutes is enough, and it is written
# apart from the request's own work, without waiting for a lock, so a read never writes in its
# transaction (on SQLite it would wait for the write lock) and a busy moment skips a touch.
TOKEN_TOUCH_MINUTES = 10


def _touch_after(app, token_id, moment):
    """The touch, once the response is sent and the request's transaction has ended: on SQLite a
    POST's transaction holds the write lock until then, and a touch made inside the request waited
    the whole DB_LOCK_WAIT_MS for it (every other writer with it), then failed, so a token used only
    for writes never recorded a use and stalled the hotline on each request (found 2026-12-06).
    Begun DEFERRED (reading_only): BEGIN IMMEDIATE would wait before busy_timeout=0 is set."""
    with app.app_context(), reading_only():
        _touch_token(token_id, moment)


def _one_connection():
    return current_app.config["SQLALCHEMY_DATABASE_URI"] in ("sqlite://", "sqlite:///:memory:")


def _touch_token(token_id, moment):
    engine = db.engine
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        try:
            conn.exec_driver_sql("PRAGMA busy_timeout=0" if sqlite else "SET lock_timeout = 1")
            conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=moment))
            conn.commit()
        except OperationalError:
            conn.rollback()  # someone holds the lock: the next use writes it
        finally:
            wait = current_app.config["DB_LOCK_WAIT_MS"]
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wait}" if sqlite else f"SET lock_timeout = {wait}")
            if not sqlite:
                conn.commit()
