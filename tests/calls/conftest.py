"""Fixtures for call handling: a caller's phone, a frozen clock inside opening hours."""

import pytest
from freezegun import freeze_time

from tests.calls.phone import Phone

# Tuesday 2025-06-10 10:00 in Shanghai: a working day inside the default opening hours.
OPEN_TIME_UTC = "2025-06-10 02:00:00"


@pytest.fixture
def call_clock():
    """Time frozen inside opening hours; `call_clock.tick(seconds)` moves it."""
    with freeze_time(OPEN_TIME_UTC) as frozen:
        yield frozen


@pytest.fixture
def phone(twilio_post):
    """phone(number=..., sid=...) -> a Phone that calls the hotline as Twilio would."""

    def make(**kwargs):
        return Phone(twilio_post, **kwargs)

    return make
