"""Reports over a date range: cases, follow-up, and the drill-down list behind every number.

The call report (/reports/calls) lives in call_reports.py and adds itself to this `bp`.
"""

from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline import access, inputs
from hotline.authz import roles_required
from hotline.dashboard import call_reports, case_metrics, case_reports, reporting
from hotline.dashboard.reporting import REPORT_ROLES
from hotline.timeutil import to_local

bp = Blueprint("reports", __name__)
# The call report's views live beside its figures (call_reports.py); the reports blueprint owns
# their URLs, /reports/calls and /reports/calls/list.
bp.add_url_rule("/calls", view_func=call_reports.calls)
bp.add_url_rule("/calls/list", view_func=call_reports.call_list)
LIST_CSV_ROWS = 50_000  # one export of a drill-down list; bigger ones are narrowed by date first

CASE_SLICES = [
    ("cases.received", "channel", _l("Received by channel")),
    ("cases.received", "kind", _l("Received by kind")),
    ("cases.received", "category", _l("Received by category")),
    ("cases.received", "problem", _l("Received by problem type")),
    ("cases.received", "region", _l("Received by the business's region")),
    ("cases.received", "respondent", _l("Most complained-about businesses (top 20)")),
    ("cases.received", "department", _l("Received by department")),
    ("cases.rejected", "ground", _l("Not accepted, by ground")),
    ("cases.referred", "agency", _l("Referred, by agency")),
    ("cases.returned", "department", _l("Returned to triage, by department")),
    ("cases.appealed", "department", _l("Appeals (reopenings), by department")),
]
CASE_TRENDS = ["cases.received", "cases.accepted", "cases.rejected", "cases.referred",
               "cases.returned", "cases.appealed"]
RATE_SLICES = {
    "cases": [("cases.clocks", "clock", _l("On-time rate per time limit")),
              ("cases.clocks", "department", _l("On-time rate per department"))],
    "followup": [("followup.callbacks", "department", _l("Callback completion per department")),
                 ("followup.callbacks", "operator", _l("Callback completion per operator")),
                 ("followup.surveys", "department", _l("Survey response rate per department")),
                 ("followup.satisfaction", "department", _l("Satisfaction per department")),
                 ("followup.satisfaction", "operator", _l("Satisfaction per operator"))],
}
RATE_TRENDS = {
    "cases": [("cases.clocks", _l("On time"))],
    "followup": [("followup.callbacks", _l("Callback completion")),
                 ("followup.surveys", _l("Survey response rate")),
                 ("followup.satisfaction", _l("Satisfaction (4-5)"))],
}


@dataclass
class Slice:
    title: object
    figure: str
    dim: str
    rows: list = field(default_factory=list)  # (label, n, hits, rate, link, hits link)


@bp.route("/")
@roles_required(*REPORT_ROLES)
def index():
    return render_template("dashboard/reports.html", rng=reporting.range_from_request())


@bp.route("/cases")
@roles_required(*REPORT_ROLES)
def cases():
    rng = reporting.range_from_request()
    totals = case_reports.collect("cases", rng, reporting.bucket_of)
    page = _report_page(rng, totals, "cases")
    page["slices"] = [_slice(rng, totals, *spec) for spec in CASE_SLICES]
    page["backlog"] = _backlog_rows()
    if reporting.wants_csv():
        return reporting.csv_response("cases", *_csv(page), rng=rng)
    return render_template("dashboard/cases_report.html", **page)


@bp.route("/followup")
@roles_required(*REPORT_ROLES)
def followup():
    rng = reporting.range_from_request()
    totals = case_reports.collect("followup", rng, reporting.bucket_of)
    page = _report_page(rng, totals, "followup")
    page["lowest"] = case_reports.lowest_scored(*case_reports.day_bounds(rng.start, rng.end))
    if reporting.wants_csv():
        return reporting.csv_response("followup", *_csv(page), rng=rng)
    return render_template("dashboard/followup_report.html", **page)


@bp.route("/cases/list")
@roles_required(*REPORT_ROLES)
def case_list():
    rng = reporting.range_from_request()
    args = request.args
    try:
        query = _drill_query(rng, args)
    except (case_reports.UnknownFigure, ValueError):
        abort(404)
    if reporting.wants_csv():
        return reporting.csv_response("cases_list", *_list_csv(query), rng=rng)
    page_number = inputs.page_arg()
    items, has_next = case_reports.page_of(query, page_number)
    return render_template(
        "dashboard/cases_list.html", rng=rng, items=items, has_next=has_next, page_number=page_number,
        count=case_reports.count_of(query), what=_drill_title(args),
    )


# --- building the pages -------------------------------------------------------------------


def _drill_query(rng, args):
    figure, dim, key = args.get("figure", ""), args.get("dim", ""), args.get("key", "")
    if figure == "backlog":
        return case_reports.backlog_query(
            department=key if dim == "department" else None, band=args.get("band") or None,
            overdue=args.get("overdue") == "1")
    first, after = case_reports.day_bounds(rng.start, rng.end)
    return case_reports.drill_query(figure, dim, key, first, after, args.get("outcome"))


def _drill_title(args):
    figure = case_reports.FIGURES.get(args.get("figure", ""))
    parts = [str(figure.title) if figure else _("Open cases (backlog)")]
    dim = args.get("dim")
    if dim:
        parts.append(case_reports.namer(dim)(args.get("key", "")))
    if args.get("outcome") == "yes":
        parts.append(_("on time / done / satisfied"))
    if args.get("band"):
        parts.append(_("open %(band)s days", band=args["band"]))
    if args.get("overdue") == "1":
        parts.append(_("overdue"))
    return " · ".join(parts)


def _drill(rng, figure, dim="", key="", outcome=None, first=None, last=None):
    args = {"start": (first or rng.start).isoformat(), "end": (last or rng.end).isoformat(),
            "figure": figure, "dim": dim, "key": key}
    if outcome:
        args["outcome"] = outcome
    return url_for("reports.case_list", **args)


def _report_page(rng, totals, family):
    buckets = reporting.buckets(rng)
    trends = []
    for name in CASE_TRENDS if family == "cases" else []:
        cells = [totals.buckets.get((name, b.key), [0, 0])[0] for b in buckets]
        links = [_drill(rng, name, first=b.first, last=b.last) for b in buckets]
        trends.append({"name": str(case_reports.FIGURES[name].title), "values": cells, "links": links})
    rate_trends = []
    for name, title in RATE_TRENDS[family]:
        cells = [totals.buckets.get((name, b.key), [0, 0]) for b in buckets]
        # A rate opens the cases it divides by (its denominator), as every figure opens its list.
        links = [_drill(rng, name, first=b.first, last=b.last) if n else None for (n, _t), b in zip(cells, buckets, strict=True)]
        rate_trends.append({"name": str(title), "values": [case_metrics.rate(t, n) for n, t in cells], "links": links,
                            "of": [(t, n) for n, t in cells]})
    rates = [_slice(rng, totals, *spec) for spec in RATE_SLICES[family]]
    summary = {name: totals.keys.get((name, ""), [0, 0]) for name in case_reports.FIGURES}
    return {"rng": rng, "labels": [b.label for b in buckets], "trends": trends,
            "rate_trends": rate_trends, "rates": rates, "summary": summary, "family": family}


def _slice(rng, totals, figure, dim, title):
    rows = totals.by_key(f"{figure}.{dim}")
    if dim == "respondent":
        rows = rows[: case_reports.TOP_RESPONDENTS]
    name = case_reports.namer(dim)
    out = Slice(title, figure, dim)
    for key, n, hits in rows:
        out.rows.append((name(key), n, int(hits), case_metrics.rate(hits, n), _drill(rng, figure, dim, key),
                         _drill(rng, figure, dim, key, outcome="yes")))
    return out


def _backlog_rows():
    name = case_reports.namer("department")
    rows = []
    for dept, n, bands, overdue in case_reports.backlog():
        key = "" if dept is None else str(dept)
        link = {"figure": "backlog", "dim": "department", "key": key}
        rows.append({
            "label": name(key), "n": n, "overdue": overdue, "bands": bands,
            "link": url_for("reports.case_list", **link),
            "overdue_link": url_for("reports.case_list", overdue="1", **link),
            "band_links": {b: url_for("reports.case_list", band=b, **link) for b in bands},
        })
    return rows


def _list_csv(query):
    from hotline.console import labels

    header = [_("Case"), _("Received"), _("Kind"), _("Channel"), _("Status"), _("Department"), _("Business"),
              _("Summary")]
    tz = current_app.config["HOTLINE_TIMEZONE"]
    items, _more = case_reports.page_of(query, 1, size=LIST_CSV_ROWS)
    rows = [[t.number, to_local(t.created_at, tz).strftime("%Y-%m-%d %H:%M"), labels.label(labels.KIND, t.kind),
             labels.label(labels.CHANNEL, t.channel), labels.label(labels.STATUS, t.status),
             t.department.name if t.department else "", t.respondent_name or "",
             access.shown_summary(current_user, t) or ""] for t in items]
    return header, rows


def _csv(page):
    header = [_("Section"), _("Item"), _("Count"), _("Of which on time / done / satisfied"), _("Rate")]
    rows = []
    for series in page["trends"]:
        rows += [[series["name"], label, v, "", ""] for label, v in zip(page["labels"], series["values"], strict=True)]
    for series in page["rate_trends"]:
        rows += [[series["name"], label, "", "", reporting.percent(v)]
                 for label, v in zip(page["labels"], series["values"], strict=True)]
    for part in page.get("rates", []) + page.get("slices", []):
        rows += [[str(part.title), label, n, hits, reporting.percent(rate)] for label, n, hits, rate, *_links in part.rows]
    for row in page.get("backlog", []):
        rows.append([_("Open cases (backlog)"), row["label"], row["n"], "", ""])
    for survey, ticket in page.get("lowest", []):
        rows.append([_("Lowest-scored cases"), ticket.number, survey.score, "", survey.comment or ""])
    return header, rows
