"""Working-day arithmetic, pure: no Flask, no database.

Every function takes `is_working(day)`, a lookup answering True, False, or None when the
calendar has no data for that day. An unknown day falls back to Monday-Friday and the result
says it was estimated, so a date beyond all data never raises.
"""

from datetime import date, timedelta
from typing import NamedTuple

# A bound on how far a search may walk: a hundred years of days, far beyond any legal limit.
MAX_SPAN_DAYS = 36_600


class WorkingDate(NamedTuple):
    day: date
    estimated: bool  # True when an unknown day was assumed Monday-Friday on the way


class WorkingCount(NamedTuple):
    days: int
    estimated: bool


def weekday_rule(day):
    """The fallback: Monday to Friday work."""
    return day.weekday() < 5


def _working(day, is_working):
    known = is_working(day)
    if known is None:
        return weekday_rule(day), True
    return bool(known), False


def add_working_days(start_date, n, is_working):
    """The n-th working day after start_date (start_date itself never counts)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day, counted, estimated = start_date, 0, False
    for _ in range(MAX_SPAN_DAYS):
        if counted >= n:
            return WorkingDate(day, estimated)
        day += timedelta(days=1)
        working, guessed = _working(day, is_working)
        estimated = estimated or guessed
        counted += working
    raise ValueError(f"no {n} working days within {MAX_SPAN_DAYS} days of {start_date}")


def working_days_between(start_date, end_date, is_working):
    """How many working days fall after start_date up to and including end_date."""
    count, estimated = 0, False
    day = start_date
    while day < end_date:
        day += timedelta(days=1)
        working, guessed = _working(day, is_working)
        count += working
        estimated = estimated or guessed
    return WorkingCount(count, estimated)


def add_calendar_days(start_date, n):
    """Plain days, for limits counted in calendar days (mediation)."""
    return WorkingDate(start_date + timedelta(days=n), False)
