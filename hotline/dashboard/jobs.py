"""The scheduler job that keeps the dashboard's daily roll-ups current (registered by
hotline.jobs.core_jobs as "daily-figures", every 5 minutes)."""

from datetime import timedelta

from flask import current_app

from hotline.dashboard import call_figures, case_figures, rollups
from hotline.timeutil import local_today

# Past days without a roll-up (the scheduler was down) are filled a few per run, newest first.
BACKFILL_DAYS = 90
BACKFILL_PER_RUN = 5


def refresh_daily_figures():
    """Recompute today's and yesterday's roll-ups, and a few older days that have none."""
    today = local_today(current_app.config["HOTLINE_TIMEZONE"])
    days = [today, today - timedelta(days=1)]
    days += call_figures.missing_days(today - timedelta(days=BACKFILL_DAYS), today - timedelta(days=2))[:BACKFILL_PER_RUN]
    # Cases keep changing after the day they arrived (forwarded, clocks met, surveys answered):
    # the case families also recompute recent days once a day, a few per run.
    days += case_figures.due_days(today, limit=BACKFILL_PER_RUN)
    days = sorted(set(days), reverse=True)
    for day in days:
        rollups.refresh_day(day)
    return f"{len(days)} days: {', '.join(d.isoformat() for d in days)}"
