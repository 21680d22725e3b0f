"""Routing fixtures: the department whose desk the desk tests use, the referral directory."""

import pytest

from hotline.extensions import db
from hotline.models import Role
from routing import referrals


@pytest.fixture
def dept(make_department):
    return make_department("D01", "东城区市场监管所")


@pytest.fixture
def staff(make_user, login, dept):
    """A signed-in department user of `dept`."""
    user = make_user(role=Role.DEPARTMENT, department=dept)
    login(user)
    return user


@pytest.fixture
def directory(app):
    """The seeded referral directory, by key."""
    referrals.seed_referral_directory()
    db.session.commit()
    return {entry.key: entry for entry in referrals.directory(active_only=False)}
