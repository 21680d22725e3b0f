"""Account administration: every change goes through here and into the audit trail.

Services flush; the view commits once.
"""

from sqlalchemy import select

from hotline import accounts, audit
from hotline.extensions import db
from hotline.models import ApiToken, Department, Role, User
from hotline.timeutil import now

EDITABLE = ("display_name", "role", "department", "phone", "active")
# The limits of an account's and a token's fields, read by the console's forms and the API twins
# (hotline/admin/api.py) alike.
MAX_USERNAME, MAX_DISPLAY_NAME, MAX_OWN_PHONE, MAX_TOKEN_NAME = 64, 120, 40, 120
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
# Values not copied into the audit trail: the operator's own phone is personal data.
_PRIVATE = {"phone"}


class SelfLockout(accounts.AccountError):
    """An admin tried to deactivate or demote their own account."""


def list_users():
    """Every account, by username."""
    return db.session.scalars(select(User).order_by(User.username)).all()


def list_tokens():
    """Every API token, newest first."""
    return db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def active_departments():
    """Departments an account can belong to, by code."""
    return db.session.scalars(select(Department).where(Department.active).order_by(Department.code)).all()


def department(department_id):
    """The department with this id, or None."""
    return db.session.get(Department, department_id) if department_id else None


def active_department(code):
    """The active department with this code (what the API names it by), or None."""
    return db.session.scalar(select(Department).where(Department.code == code, Department.active))


def username_taken(username):
    """True when an account already has this username, in any case (accounts.username_taken)."""
    return accounts.username_taken(username)


def create_user(actor, ip=None, **fields):
    """A new account, audited."""
    user = accounts.create_user(**fields)
    audit.record(actor, "user_created", "user", user.id, ip=ip, username=user.username, role=str(user.role))
    return user


def update_user(actor, user, ip=None, **fields):
    """Change the editable fields of `user`; an admin may not lock themselves out."""
    if user.id == getattr(actor, "id", None) and (
        not fields.get("active", user.active) or fields.get("role", user.role) != Role.ADMIN
    ):
        raise SelfLockout("an admin cannot deactivate or demote their own account")
    if fields.get("role", user.role) != Role.DEPARTMENT:
        # Only department staff belong to a department: an operator shown beside one reads as
        # department staff on the accounts list, and gets it back if made department staff again.
        fields["department"] = None
    changes = {}
    for name in EDITABLE:
        if name in fields and getattr(user, name) != fields[name]:
            old = getattr(user, name)
            setattr(user, name, fields[name])
            changes[name] = None if name in _PRIVATE else [_plain(old), _plain(fields[name])]
    if changes:
        audit.record(actor, "user_updated", "user", user.id, ip=ip, changes=changes)
    db.session.flush()
    return changes


def reset_password(actor, user, password, ip=None):
    """Set a new password chosen by an admin; the lock and failure count go with the old one,
    and so does every session signed in with it (API tokens are separate credentials and stay)."""
    accounts.set_password(user, password)
    accounts.unlock(user)
    audit.record(actor, "password_reset", "user", user.id, ip=ip)
    db.session.flush()


def unlock_user(actor, user, ip=None):
    """Lift a sign-in lock, audited."""
    was_locked = accounts.is_locked(user)
    accounts.unlock(user)
    audit.record(actor, "user_unlocked", "user", user.id, ip=ip, was_locked=was_locked)
    db.session.flush()


def issue_token(actor, owner, name, ip=None):
    """A new API token for `owner`; returns (plain, token). The plain text is never stored."""
    plain, token = accounts.create_token(owner, name)
    audit.record(actor, "token_created", "api_token", token.id, ip=ip, owner=owner.username, prefix=token.prefix)
    return plain, token


def revoke_token(actor, token, ip=None):
    """Revoke a token (idempotent), audited the first time."""
    if token.revoked_at is None:
        token.revoked_at = now()
        audit.record(actor, "token_revoked", "api_token", token.id, ip=ip, prefix=token.prefix)
        db.session.flush()
    return token


def _plain(value):
    """A JSON-safe form of a field value for the audit trail."""
    if isinstance(value, Department):
        return value.code
    return value if value is None or isinstance(value, bool) else str(value)
