"""Call figures by SQL (the same numbers as the pure `metrics` module) and the "calls" roll-up family.

Calls belong to the local hour and day in which they reached the queue (`queued_at`). The rows are
found through ix_contacts_channel_created: a call's row is created when it rings, before it is
queued, so `created_at` lies at most MENU_MARGIN before `queued_at` and bounds the scan.
"""

from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import String, and_, case, cast, false, func, literal, or_, select

from hotline.calls import MISSED_OFFER
from hotline.dashboard import metrics
from hotline.dashboard.rollups import rollup
from hotline.extensions import db
from hotline.models import AuditLog, Channel, Contact, DailyFigure, Direction
from hotline.timeutil import local_to_utc

# The longest a caller can spend in the voice menu before joining the queue.
MENU_MARGIN = timedelta(hours=1)
TALLY_FIELDS = ("offered", "answered", "abandoned", "short_abandoned", "within_sl",
                "queue_seconds", "handled", "talk_seconds", "wrapup_seconds")
# Drill-down: which calls stand behind a counted figure.
LISTABLE = ("offered", "answered", "abandoned", "short_abandoned", "long_abandoned", "within_sl", "handled",
            "unanswered", "missed")
COMPUTED_MARK = "calls.computed"


def tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def day_bounds(day, tz_name=None):
    """A local date as naive-UTC [start, end)."""
    tz_name = tz_name or tz()
    return (local_to_utc(datetime.combine(day, time()), tz_name),
            local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz_name))


def hour_bounds(day, tz_name=None):
    """The 25 naive-UTC boundaries of a local day's 24 hours (DST-safe: each converted on its own)."""
    tz_name = tz_name or tz()
    start = datetime.combine(day, time())
    return [local_to_utc(start + timedelta(hours=h), tz_name) for h in range(25)]


def offered_filter(start, end):
    """Inbound calls that reached the queue in [start, end) (naive UTC)."""
    return and_(
        Contact.channel == Channel.VOICE,
        Contact.direction == Direction.INBOUND,
        Contact.created_at >= start - MENU_MARGIN,
        Contact.created_at < end,
        Contact.queued_at >= start,
        Contact.queued_at < end,
    )


def _whole_seconds(column):
    """A datetime as whole epoch seconds (fractions dropped), as metrics.wrapup_seconds counts."""
    if db.engine.dialect.name == "postgresql":
        return func.floor(func.extract("epoch", func.date_trunc("second", column)))
    return func.cast(func.strftime("%s", column), db.Integer)


def _conditions():
    answered = Contact.answered_at.is_not(None)
    abandoned = and_(Contact.answered_at.is_(None), Contact.abandoned_at.is_not(None))
    queue = func.coalesce(Contact.queue_seconds, 0)
    handled = and_(answered, Contact.talk_seconds.is_not(None))
    return {
        "answered": answered,
        "abandoned": abandoned,
        "short_abandoned": and_(abandoned, queue < metrics.SHORT_ABANDON_SECONDS),
        "long_abandoned": and_(abandoned, queue >= metrics.SHORT_ABANDON_SECONDS),
        "within_sl": and_(answered, queue <= metrics.SERVICE_LEVEL_SECONDS),
        "handled": handled,
        "unanswered": Contact.answered_at.is_(None),
    }


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _sum(cond, value):
    return func.coalesce(func.sum(case((cond, value), else_=0)), 0)


def _tally_columns():
    c = _conditions()
    wrapup = _whole_seconds(Contact.wrapup_ended_at) - _whole_seconds(Contact.ended_at)
    wrapup_known = and_(c["handled"], Contact.ended_at.is_not(None), Contact.wrapup_ended_at.is_not(None))
    return [
        func.count(Contact.id),
        _count(c["answered"]),
        _count(c["abandoned"]),
        _count(c["short_abandoned"]),
        _count(c["within_sl"]),
        _sum(c["answered"], func.coalesce(Contact.queue_seconds, 0)),
        _count(c["handled"]),
        _sum(c["handled"], Contact.talk_seconds),
        _sum(and_(wrapup_known, wrapup > 0), wrapup),
    ]


def _tally(row):
    return metrics.Tally(**{name: int(value or 0) for name, value in zip(TALLY_FIELDS, row, strict=True)})


def hour_bucket(bounds):
    """A SQL expression giving the index of the hour (0-23) a call was queued in."""
    return case(*[(Contact.queued_at < b, i) for i, b in enumerate(bounds[1:])], else_=literal(len(bounds) - 1))


def tally_between(start, end):
    """The Tally of calls queued in [start, end)."""
    row = db.session.execute(select(*_tally_columns()).where(offered_filter(start, end))).one()
    return _tally(row)


def tally_grouped(start, end, key):
    """{group: Tally} of calls queued in [start, end), grouped by the SQL expression `key`."""
    stmt = select(key.label("k"), *_tally_columns()).where(offered_filter(start, end)).group_by(key)
    return {row[0]: _tally(row[1:]) for row in db.session.execute(stmt)}


def tally_by_hour(day):
    """{local hour: Tally} for one local day."""
    bounds = hour_bounds(day)
    return tally_grouped(bounds[0], bounds[-1], hour_bucket(bounds))


def tally_by_operator(start, end):
    """{operator id: Tally} of the answered calls queued in [start, end) (calls with no operator
    recorded count in the day's figures, not here)."""
    stmt = (select(Contact.answered_by_id, *_tally_columns())
            .where(offered_filter(start, end), Contact.answered_at.is_not(None), Contact.answered_by_id.is_not(None))
            .group_by(Contact.answered_by_id))
    return {row[0]: _tally(row[1:]) for row in db.session.execute(stmt)}


def active_hours_by_operator(day):
    """{operator id: number of local clock hours in which they answered a call} for one day."""
    bounds = hour_bounds(day)
    bucket = hour_bucket(bounds)
    inner = (select(Contact.answered_by_id.label("op"), bucket.label("h"))
             .where(offered_filter(bounds[0], bounds[-1]), Contact.answered_at.is_not(None),
                    Contact.answered_by_id.is_not(None))
             .distinct().subquery())
    stmt = select(inner.c.op, func.count()).group_by(inner.c.op)
    return {op: n for op, n in db.session.execute(stmt)}


def calls_query(start, end, figure="offered", hour=None, operator_id=None, day=None):
    """The calls behind one counted figure (drill-down), in the order they rang."""
    if hour is not None and day is not None:
        bounds = hour_bounds(day)
        start, end = bounds[hour], bounds[hour + 1]
    stmt = select(Contact).where(offered_filter(start, end))
    if figure != "offered":
        stmt = stmt.where(_conditions()[figure])
    if operator_id is not None:
        stmt = stmt.where(Contact.answered_by_id == operator_id, Contact.answered_at.is_not(None))
    return stmt.order_by(Contact.created_at, Contact.id)  # the index's order: a page needs no sort


def count_calls(*args, **kwargs):
    stmt = calls_query(*args, **kwargs).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


# ---- the "calls" roll-up family ------------------------------------------------------------------

def _rows(key, tally):
    return [(f"calls.{name}", key, getattr(tally, name), 0.0) for name in TALLY_FIELDS if getattr(tally, name)]


@rollup("calls")
def compute(day):
    """One local day's call figures: whole day, per hour, per operator (and their active hours)."""
    start, end = day_bounds(day)
    rows = [(COMPUTED_MARK, "", 1, 0.0)]
    rows += _rows("", tally_between(start, end))
    for hour, t in tally_by_hour(day).items():
        rows += _rows(f"hour={hour}", t)
    for op, t in tally_by_operator(start, end).items():
        rows += _rows(f"operator={op}", t)
    rows += [("calls.active_hours", f"operator={op}", n, 0.0) for op, n in active_hours_by_operator(day).items()]
    return rows


class DayFigures:
    """One day's call figures as read back from roll-ups (or computed live for today)."""

    def __init__(self, day):
        self.day = day
        self.whole = metrics.Tally()
        self.hours = {}
        self.operators = {}
        self.active_hours = {}
        self.complete = False  # the day's roll-up carried its COMPUTED_MARK

    def add(self, figure, key, n):
        name = figure[6:]  # after "calls."
        if name == "active_hours":
            self.active_hours[int(key[9:])] = n  # after "operator="
        elif name == "computed":
            self.complete = True
        elif name in TALLY_FIELDS:
            if not key:
                target = self.whole
            elif key[0] == "h":  # "hour=9"
                target = self.hours.get(h := int(key[5:])) or self.hours.setdefault(h, metrics.Tally())
            else:  # "operator=12"
                target = self.operators.get(o := int(key[9:])) or self.operators.setdefault(o, metrics.Tally())
            setattr(target, name, getattr(target, name) + int(n))


def figures_from_rows(day, rows):
    figures = DayFigures(day)
    for figure, key, n in rows:
        figures.add(figure, key, n)
    return figures


def days_figures(first, last, today):
    """{day: DayFigures} from first to last (local dates): roll-ups for past days, raw rows for
    today and for any past day the scheduler has not rolled up yet."""
    stmt = (select(DailyFigure.day, DailyFigure.figure, DailyFigure.key, DailyFigure.n)
            .where(DailyFigure.day >= first, DailyFigure.day <= last, DailyFigure.day < today,
                   DailyFigure.figure.like("calls.%")))
    out = {}
    # A Core connection, not the ORM session: a 90-day report reads tens of thousands of rows.
    for day, figure, key, n in db.session.connection().execute(stmt):
        figures = out.get(day) or out.setdefault(day, DayFigures(day))
        figures.add(figure, key, n)
    day = first
    while day <= last:
        if day not in out or not out[day].complete:
            out[day] = figures_from_rows(day, [(f, k, n) for f, k, n, _t in compute(day)])
        day += timedelta(days=1)
    return dict(sorted(out.items()))


def missing_days(first, last):
    """Past local days in [first, last] without a "calls" roll-up, newest first."""
    done = set(db.session.scalars(select(DailyFigure.day).where(
        DailyFigure.figure == COMPUTED_MARK, DailyFigure.day >= first, DailyFigure.day <= last)))
    days, day = [], last
    while day >= first:
        if day not in done:
            days.append(day)
        day -= timedelta(days=1)
    return days


# ---- drill-down over a range: whole days, or one hour of day and/or weekday across them -----------

def intervals(first, last, hour=None, weekday=None):
    """Naive-UTC [start, end) windows covering local days first..last, narrowed to `hour` (0-23)
    and/or `weekday` (0 = Monday) when given."""
    if hour is None and weekday is None:
        return [(day_bounds(first)[0], day_bounds(last)[1])]
    out, day = [], first
    while day <= last:
        if weekday is None or day.weekday() == weekday:
            if hour is None:
                out.append(day_bounds(day))
            else:
                bounds = hour_bounds(day)
                out.append((bounds[hour], bounds[hour + 1]))
        day += timedelta(days=1)
    return out


def range_calls_query(windows, figure="offered", operator_id=None):
    """The calls behind a figure over several windows, in the order they rang (no windows: none)."""
    stmt = select(Contact).where(or_(false(), *[offered_filter(s, e) for s, e in windows]))
    if figure != "offered":
        stmt = stmt.where(_conditions()[figure])
    if operator_id is not None:
        stmt = stmt.where(Contact.answered_by_id == operator_id, Contact.answered_at.is_not(None))
    return stmt.order_by(Contact.created_at, Contact.id)  # the index's order: a page needs no sort


def count_query(stmt):
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def missed_offers(start, end):
    """{operator id: ringing calls they did not pick up} in [start, end), from the audit trail
    (hotline.calls.release records each one)."""
    rows = db.session.execute(
        select(AuditLog.user_id, func.count())
        .where(AuditLog.action == MISSED_OFFER, AuditLog.at >= start, AuditLog.at < end,
               AuditLog.user_id.is_not(None))
        .group_by(AuditLog.user_id)
    ).all()
    return dict(rows)


def missed_offers_query(start, end, operator_id=None):
    """The calls behind "missed offers": one row per time a call rang at an operator and was not
    picked up in [start, end), as missed_offers counts them (the audit trail's rows)."""
    stmt = (select(Contact)
            .join(AuditLog, and_(AuditLog.target_type == "contact", AuditLog.target_id == cast(Contact.id, String)))
            .where(AuditLog.action == MISSED_OFFER, AuditLog.at >= start, AuditLog.at < end,
                   AuditLog.user_id.is_not(None)))
    if operator_id is not None:
        stmt = stmt.where(AuditLog.user_id == operator_id)
    return stmt.order_by(AuditLog.at, AuditLog.id)
