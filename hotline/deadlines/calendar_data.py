"""The CalendarDay table: seeding it from packages, reading it for the arithmetic, and a
supervisor's day-by-day corrections.

chinese_calendar carries the official schedule (make-up working days included) for the years
it knows and raises beyond them; `holidays` (CN) computes later years by rule, without make-up
days, so those rows are marked official=False until a supervisor confirms them.
"""

from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import select

from hotline import audit
from hotline.extensions import db
from hotline.models import CalendarDay

MANUAL = "manual"
WARNING_HORIZON_DAYS = 60
MAX_DAY_NAME = 100  # a day's name (国庆节, 调休上班), as the calendar's form and the API take it


class CalendarWarning(NamedTuple):
    first_day: date
    last_day: date
    missing: bool  # True: no data at all (Monday-Friday assumed); False: computed, not official


def package_day(day):
    """(working, name, source, official) for a day from the packages, or None beyond them."""
    import chinese_calendar

    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return (not on_holiday, name, "chinese_calendar", True)
    except NotImplementedError:
        pass
    import holidays

    name = holidays.country_holidays("CN", years=day.year).get(day)
    return (name is None and day.weekday() < 5, name, "holidays", False)


def seed_calendar(start_year, end_year):
    """Fill CalendarDay for the years (inclusive); never touches a supervisor's manual row.
    Returns how many rows were added or changed."""
    first, last = date(start_year, 1, 1), date(end_year, 12, 31)
    existing = {
        row.day: row
        for row in db.session.scalars(select(CalendarDay).where(CalendarDay.day.between(first, last)))
    }
    changed, day = 0, first
    while day <= last:
        working, name, source, official = package_day(day)
        row = existing.get(day)
        if row is None:
            db.session.add(CalendarDay(day=day, working=working, name=name, source=source, official=official))
            changed += 1
        elif row.source != MANUAL and (row.working, row.name, row.source, row.official) != (
            working, name, source, official
        ):
            row.working, row.name, row.source, row.official = working, name, source, official
            changed += 1
        day += timedelta(days=1)
    db.session.flush()
    return changed


class CalendarLookup:
    """is_working(day) for the pure arithmetic, read from the table a year at a time.
    `unofficial_seen` tells a caller that a day computed by rule took part."""

    def __init__(self):
        self._years = {}
        self.unofficial_seen = False

    def __call__(self, day):
        year = self._years.get(day.year)
        if year is None:
            year = self._years[day.year] = _load_year(day.year)
        row = year.get(day)
        if row is None:
            return None
        if not row[1]:
            self.unofficial_seen = True
        return row[0]


def _load_year(year):
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.working, CalendarDay.official).where(
            CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))
        )
    )
    return {day: (working, official) for day, working, official in rows}


def month_days(year, month):
    """The CalendarDay rows of one month, by date (missing days absent)."""
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    rows = db.session.scalars(select(CalendarDay).where(CalendarDay.day.between(first, last)))
    return {row.day: row for row in rows}


def set_day(day, working, name, actor):
    """A supervisor's correction: the day becomes official and manual, and is audited."""
    row = db.session.get(CalendarDay, day) or CalendarDay(day=day)
    before = None if row.working is None else {"working": row.working, "name": row.name, "source": row.source}
    row.working, row.name, row.source, row.official = working, (name or None), MANUAL, True
    row.updated_by_id = getattr(actor, "id", None)
    db.session.add(row)
    audit.record(actor, "calendar_day_set", "calendar_day", day.isoformat(), before=before,
                 working=working, name=row.name)
    db.session.flush()
    return row


def calendar_warnings(today, horizon=WARNING_HORIZON_DAYS):
    """Stretches of the next `horizon` days without official data (missing or computed by rule)."""
    last = today + timedelta(days=horizon)
    official = {
        day: is_official
        for day, is_official in db.session.execute(
            select(CalendarDay.day, CalendarDay.official).where(CalendarDay.day.between(today, last))
        )
    }
    warnings = []
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        state = official.get(day)
        if state is True:
            continue
        missing = state is None
        if warnings and warnings[-1].missing == missing and warnings[-1].last_day == day - timedelta(days=1):
            warnings[-1] = warnings[-1]._replace(last_day=day)
        else:
            warnings.append(CalendarWarning(day, day, missing))
    return warnings
