"""Time in one place: the database stores naive UTC; people see the hotline's local time.

`now()` is the single clock the services read, so tests can move it (freezegun patches it).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def now():
    """The current time as naive UTC, the form every column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


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
