"""Time in one place: the database stores naive UTC; people see the hotline's local time.

`now()` is the single clock the services read; `clock_at` (or freezegun) moves it.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_fixed_now: ContextVar[datetime | None] = ContextVar("hotline_fixed_now", default=None)


def now():
    """The current time as naive UTC, the form every column stores."""
    fixed = _fixed_now.get()
    return fixed if fixed is not None else datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def clock_at(moment):
    """Make now() answer `moment` inside the block: for back-dated demo data and replayed
    history, where each event must carry the time it happened."""
    token = _fixed_now.set(moment)
    try:
        yield moment
    finally:
        _fixed_now.reset(token)


def to_local(moment, tz_name):
    """A stored naive-UTC datetime as an aware datetime in the hotline's zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name))


def local_today(tz_name, moment=None):
    """The hotline's calendar date at `moment` (default: now)."""
    return to_local(moment or now(), tz_name).date()


def local_to_utc(local_dt, tz_name):
    """A naive local datetime (from a form) as naive UTC for storage."""
    return local_dt.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC).replace(tzinfo=None)
