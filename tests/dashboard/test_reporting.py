"""The report chrome: date range, buckets, CSV for Excel, the SVG chart macros."""

import csv
import io
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from hotline.dashboard import reporting
from hotline.dashboard.reporting import ReportRange

TODAY = date(2026, 11, 24)


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield app


def parse(**args):
    return reporting.parse_range(MultiDict(args), TODAY)


def test_default_is_the_last_seven_days(en):
    rng = parse()
    assert (rng.start, rng.end, rng.group, rng.errors) == (date(2026, 11, 18), TODAY, "day", [])


def test_a_valid_range_is_kept(en):
    rng = parse(start="2026-01-01", end="2026-03-31", group="month")
    assert (rng.start, rng.end, rng.group, rng.days) == (date(2026, 1, 1), date(2026, 3, 31), "month", 90)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start": "2026-13-01"}, "The start date 2026-13-01 is not a date"),
        ({"end": "yesterday"}, "The end date yesterday is not a date"),
        ({"start": "2026-11-20", "end": "2026-11-01"}, "The start date is after the end date."),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "A report covers at most 366 days."),
        ({"group": "year"}, "Group by day, week or month."),
    ],
)
def test_bad_ranges_say_why_and_keep_what_was_typed(en, args, message):
    rng = parse(**args)
    assert any(message in error for error in rng.errors), rng.errors
    assert (rng.start, rng.end) == (date(2026, 11, 18), TODAY)  # the default, still a report
    for name, value in args.items():
        assert rng.raw[name] == value


def test_week_buckets_are_iso_weeks_clipped_to_the_range():
    rng = ReportRange(date(2026, 12, 30), date(2027, 1, 12), "week")
    got = [(b.key, b.first, b.last) for b in reporting.buckets(rng)]
    # 2026-12-30 is a Wednesday of ISO week 53; 2027-01-04 starts week 1.
    assert got == [
        ("2026-W53", date(2026, 12, 30), date(2027, 1, 3)),
        ("2027-W01", date(2027, 1, 4), date(2027, 1, 10)),
        ("2027-W02", date(2027, 1, 11), date(2027, 1, 12)),
    ]
    assert reporting.bucket_of(date(2027, 1, 3), "week") == "2026-W53"


def test_month_and_day_buckets():
    rng = ReportRange(date(2026, 1, 30), date(2026, 3, 2), "month")
    assert [(b.key, b.first, b.last) for b in reporting.buckets(rng)] == [
        ("2026-01", date(2026, 1, 30), date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-03", date(2026, 3, 1), date(2026, 3, 2)),
    ]
    days = reporting.buckets(ReportRange(date(2026, 2, 27), date(2026, 3, 1), "day"))
    assert [b.key for b in days] == ["2026-02-27", "2026-02-28", "2026-03-01"]


def test_utc_bounds_are_local_midnights(app):
    rng = ReportRange(date(2026, 11, 24), date(2026, 11, 24))
    first, after = reporting.utc_bounds(rng, "Asia/Shanghai")
    assert (str(first), str(after)) == ("2026-11-23 16:00:00", "2026-11-24 16:00:00")


def test_csv_has_a_bom_and_chinese_round_trips():
    data = reporting.csv_bytes(["部门", "受理"], [["消费者权益保护科", 3], ['逗号,"引号"', 0]])
    assert data[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["部门", "受理"], ["消费者权益保护科", "3"], ['逗号,"引号"', "0"]]


def test_csv_response_is_a_named_download(app):
    with app.test_request_context("/?start=2026-11-01&end=2026-11-07"):
        response = reporting.csv_response("cases", ["a"], [["投诉"]])
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "cases_20261101_20261107.csv" in response.headers["Content-Disposition"]
    assert response.get_data()[:3] == b"\xef\xbb\xbf"


def render(app, source, **context):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return app.jinja_env.from_string(
            '{% from "dashboard/_charts.html" import line_chart, bars, heatmap %}' + source
        ).render(**context)


def test_line_chart_draws_svg_and_a_table_with_links(app):
    html = render(
        app,
        "{{ line_chart(labels, [{'name': 'Received', 'values': values, 'links': links}], 'Trend') }}",
        labels=["11-01", "11-02", "11-03"], values=[4, None, 7], links=["/a", None, "/c"],
    )
    assert "<svg" in html and "<polyline" in html and html.count("<circle") == 2
    assert '<a href="/a" data-testid="drill">4</a>' in html
    assert '<a href="/c" data-testid="drill">7</a>' in html
    assert "<td class=\"num\">–</td>" in html


def test_bars_show_percentages_and_nothing_without_rows(app):
    html = render(app, "{{ bars(['甲科', '乙科'], [0.5, None], 'On time', fmt='pct') }}")
    assert html.count("<rect") == 1 and "50.0%" in html and "甲科" in html
    empty = render(app, "{{ bars([], [], 'On time') }}")
    assert "<svg" not in empty and "Nothing in this range." in empty


def test_heatmap_cells_and_table(app):
    matrix = [[0, 3], [1, 0]]
    html = render(app, "{{ heatmap(['Mon', 'Tue'], ['9', '10'], matrix, 'Offered') }}", matrix=matrix)
    assert html.count("<rect") == 4
    assert "<title>Mon 10: 3</title>" in html
