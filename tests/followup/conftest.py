from datetime import datetime

import pytest

from hotline.deadlines.calendar_data import seed_calendar
from hotline.extensions import db
from hotline.timeutil import clock_at, local_to_utc


@pytest.fixture
def calendar_2025(app):
    seed_calendar(2025, 2025)
    db.session.commit()


@pytest.fixture
def local():
    """A Beijing wall-clock time as the naive UTC the database stores."""
    return lambda *parts: local_to_utc(datetime(*parts), "Asia/Shanghai")


@pytest.fixture
def ticket_at(create_ticket):
    """A case received at a given moment (naive UTC)."""

    def make(moment, **fields):
        with clock_at(moment):
            return create_ticket(**fields)

    return make
