"""The knowledge report (/reports/knowledge): answers per article, the consultations answered
without one (grouped by wording), and the articles to act on; with the reports' range form and CSV.

One `KnowledgeReport` feeds the page and the CSV, so their numbers cannot differ. The view is the
reports' (endpoint `reports.knowledge`, the reports' roles), registered by the knowledge slice's
init_app so the reports module never names a feature.
"""

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hotline.authz import roles_required
from hotline.dashboard import reporting
from hotline.knowledge import figures
from hotline.knowledge.views import category_names
from hotline.timeutil import local_today, to_local

TABLES = ("uses", "gaps", "attention")
NUMBERS_SHOWN = 20  # case numbers shown per group on the page; the CSV has them all

REASONS = {
    "expired": _l("Validity ended"),
    "expiring": _l("Validity ends within 30 days"),
    "review": _l("Review due"),
    "not_yet_valid": _l("Not valid yet"),
}
TODO = {
    "expired": _l("Operators no longer find it: renew it with a new version and new dates, or retire it."),
    "expiring": _l("Prepare the new version before that day, or plan to retire it."),
    "review": _l("Check it is still right: mark it reviewed, or edit it and publish a new version."),
    "not_yet_valid": _l("Nothing if the date is right: operators find it from that day on."),
}


class KnowledgeReport:
    def __init__(self, rng):
        tz = current_app.config["HOTLINE_TIMEZONE"]
        first, after = reporting.utc_bounds(rng, tz)
        self.rng = rng
        self.today = local_today(tz)
        self.uses = figures.uses_per_article(first, after)
        self.gaps = figures.gaps(first, after)
        self.attention = figures.attention(self.today)
        self.total_uses = sum(r.uses for r in self.uses)
        self.total_texted = sum(r.texted for r in self.uses)
        self._categories = None

    def category(self, code):
        """The category's name in the reader's language (never its code)."""
        if self._categories is None:
            self._categories = category_names()
        if not code:
            return _("Not classified")
        return self._categories.get(code) or _("Unknown category")

    # --- the CSV: the page's tables, row for row ---

    def uses_rows(self):
        header = [_("Article"), _("Category"), _("Answers"), _("Of which texted"), _("Last used")]
        tz = current_app.config["HOTLINE_TIMEZONE"]
        rows = [[r.article.title, self.category(r.article.category_code), r.uses, r.texted,
                 to_local(r.last_used, tz).strftime("%Y-%m-%d %H:%M")] for r in self.uses]
        if rows:
            rows.append([_("Total"), "", self.total_uses, self.total_texted, ""])
        return header, rows

    def gaps_rows(self):
        header = [_("Consultations"), _("Question (the newest of the group)"), _("Case numbers")]
        return header, [[g.count, g.representative.question, " ".join(g.numbers)] for g in self.gaps.groups]

    def attention_rows(self):
        header = [_("Article"), _("Category"), _("Why"), _("Date"), _("What to do")]
        return header, [[a.article.title, self.category(a.article.category_code), str(REASONS[a.reason]),
                         a.since.isoformat(), str(TODO[a.reason])] for a in self.attention]


def _csv(report, table):
    if table in TABLES:
        header, rows = getattr(report, f"{table}_rows")()
        return reporting.csv_response(f"knowledge_{table}", header, rows, rng=report.rng)
    # No table named (the report chrome's "Export CSV"): the three, one after the other.
    header, rows = report.uses_rows()
    for part in (report.gaps_rows, report.attention_rows):
        more_header, more_rows = part()
        rows = rows + [[], more_header] + more_rows
    return reporting.csv_response("knowledge", header, rows, rng=report.rng)


@roles_required(*reporting.REPORT_ROLES)
def knowledge():
    rng = reporting.range_from_request()
    table = request.args.get("table") or None
    if rng.errors or (table is not None and table not in TABLES):
        # A mistyped range must not answer with another range's figures: the page comes back with
        # what was typed and why it is wrong, and no file is made.
        if reporting.wants_csv():
            problems = rng.errors or [_("There is no such table in this report.")]
            return " ".join(str(p) for p in problems), 400, {"Content-Type": "text/plain; charset=utf-8"}
        if not rng.errors:
            rng.errors.append(_("There is no such table in this report."))
        return render_template("dashboard/knowledge_report.html", rng=rng, report=None,
                               tables=TABLES), 400
    report = KnowledgeReport(rng)
    if reporting.wants_csv():
        return _csv(report, table)
    return render_template("dashboard/knowledge_report.html", rng=rng, report=report, reasons=REASONS,
                           todo=TODO, numbers_shown=NUMBERS_SHOWN, limit=figures.GAP_LIMIT, tables=TABLES,
                           warning_days=figures.EXPIRY_WARNING_DAYS)
