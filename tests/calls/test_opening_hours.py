"""Opening hours, a pure rule: no app needed."""

from datetime import date, datetime

import pytest

from hotline.opening_hours import BadHours, is_open, parse_hours


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 6, 10, 7, 59), False),
        (datetime(2025, 6, 10, 8, 0), True),
        (datetime(2025, 6, 10, 19, 59), True),
        (datetime(2025, 6, 10, 20, 0), False),
        (datetime(2025, 6, 14, 10, 0), True),  # a Saturday: 12315 answers every day
        (datetime(2025, 10, 1, 10, 0), False),  # National Day
        (datetime(2025, 10, 8, 10, 0), False),  # a make-up day off of the 2025 Golden Week
        (datetime(2025, 10, 11, 10, 0), True),  # a Saturday declared a working day
    ],
)
def test_default_hours_and_holidays(moment, expected):
    assert is_open(moment) is expected


def test_holidays_can_be_open_and_extra_days_closed():
    assert is_open(datetime(2025, 10, 1, 10, 0), open_on_holidays=True)
    assert not is_open(datetime(2025, 6, 10, 10, 0), closed_dates={date(2025, 6, 10)})


def test_split_and_round_the_clock_hours():
    assert not is_open(datetime(2025, 6, 10, 12, 30), "08:00-12:00,13:00-20:00")
    assert is_open(datetime(2025, 6, 10, 13, 0), "08:00-12:00,13:00-20:00")
    assert is_open(datetime(2025, 6, 10, 23, 59), "00:00-24:00")
    assert parse_hours("08:00-20:00") == [(480, 1200)]


@pytest.mark.parametrize("hours", ["8-20", "20:00-08:00", "08:00-25:00", "08:61-20:00", "", "08:00"])
def test_unusable_hours_are_refused_clearly(hours):
    with pytest.raises(BadHours):
        parse_hours(hours)
