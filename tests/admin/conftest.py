"""Fixtures for the admin pages: a signed-in admin, a department, audit lookups."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Role


@pytest.fixture
def admin(make_user, login):
    user = make_user(role=Role.ADMIN, username="boss")
    login(user)
    return user


@pytest.fixture
def audit_actions():
    """The audit actions recorded so far (committed only), oldest first."""

    def actions(target_type=None):
        db.session.rollback()
        query = select(AuditLog).order_by(AuditLog.id)
        if target_type:
            query = query.where(AuditLog.target_type == target_type)
        return [entry.action for entry in db.session.scalars(query)]

    return actions
