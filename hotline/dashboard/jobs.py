"""The scheduler job that keeps the dashboard's daily roll-ups current (registered by
hotline.jobs.core_jobs as "daily-figures", every 5 minutes)."""

from datetime import timedelta

from flask import current_app

from hotline import reading_only
from hotline.dashboard import call_figures, case_figures, rollups
from hotline.extensions import db
from hotline.timeutil import local_today

# Past days without a roll-up (the scheduler was down) are filled a few per run, newest first.
BACKFILL_DAYS = 90
BACKFILL_PER_RUN = 5


def refresh_daily_figures():
    """Recompute today's and yesterday's roll-ups, and a few older days that have none.

    The figures are computed in a transaction that only reads, ended before anything is written:
    on SQLite a scheduler transaction otherwise begins IMMEDIATE, and seconds of counting under
    the write lock would make every webhook meanwhile wait, and answer 503."""
    today = local_today(current_app.config["HOTLINE_TIMEZONE"])
    with reading_only():
        days = [today, today - timedelta(days=1)]
        days += call_figures.missing_days(today - timedelta(days=BACKFILL_DAYS),
                                          today - timedelta(days=2))[:BACKFILL_PER_RUN]
        # Cases keep changing after the day they arrived (forwarded, clocks met, surveys
        # answered): the case families also recompute recent days once a day, a few per run.
        days += case_figures.due_days(today, limit=BACKFILL_PER_RUN)
        days = sorted(set(days), reverse=True)
        computed = [(day, rollups.compute_day(day)) for day in days]
        db.session.rollback()  # end the reading transaction; the writes below begin their own
    for day, figures in computed:
        rollups.write_day(day, figures)
    return {"days": len(days)}
