"""Working-day arithmetic (pure) and the seeded CalendarDay table."""

from datetime import date

from hotline.deadlines.calendar import add_working_days, weekday_rule, working_days_between
from hotline.deadlines.calendar_data import CalendarLookup, calendar_warnings, package_day, seed_calendar
from hotline.extensions import db
from hotline.models import CalendarDay


def package_lookup(day):
    """The packages' answer, None beyond chinese_calendar (to test the fallback)."""
    working, _name, source, _official = package_day(day)
    return working if source == "chinese_calendar" else None


def test_national_day_2025_seventh_working_day_is_october_16():
    result = add_working_days(date(2025, 9, 30), 7, package_lookup)
    assert result.day == date(2025, 10, 16)
    assert not result.estimated


def test_make_up_saturday_counts_and_holiday_week_does_not():
    # Received Friday 2025-09-26: Sunday 09-28 is a make-up working day, so day 1 is 09-28.
    assert add_working_days(date(2025, 9, 26), 1, package_lookup).day == date(2025, 9, 28)
    # 10-01..10-08 off, 10-09 and 10-10 worked, Saturday 10-11 worked.
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 11), package_lookup).days == 3


def test_beyond_the_data_falls_back_to_monday_to_friday_flagged():
    result = add_working_days(date(2026, 12, 30), 5, package_lookup)
    # 12-31 (Thu, official) then Monday-Friday assumed: 01-01 (Fri), 01-04, 01-05, 01-06.
    assert result.day == date(2027, 1, 6)
    assert result.estimated


def test_an_unknown_day_never_raises():
    result = add_working_days(date(2090, 1, 1), 3, lambda day: None)
    assert result.estimated
    assert weekday_rule(result.day)


def test_zero_days_is_the_start_itself():
    assert add_working_days(date(2025, 10, 3), 0, package_lookup).day == date(2025, 10, 3)


def test_seed_is_idempotent_and_keeps_manual_rows(app):
    assert seed_calendar(2025, 2025) == 365
    row = db.session.get(CalendarDay, date(2025, 10, 11))
    assert row.working and row.official and row.source == "chinese_calendar"
    row.working, row.source = False, "manual"
    db.session.commit()
    assert seed_calendar(2025, 2025) == 0
    assert db.session.get(CalendarDay, date(2025, 10, 11)).working is False


def test_later_years_come_from_holidays_unofficial(app):
    seed_calendar(2027, 2027)
    new_year = db.session.get(CalendarDay, date(2027, 1, 1))
    assert (new_year.working, new_year.source, new_year.official) == (False, "holidays", False)
    lookup = CalendarLookup()
    assert lookup(date(2027, 1, 4)) is True
    assert lookup.unofficial_seen
    assert lookup(date(2030, 1, 1)) is None


def test_seeded_table_gives_the_domain_example(app):
    seed_calendar(2025, 2025)
    assert add_working_days(date(2025, 9, 30), 7, CalendarLookup()).day == date(2025, 10, 16)


def test_warning_when_the_next_60_days_lack_official_data(app):
    seed_calendar(2026, 2027)
    assert calendar_warnings(date(2026, 6, 1)) == []
    warnings = calendar_warnings(date(2026, 12, 1))
    assert [(w.first_day, w.missing) for w in warnings] == [(date(2027, 1, 1), False)]
    db.session.query(CalendarDay).filter(CalendarDay.day >= date(2027, 1, 15)).delete()
    warnings = calendar_warnings(date(2026, 12, 1))
    assert [(w.first_day, w.last_day, w.missing) for w in warnings] == [
        (date(2027, 1, 1), date(2027, 1, 14), False),
        (date(2027, 1, 15), date(2027, 1, 30), True),
    ]
