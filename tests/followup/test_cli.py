"""`flask followup seed-calendar`: fills the table, keeps corrections, runs twice harmlessly."""

from datetime import date

from hotline.deadlines.calendar_data import set_day
from hotline.extensions import db
from hotline.models import CalendarDay, Role


def test_seed_calendar_command_is_idempotent_and_keeps_corrections(app, make_user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["followup", "seed-calendar", "--from-year", "2025", "--to-year", "2027"])
    assert result.exit_code == 0 and "1095 days" in result.output
    set_day(date(2027, 2, 20), True, "Spring Festival make-up day", make_user(Role.SUPERVISOR))
    db.session.commit()
    again = runner.invoke(args=["followup", "seed-calendar", "--from-year", "2025", "--to-year", "2027"])
    assert again.exit_code == 0 and "0 days" in again.output
    kept = db.session.get(CalendarDay, date(2027, 2, 20))
    assert (kept.working, kept.source) == (True, "manual")
