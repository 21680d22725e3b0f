"""Routing fixtures: the department whose desk the desk tests use."""

import pytest


@pytest.fixture
def dept(make_department):
    return make_department("D01", "东城区市场监管所")
