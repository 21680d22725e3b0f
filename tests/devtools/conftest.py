"""Fixtures for the dev tools: the frozen clock of tests/calls."""

from tests.calls.conftest import call_clock  # noqa: F401 (a fixture, used by name)
