"""The "cases" and "followup" roll-up families: one local day of every figure in case_reports.

The scheduler's daily-figures job refreshes today and yesterday (and, through `due_days`, the
days still settling or missing); reports read these rows for past days and compute the rest
live, with the same queries.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from hotline.dashboard import case_reports
from hotline.dashboard.rollups import rollup
from hotline.extensions import db
from hotline.models import DailyFigure
from hotline.timeutil import local_to_utc

# A case keeps changing for days after it arrives (forwarded to a department, clocks met,
# surveys answered), so a day's roll-up is recomputed once a day for this many days after.
SETTLE_DAYS = 14
BACKFILL_DAYS = 366
FAMILIES = ("cases", "followup")


@rollup("cases")
def cases(day):
    """Received per channel/kind/category/problem/region/respondent/department, accepted,
    not accepted per ground, referred per agency, returns, appeals, time limits per clock."""
    return list(case_reports.day_rows("cases", day))


@rollup("followup")
def followup(day):
    """Callback visits due and done, surveys sent and answered, scores of 4-5."""
    return list(case_reports.day_rows("followup", day))


def due_days(today, limit=5):
    """Past local days whose case or follow-up roll-up is missing, or still settling and not yet
    recomputed today; newest first, at most `limit` (for the daily-figures job)."""
    markers = [f"{family}.{case_reports.COMPUTED}" for family in FAMILIES]
    done = dict(db.session.execute(
        select(DailyFigure.day, func.min(DailyFigure.computed_at))
        .where(DailyFigure.figure.in_(markers), DailyFigure.day >= today - timedelta(days=BACKFILL_DAYS),
               DailyFigure.day < today)
        .group_by(DailyFigure.day).having(func.count() == len(markers))
    ).all())
    midnight = local_to_utc(datetime.combine(today, time()), case_reports._tz())
    settling_from = today - timedelta(days=SETTLE_DAYS)
    days = [today - timedelta(days=i) for i in range(1, BACKFILL_DAYS + 1)]
    return [d for d in days if d not in done or (d >= settling_from and done[d] < midnight)][:limit]
