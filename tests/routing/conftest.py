"""Routing fixtures: the department whose desk the desk tests use."""

import pytest

from hotline.models import Role


@pytest.fixture
def dept(make_department):
    return make_department("D01", "东城区市场监管所")


@pytest.fixture
def staff(make_user, login, dept):
    """A signed-in department user of `dept`."""
    user = make_user(role=Role.DEPARTMENT, department=dept)
    login(user)
    return user
