"""Daily roll-ups (DailyFigure rows) kept current by the scheduler's daily-figures job.

Each figure family registers a function `compute(day) -> iterable of (figure, key, n, total)`
for one local day; `write_day` replaces that day's rows of the family, so re-running is
harmless and a report over months reads a few hundred rows. Computing reads much and writes
nothing, so the scheduler's job does it first, in a transaction that only reads (on SQLite it
never holds the write lock a webhook waits for), and `write_day` after, briefly.
"""

from sqlalchemy import delete

from hotline.extensions import db
from hotline.models import DailyFigure

# (prefix, compute) pairs; the figure names a family writes all start with "<prefix>.".
ROLLUPS: list[tuple[str, object]] = []


def rollup(prefix):
    """Register `compute(day)` as the roll-up of the figures named "<prefix>.*"."""

    def register(compute):
        ROLLUPS.append((prefix, compute))
        return compute

    return register


def refresh_day(day):
    """Recompute every registered family for one local day (flushed, not committed)."""
    return write_day(day, compute_day(day))


def compute_day(day):
    """Every registered family's figures for one local day: [(prefix, rows)]; reads only."""
    _load_families()
    return [(prefix, list(compute(day))) for prefix, compute in ROLLUPS]


def write_day(day, computed):
    """Replace the day's rows of each family in `computed` (flushed, not committed)."""
    written = 0
    for prefix, rows in computed:
        db.session.execute(
            delete(DailyFigure).where(DailyFigure.day == day, DailyFigure.figure.like(f"{prefix}.%"))
        )
        for figure, key, n, total in rows:
            db.session.add(DailyFigure(day=day, figure=figure, key=key or "", n=n, total=total or 0.0))
            written += 1
    db.session.flush()
    return written


def _load_families():
    # The families register at import; imported here, not at module level, so each may
    # import this module without a cycle.
    from hotline.dashboard import call_figures, case_figures  # noqa: F401
