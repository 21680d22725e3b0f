"""Staff accounts: creation, sign-in with lockout, API tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.extensions import db
from hotline.models import ApiToken, Role, User
from hotline.timeutil import now

MIN_PASSWORD_LENGTH = 8
# Compared against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    pass


def create_user(username, password, role, display_name=None, department=None, phone=None):
    """A new staff account with a hashed password."""
    username = (username or "").strip()
    if not username:
        raise AccountError("username is required")
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"username {username!r} is taken")
    user = User(
        username=username,
        display_name=display_name or username,
        role=Role(role),
        department=department,
        phone=phone,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user, password):
    """Hash and store a new password, refusing short ones."""
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = generate_password_hash(password)


def is_locked(user):
    return user.locked_until is not None and user.locked_until > now()


def authenticate(username, password):
    """The user if the password is right and the account open; None otherwise.

    Each failure counts; the configured number in a row locks the account for a while.
    """
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.active or is_locked(user):
        return None
    if user.locked_until is not None:  # the lock has run out: a fresh count
        unlock(user)
    if not check_password_hash(user.password_hash, password or ""):
        _count_failure(user)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now()
    return user


def _count_failure(user):
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        # The count stays until the lock runs out, so admins see why the account is locked.
        user.locked_until = now() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def unlock(user):
    """Lift a sign-in lock (admins)."""
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
    token.last_used_at = now()
    return token.user
