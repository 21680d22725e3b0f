"""Case and follow-up reports: one definition per figure, used three ways.

A `Figure` says which rows a number counts (`source`: a SELECT over a [first, after) UTC
window), how to slice them (`dims`) and, for rates, which of them succeeded (`success`).
`day_rows` turns it into roll-up rows for one local day (case_figures registers those with the
scheduler's daily job); `collect` sums roll-ups over a range, computing live the days that have
none (today, or before the scheduler ran); `drill_query` lists the cases behind one number with
the very same conditions, so the list's count equals the number.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, not_, select
from sqlalchemy.orm import selectinload

from hotline import inputs
from hotline.dashboard import case_metrics
from hotline.extensions import db
from hotline.models import (
    Appeal,
    Category,
    Clock,
    DailyFigure,
    Department,
    FollowUp,
    Survey,
    Ticket,
    TicketEvent,
    User,
)
from hotline.models.routing import ReferralEntry
from hotline.models.tickets import OPEN_STATUSES
from hotline.timeutil import local_to_utc, local_today, now

COMPUTED = "computed"  # marker figure: the family's roll-up for that day exists
TOP_RESPONDENTS = 20


@dataclass(frozen=True)
class Figure:
    family: str  # "cases" | "followup": the roll-up prefix
    name: str
    title: object
    source: object  # (columns, first, after) -> Select
    dims: dict = field(default_factory=dict)  # dim -> (column, key parser)
    success: object = None  # condition counted in a roll-up row's `total`

    def figure(self, dim=""):
        return f"{self.family}.{self.name}" + (f".{dim}" if dim else "")


def _tickets_created(cols, first, after):
    return select(*cols).select_from(Ticket).where(Ticket.created_at >= first, Ticket.created_at < after)


def _status_event(to_value, from_values=None):
    # Dated by the status event (indexed by time), not by tickets.accepted_at (not indexed).
    def source(cols, first, after):
        stmt = (
            select(*cols).select_from(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(TicketEvent.type == "status", TicketEvent.to_value == to_value,
                   TicketEvent.at >= first, TicketEvent.at < after)
        )
        return stmt if from_values is None else stmt.where(TicketEvent.from_value.in_(from_values))

    return source


def _returned(cols, first, after):
    return (
        select(*cols).select_from(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.type == "returned", TicketEvent.at >= first, TicketEvent.at < after)
    )


def _appeals(cols, first, after):
    return (
        select(*cols).select_from(Appeal).join(Ticket, Ticket.id == Appeal.ticket_id)
        .where(Appeal.created_at >= first, Appeal.created_at < after)
    )


def _clocks_due(cols, first, after):
    # Counted on the due date once it has passed (case_metrics.clock_counts).
    return (
        select(*cols).select_from(Clock).join(Ticket, Ticket.id == Clock.ticket_id)
        .where(Clock.due_at >= first, Clock.due_at < after, Clock.due_at <= now(),
               Clock.state.in_(case_metrics.DECIDED_CLOCK_STATES))
    )


def _callbacks_due(cols, first, after):
    return (
        select(*cols).select_from(FollowUp).join(Ticket, Ticket.id == FollowUp.ticket_id)
        .where(FollowUp.due_at >= first, FollowUp.due_at < after, FollowUp.status != "cancelled")
    )


def _surveys_sent(cols, first, after):
    return (
        select(*cols).select_from(Survey).join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Survey.sent_at >= first, Survey.sent_at < after,
               Survey.status.in_(case_metrics.SENT_SURVEY_STATES))
    )


def _surveys_answered(cols, first, after):
    return (
        select(*cols).select_from(Survey).join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Survey.answered_at >= first, Survey.answered_at < after, Survey.score.is_not(None))
    )


DEPARTMENT = (Ticket.department_id, inputs.id_of)
OPERATOR = (Ticket.assigned_to_id, inputs.id_of)

CASE_FIGURES = [
    Figure("cases", "received", _l("Cases received"), _tickets_created, {
        "channel": (Ticket.channel, str), "kind": (Ticket.kind, str),
        "category": (Ticket.category_id, inputs.id_of), "problem": (Ticket.problem_type_id, inputs.id_of),
        "region": (Ticket.respondent_region, str), "respondent": (Ticket.respondent_name, str),
        "department": DEPARTMENT,
    }),
    # Accepting is NEW (or, reconsidered, REJECTED) -> ACCEPTED; returns and appeals also
    # lead to ACCEPTED but are counted on their own.
    Figure("cases", "accepted", _l("Accepted"), _status_event("accepted", ("new", "rejected")),
           {"kind": (Ticket.kind, str)}),
    Figure("cases", "rejected", _l("Not accepted"), _status_event("rejected"),
           {"ground": (Ticket.reject_ground, str)}),
    Figure("cases", "referred", _l("Referred"), _status_event("referred"),
           {"agency": (Ticket.referral_id, inputs.id_of)}),
    Figure("cases", "returned", _l("Returned to triage"), _returned,
           {"department": (TicketEvent.from_value, str)}),
    Figure("cases", "appealed", _l("Appeals (reopened)"), _appeals,
           {"department": (Appeal.department_id, inputs.id_of), "target": (Appeal.target, str)}),
    Figure("cases", "clocks", _l("Time limits due"), _clocks_due,
           {"clock": (Clock.kind, str), "department": DEPARTMENT},
           success=and_(Clock.met_at.is_not(None), Clock.met_at <= Clock.due_at)),
]
FOLLOWUP_FIGURES = [
    Figure("followup", "callbacks", _l("Callback visits due"), _callbacks_due,
           {"department": DEPARTMENT, "operator": (FollowUp.assigned_to_id, inputs.id_of)},
           success=FollowUp.status == case_metrics.DONE),
    Figure("followup", "surveys", _l("Surveys sent"), _surveys_sent, {"department": DEPARTMENT},
           success=Survey.status == case_metrics.ANSWERED),
    Figure("followup", "satisfaction", _l("Survey answers"), _surveys_answered,
           {"department": DEPARTMENT, "operator": OPERATOR},
           success=Survey.score.in_(case_metrics.SATISFIED_SCORES)),
]
FIGURES = {f"{f.family}.{f.name}": f for f in CASE_FIGURES + FOLLOWUP_FIGURES}


def _tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def day_bounds(first_day, last_day):
    """Naive-UTC [first, after) for local dates first_day..last_day."""
    return (local_to_utc(datetime.combine(first_day, time()), _tz()),
            local_to_utc(datetime.combine(last_day + timedelta(days=1), time()), _tz()))


def _key(value):
    return "" if value is None else str(getattr(value, "value", value))


def day_rows(family, day):
    """Roll-up rows (figure, key, n, total) of one family for one local day."""
    first, after = day_bounds(day, day)
    yield f"{family}.{COMPUTED}", "", 1, 0
    for fig in FIGURES.values():
        if fig.family != family:
            continue
        hits = func.sum(case((fig.success, 1), else_=0)) if fig.success is not None else literal(0)
        n, total = db.session.execute(fig.source([func.count(), hits], first, after)).one()
        yield fig.figure(), "", n, int(total or 0)
        for dim, (column, _parse) in fig.dims.items():
            stmt = fig.source([column, func.count(), hits], first, after).group_by(column)
            for value, n, total in db.session.execute(stmt):
                yield fig.figure(dim), _key(value), n, int(total or 0)


@dataclass
class Totals:
    """A family's figures over a range: per bucket (whole-day figures) and per key (whole range)."""

    buckets: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # (figure, bucket) -> [n, total]
    keys: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # (figure, key) -> [n, total]

    def add(self, figure, key, bucket, n, total):
        if key == "" and figure.count(".") == 1:
            cell = self.buckets[(figure, bucket)]
            cell[0] += n
            cell[1] += total
        cell = self.keys[(figure, key)]
        cell[0] += n
        cell[1] += total

    def by_key(self, figure):
        """[(key, n, total)] of one sliced figure, largest first."""
        rows = [(k, n, t) for (f, k), (n, t) in self.keys.items() if f == figure]
        return sorted(rows, key=lambda r: (-r[1], r[0]))


def collect(family, rng, bucket_of):
    """Sum a family's roll-ups over the range; days without one (and today) are computed live."""
    today = local_today(_tz())
    days = [rng.start + timedelta(days=i) for i in range(rng.days)]
    stored = set(db.session.scalars(
        select(DailyFigure.day).where(DailyFigure.figure == f"{family}.{COMPUTED}",
                                      DailyFigure.day >= rng.start, DailyFigure.day <= rng.end)
    ))
    rolled = [d for d in days if d in stored and d < today]
    totals = Totals()
    if rolled:
        _add_rolled(totals, family, rolled, rng.group, bucket_of)
    for day in days:
        if day not in rolled:
            bucket = bucket_of(day, rng.group)
            for figure, key, n, total in day_rows(family, day):
                if not figure.endswith("." + COMPUTED):
                    totals.add(figure, key, bucket, n, total)
    return totals


def _add_rolled(totals, family, rolled, group, bucket_of):
    window = (DailyFigure.day >= min(rolled), DailyFigure.day <= max(rolled), DailyFigure.day.in_(rolled))
    # Whole-day rows per day (few), sliced rows summed by the database (respondents are many).
    whole = select(DailyFigure.day, DailyFigure.figure, DailyFigure.n, DailyFigure.total).where(
        *window, DailyFigure.key == "", DailyFigure.figure.like(f"{family}.%"),
        DailyFigure.figure != f"{family}.{COMPUTED}")
    # A case figure's `total` counts the rows that succeeded (on time, done, satisfied): a count,
    # though the roll-up column is a float (the call figures keep sums of seconds in it), so it is
    # read back as an integer and never shows as "0.0".
    for day, figure, n, total in db.session.execute(whole):
        if figure.count(".") == 1:
            totals.add(figure, "", bucket_of(day, group), int(n or 0), int(total or 0))
    sliced = (
        select(DailyFigure.figure, DailyFigure.key, func.sum(DailyFigure.n), func.sum(DailyFigure.total))
        .where(*window, DailyFigure.figure.like(f"{family}.%.%"))
        .group_by(DailyFigure.figure, DailyFigure.key)
    )
    for figure, key, n, total in db.session.execute(sliced):
        totals.add(figure, key, None, int(n or 0), int(total or 0))


# --- drill-down ---------------------------------------------------------------------------


class UnknownFigure(ValueError):
    pass


def drill_query(figure_name, dim, key, first, after, outcome=None):
    """SELECT of the Ticket ids behind one number (one id per counted row)."""
    fig = FIGURES.get(figure_name)
    if fig is None or (dim and dim not in fig.dims):
        raise UnknownFigure(figure_name)
    stmt = fig.source([Ticket.id], first, after)
    if dim:
        column, parse = fig.dims[dim]
        stmt = stmt.where(column.is_(None) if key == "" else column == parse(key))
    if outcome in ("yes", "no") and fig.success is not None:
        stmt = stmt.where(fig.success if outcome == "yes" else not_(fig.success))
    return stmt


def backlog_query(department=None, band=None, overdue=False):
    """SELECT of the open cases' ids, optionally of one department, age band, or overdue."""
    stmt = select(Ticket.id).where(Ticket.status.in_(OPEN_STATUSES))
    if department is not None:
        stmt = stmt.where(Ticket.department_id.is_(None) if department == "" else Ticket.department_id == inputs.id_of(department))
    if band:
        oldest, newest = case_metrics.band_cutoffs(band, now())
        stmt = stmt.where(Ticket.created_at <= newest)
        if oldest is not None:
            stmt = stmt.where(Ticket.created_at > oldest)
    if overdue:
        stmt = stmt.where(Ticket.id.in_(_overdue_ids()))
    return stmt


def _overdue_ids(moment=None):
    # Not correlated: one range read of ix_clocks_state_due, not a probe per open case (a
    # correlated IN made the backlog take 8.9 s at 100k cases on SQLite, bench/README.md).
    return select(Clock.ticket_id).where(Clock.state == "running", Clock.due_at < (moment or now()))


def count_of(id_query):
    return db.session.scalar(select(func.count()).select_from(id_query.subquery()))


def page_of(id_query, page, size=50):
    """One page of the cases behind a number, newest first, and whether more follow."""
    ids = id_query.subquery()
    stmt = (select(Ticket).join(ids, ids.c.id == Ticket.id).options(selectinload(Ticket.department))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .offset((page - 1) * size).limit(size + 1))
    rows = list(db.session.scalars(stmt))
    return rows[:size], len(rows) > size


# --- state as of now ----------------------------------------------------------------------


def backlog():
    """[(department id or None, open cases, {band: n}, overdue)] largest first."""
    moment = now()
    bands = []
    for key, _low, _high in case_metrics.AGE_BANDS:
        oldest, newest = case_metrics.band_cutoffs(key, moment)
        cond = Ticket.created_at <= newest
        if oldest is not None:
            cond = and_(cond, Ticket.created_at > oldest)
        bands.append(func.sum(case((cond, 1), else_=0)))
    late = _overdue_ids(moment).group_by(Clock.ticket_id).subquery()
    stmt = (select(Ticket.department_id, func.count(), func.count(late.c.ticket_id), *bands)
            .outerjoin(late, late.c.ticket_id == Ticket.id)
            .where(Ticket.status.in_(OPEN_STATUSES)).group_by(Ticket.department_id))
    keys = [k for k, _low, _high in case_metrics.AGE_BANDS]
    rows = [(dept, n, dict(zip(keys, [int(b or 0) for b in rest], strict=True)), int(late or 0))
            for dept, n, late, *rest in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: -r[1])


def lowest_scored(first, after, limit=20):
    """The lowest survey answers in the window, worst first: [(Survey, Ticket)]."""
    stmt = (select(Survey, Ticket).join(Ticket, Ticket.id == Survey.ticket_id)
            .where(Survey.answered_at >= first, Survey.answered_at < after, Survey.score.is_not(None))
            .order_by(Survey.score, Survey.answered_at.desc()).limit(limit))
    return db.session.execute(stmt).all()


# --- names for keys -----------------------------------------------------------------------

GROUNDS = {
    "out_of_scope": _l("Outside our duties or jurisdiction"),
    "already_handled": _l("Already handled elsewhere"),
    "not_consumption": _l("Not personal consumption / no provable dispute"),
    "time_barred": _l("More than 3 years"),
    "information_missing": _l("Required information missing"),
    "false_materials": _l("False materials / identity refused"),
    "other_legal": _l("Other legal grounds"),
}
CLOCKS = {
    "accept": _l("Accept or reject"), "forward": _l("Forward"), "mediation": _l("Mediation"),
    "notify_end": _l("Tell both parties"), "reporter_notice": _l("Tell the reporter"),
    "callback": _l("Callback visit"), "appeal": _l("Appeal"),
}
TARGETS = {"department": _l("Back to the department"), "supervisor": _l("To the supervisors")}


def namer(dim):
    """A function key -> display name for one dimension (ids looked up once)."""
    from hotline.console import labels  # display tables shared with the console

    tables = {"channel": labels.CHANNEL, "kind": labels.KIND, "ground": GROUNDS, "clock": CLOCKS,
              "target": TARGETS}
    if dim in tables:
        return lambda key: labels.label(tables[dim], key) if key else str(_l("None"))
    lookups = {
        "department": lambda: {str(i): n for i, n in db.session.execute(select(Department.id, Department.name))},
        "category": _categories,
        "problem": _categories,
        "agency": lambda: {str(i): _agency(e) for i, e in
                           db.session.execute(select(ReferralEntry.id, ReferralEntry))},
        "operator": lambda: {str(i): n for i, n in db.session.execute(select(User.id, User.display_name))},
    }
    found = lookups[dim]() if dim in lookups else {}
    empty = str(EMPTY.get(dim, _l("None")))
    return lambda key: found.get(key, key) if key else empty


# What "no value" means in each dimension, in words a supervisor reads at a glance.
EMPTY = {"department": _l("Hotline (not forwarded)"), "operator": _l("Nobody assigned"),
         "category": _l("Not classified"), "problem": _l("Not classified"), "agency": _l("No agency recorded")}


def _chinese():
    return str(get_locale() or "").startswith("zh")


def _categories():
    chinese = _chinese()
    return {str(c.id): (c.name_zh if chinese else c.name_en) for c in db.session.scalars(select(Category))}


def _agency(entry):
    return f"{entry.hotline or entry.key} {entry.agency('zh' if _chinese() else 'en')}"
