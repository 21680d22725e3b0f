"""The call report (/reports/calls) and the list of calls behind any of its numbers.

Past days come from the "calls" roll-ups, today from the calls themselves (call_figures.days_figures);
the drill-down list selects the calls with the same conditions, so its count equals the number.
"""

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import select

from hotline import inputs
from hotline.authz import roles_required
from hotline.dashboard import call_figures, metrics, reporting
from hotline.extensions import db
from hotline.models import Role, User
from hotline.timeutil import local_today

REPORT_ROLES = (Role.SUPERVISOR,)
LIST_PAGE = 100


class CallReport:
    """A range's call figures: per bucket (day/week/month), per hour of day, per operator, and the
    weekday-by-hour heat map of offered calls."""

    def __init__(self, rng, today):
        self.rng = rng
        days = call_figures.days_figures(rng.start, rng.end, today)
        self.buckets = reporting.buckets(rng)
        self.by_bucket = {b.key: metrics.Tally() for b in self.buckets}
        self.total = metrics.Tally()
        self.hours = {h: metrics.Tally() for h in range(24)}
        self.operators, self.active_hours = {}, {}
        self.heat = [[0] * 24 for _ in range(7)]
        for day, fig in days.items():
            self.by_bucket[reporting.bucket_of(day, rng.group)] += fig.whole
            self.total += fig.whole
            for hour, t in fig.hours.items():
                self.hours[hour] += t
                self.heat[day.weekday()][hour] += t.offered
            for op, t in fig.operators.items():
                self.operators[op] = self.operators.get(op, metrics.Tally()) + t
            for op, n in fig.active_hours.items():
                self.active_hours[op] = self.active_hours.get(op, 0) + n
        self.missed = call_figures.missed_offers(call_figures.day_bounds(rng.start)[0],
                                                 call_figures.day_bounds(rng.end)[1])

    def chart_series(self):
        """The line chart's series: offered and answered per bucket, each number linked to its calls."""
        def series(name, figure):
            return {"name": name, "values": [getattr(self.by_bucket[b.key], figure) for b in self.buckets],
                    "links": [_list_url(figure, b.first, b.last) for b in self.buckets]}

        return [series(_("Offered"), "offered"), series(pgettext("calls", "Answered"), "answered")]

    def operator_rows(self):
        """[(user id, name, Tally, active hours, calls per hour, missed offers)], most answered first."""
        ops = set(self.operators) | set(self.missed)
        names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(list(ops)))).all())
        rows = [(op, names.get(op, f"#{op}"), t, self.active_hours.get(op, 0),
                 metrics.calls_per_hour(t.answered, self.active_hours.get(op, 0)), self.missed.get(op, 0))
                for op, t in ((op, self.operators.get(op, metrics.Tally())) for op in ops)]
        return sorted(rows, key=lambda r: (-r[2].answered, r[1]))


def _list_url(figure, first, last, **extra):
    return url_for("reports.call_list", figure=figure, **_range_args(first, last, **extra))


def _range_args(first, last, **extra):
    return {"start": first.isoformat(), "end": last.isoformat(), **{k: v for k, v in extra.items() if v is not None}}


def _csv(report):
    header = [_("Period"), _("Offered"), pgettext("calls", "Answered"), _("Answer rate"),
              _("Abandoned (5 s or more)"), _("Short abandons (under 5 s)"), _("Abandoned in all"),
              _("Answered within 15 s"), _("Service level (15 s)"),
              _("Average speed of answer (s)"), _("Average handling time (s)")]
    rows = [_csv_row(b.label, report.by_bucket[b.key]) for b in report.buckets]
    rows.append(_csv_row(_("Total"), report.total))
    rows.append([])
    rows.append([_("Hour")] + header[1:])
    rows += [_csv_row(f"{h:02d}:00", t) for h, t in report.hours.items()]
    rows.append([])
    rows.append([_("Operator"), pgettext("calls", "Answered"), _("Talk time (s)"), _("After-call work (s)"),
                 _("Average handling time (s)"), _("Calls per hour"), _("Missed offers")])
    rows += [[name, t.answered, t.talk_seconds, t.wrapup_seconds, _round(t.aht), _round(cph), missed]
             for _op, name, t, _hours, cph, missed in report.operator_rows()]
    return reporting.csv_response("calls", header, rows, rng=report.rng)


def _round(value):
    return "" if value is None else round(value, 1)


def _csv_row(label, t):
    return [label, t.offered, t.answered, _round(t.answer_rate and t.answer_rate * 100), t.long_abandoned,
            t.short_abandoned, t.abandoned, t.within_sl, _round(t.service_level and t.service_level * 100),
            _round(t.asa), _round(t.aht)]


@roles_required(*REPORT_ROLES)
def calls():
    rng = reporting.range_from_request()
    report = CallReport(rng, local_today(current_app.config["HOTLINE_TIMEZONE"]))
    if reporting.wants_csv():
        return _csv(report)
    return render_template("dashboard/calls_report.html", rng=rng, report=report, range_args=_range_args,
                           weekdays=_weekdays())


def _weekdays():
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _int_arg(name, low, high):
    return inputs.int_arg(name, low, high)


@roles_required(*REPORT_ROLES)
def call_list():
    rng = reporting.range_from_request()
    if rng.errors:
        raise inputs.InputRefused(" ".join(str(error) for error in rng.errors))
    figure = request.args.get("figure", "offered")
    if figure not in call_figures.LISTABLE:
        abort(400)
    hour, weekday = _int_arg("hour", 0, 23), _int_arg("weekday", 0, 6)
    operator_id = _int_arg("operator", 1, inputs.INT_MAX)
    page = inputs.page_arg()
    if figure == "missed":  # from the audit trail, by the report's days (no hour or weekday)
        stmt = call_figures.missed_offers_query(call_figures.day_bounds(rng.start)[0],
                                                call_figures.day_bounds(rng.end)[1], operator_id)
    else:
        stmt = call_figures.range_calls_query(call_figures.intervals(rng.start, rng.end, hour, weekday), figure,
                                              operator_id)
    count = call_figures.count_query(stmt)
    calls = db.session.scalars(stmt.limit(LIST_PAGE).offset((page - 1) * LIST_PAGE)).all()
    operator = db.session.get(User, operator_id) if operator_id else None
    return render_template("dashboard/calls_list.html", rng=rng, calls=calls, count=count, figure=figure,
                           hour=hour, weekday=weekday, operator=operator, page=page, per_page=LIST_PAGE,
                           weekdays=_weekdays())
