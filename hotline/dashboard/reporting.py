"""The report chrome every report shares: date range, grouping, CSV export, print view.

How to write a report (e.g. /reports/calls) with it:

    from hotline.dashboard import reporting
    from hotline.dashboard.report_views import bp

    @bp.route("/calls")
    @roles_required(*reporting.REPORT_ROLES)
    def calls():
        rng = reporting.range_from_request()       # ReportRange; rng.errors lists what was wrong
        buckets = reporting.buckets(rng)            # [Bucket(key, label, first, last)], oldest first
        start_utc, end_utc = reporting.utc_bounds(rng)   # naive UTC, end exclusive: for SQL
        ... count per bucket with reporting.bucket_of(local_day, rng.group) ...
        if reporting.wants_csv():
            return reporting.csv_response("calls", header, rows)   # UTF-8 with BOM, Excel-friendly
        return render_template("dashboard/calls_report.html", rng=rng, ...)

and its template:

    {% extends "dashboard/_report.html" %}
    {% from "dashboard/_charts.html" import line_chart, bars, heatmap %}
    {% block report_title %}{{ _('Calls') }}{% endblock %}
    {% block report %} {{ line_chart(labels, [{'name': _('Offered'), 'values': offered}]) }} {% endblock %}

_report.html draws the heading, the report tabs, the range form (start, end, group; errors shown
beside the values typed), and the CSV / print links (`?format=csv`, `?print=1`, keeping the range).
It needs `rng` in the context. The print view hides the navigation, forms and links' chrome.
Chart macros take plain lists (labels, values, optional links per value) and draw inline SVG with
the same numbers in a table underneath.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import quote

from flask import Response, current_app, request
from flask_babel import gettext as _

from hotline import inputs
from hotline.models import Role
from hotline.templating import percent  # noqa: F401  (the CSV exports write rates as the pages show them)
from hotline.timeutil import local_to_utc, local_today

REPORT_ROLES = (Role.SUPERVISOR,)
GROUPS = ("day", "week", "month")
DEFAULT_DAYS = 7
MAX_DAYS = 366
BOM = "\ufeff"
# A spreadsheet runs a cell beginning with one of these as a formula (OWASP's CSV injection). The
# full-width forms are there too: a Chinese input method types them, and some spreadsheets fold them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass
class ReportRange:
    start: date
    end: date  # inclusive
    group: str = "day"
    errors: list = field(default_factory=list)
    # What the user typed, so a form with an error shows it back instead of losing it.
    raw: dict = field(default_factory=dict)

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def args(self):
        """Query arguments that reproduce this range (for links, export and drill-down)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "group": self.group}


@dataclass(frozen=True)
class Bucket:
    key: str  # "2026-11-24", "2026-W48", "2026-11"
    label: str
    first: date
    last: date


def _parse_date(text):
    day = inputs.parse_typed_date(text)
    if day is None:
        raise ValueError(text)
    return day


def parse_range(args, today, max_days=MAX_DAYS):
    """A ReportRange from query arguments; on any error the default range with `errors` set."""
    raw = {name: (args.get(name) or "").strip() for name in ("start", "end", "group")}
    errors = []
    end, start = today, today - timedelta(days=DEFAULT_DAYS - 1)
    try:
        if raw["end"]:
            end = _parse_date(raw["end"])
    except ValueError:
        errors.append(_("The end date %(value)s is not a date (YYYY-MM-DD).", value=raw["end"]))
    try:
        start = _parse_date(raw["start"]) if raw["start"] else end - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        errors.append(_("The start date %(value)s is not a date (YYYY-MM-DD).", value=raw["start"]))
    group = raw["group"] or "day"
    if group not in GROUPS:
        errors.append(_("Group by day, week or month."))
        group = "day"
    if not errors and start > end:
        errors.append(_("The start date is after the end date."))
    elif not errors and (end - start).days + 1 > max_days:
        errors.append(_("A report covers at most %(days)s days.", days=max_days))
    if errors:
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    return ReportRange(start, end, group, errors, raw)


def range_from_request():
    """The ReportRange asked for by the current request (local dates, hotline time zone)."""
    return parse_range(request.args, local_today(current_app.config["HOTLINE_TIMEZONE"]))


def utc_bounds(rng, tz_name=None):
    """The range as naive-UTC [start, end) datetimes, for comparing with stored columns."""
    tz_name = tz_name or current_app.config["HOTLINE_TIMEZONE"]
    first = local_to_utc(datetime.combine(rng.start, time()), tz_name)
    after = local_to_utc(datetime.combine(rng.end + timedelta(days=1), time()), tz_name)
    return first, after


def bucket_of(day, group):
    """The bucket key a local date falls in: the day, its ISO week, or its month."""
    if group == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def _bucket_span(day, group):
    if group == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if group == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    return day, day


def buckets(rng):
    """The buckets covering the range, oldest first; the first and last are clipped to it."""
    out, day = [], rng.start
    while day <= rng.end:
        first, last = _bucket_span(day, rng.group)
        first, last = max(first, rng.start), min(last, rng.end)
        key = bucket_of(day, rng.group)
        label = key if rng.group != "week" else f"{key} ({first:%m-%d}–{last:%m-%d})"
        out.append(Bucket(key, label, first, last))
        day = last + timedelta(days=1)
    return out


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text, never runs: text beginning like a formula gets a
    leading apostrophe. Numbers this code computed stay numbers (a negative figure is no formula)."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header, rows):
    """CSV text as UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; every cell
    through safe_cell. The only CSV writer of the app: every export goes through here."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def csv_response(name, header, rows, rng=None):
    """A download of `rows` as `<name>_<start>_<end>.csv`; a range that could not be read is a
    400 saying why (a file of the default week under the asked-for name would mislead)."""
    rng = rng or range_from_request()
    if rng.errors:
        raise inputs.InputRefused(" ".join(str(error) for error in rng.errors))
    filename = f"{name}_{rng.start:%Y%m%d}_{rng.end:%Y%m%d}.csv"
    response = Response(csv_bytes(header, rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}\"; "
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


def wants_csv():
    return request.args.get("format") == "csv"


def is_print():
    return request.args.get("print") == "1"
