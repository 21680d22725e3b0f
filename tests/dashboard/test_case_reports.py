"""Case and follow-up figures: hand-worked examples, roll-ups equal raw, drill-down counts."""

import csv
import io
import random
import re
from datetime import timedelta

import pytest

from hotline.dashboard import case_metrics, case_reports, reporting, rollups
from hotline.dashboard.reporting import ReportRange
from hotline.extensions import db
from hotline.models import DailyFigure, Role
from tests.dashboard import reportdata as rd

EN = {"Accept-Language": "en"}


@pytest.fixture
def d():
    return rd.today() - timedelta(days=10)


def totals_of(family, start, end, group="day"):
    return case_reports.collect(family, ReportRange(start, end, group), reporting.bucket_of)


def keyed(totals, figure):
    return {k: (n, t) for k, n, t in totals.by_key(figure)}


def test_six_cases_hand_worked(app, d):
    w = rd.six_cases(d)
    a, b = str(w["a"].id), str(w["b"].id)
    t = totals_of("cases", d, d + timedelta(days=2))
    assert t.keys[("cases.received", "")][0] == 5  # the sixth is the next local day
    assert keyed(t, "cases.received.channel") == {"voice": (3, 0), "sms": (1, 0), "web": (1, 0)}
    assert keyed(t, "cases.received.kind") == {"complaint": (3, 0), "report": (1, 0), "consultation": (1, 0)}
    assert keyed(t, "cases.received.department") == {a: (2, 0), b: (2, 0), "": (1, 0)}
    assert keyed(t, "cases.received.respondent") == {"甲商店": (2, 0), "乙公司": (1, 0), "": (2, 0)}
    assert keyed(t, "cases.received.category") == {str(w["category"].id): (1, 0), "": (4, 0)}
    assert t.keys[("cases.accepted", "")][0] == 1
    assert keyed(t, "cases.rejected.ground") == {"time_barred": (1, 0)}
    assert keyed(t, "cases.referred.agency") == {str(w["entry"].id): (1, 0)}
    assert keyed(t, "cases.returned.department") == {b: (1, 0)}
    assert keyed(t, "cases.appealed.department") == {b: (1, 0)}
    # Clocks: accept met early, forward met late, accept still running past due; paused and
    # cancelled ones do not count.
    assert t.keys[("cases.clocks", "")] == [3, 1]
    assert keyed(t, "cases.clocks.clock") == {"accept": (2, 1), "forward": (1, 0)}
    assert keyed(t, "cases.clocks.department") == {a: (3, 1)}
    per_day = [t.buckets[("cases.received", day.isoformat())][0] for day in (d, d + timedelta(days=1), d + timedelta(days=2))]
    assert per_day == [2, 2, 1]


def test_grouping_by_week_and_month_sums_the_days(app, d):
    rd.six_cases(d)
    start, end = d - timedelta(days=20), d + timedelta(days=5)
    for group in ("week", "month"):
        t = totals_of("cases", start, end, group)
        keys = {b.key for b in reporting.buckets(ReportRange(start, end, group))}
        received = {k: n for (f, k), (n, _t) in t.buckets.items() if f == "cases.received"}
        assert set(received) <= keys and sum(received.values()) == 6
        assert received[reporting.bucket_of(d, group)] >= 2


def test_five_surveys_hand_worked(app, d):
    a, _b = rd.departments()
    rd.five_surveys(d, a)
    t = totals_of("followup", d, d)
    assert t.keys[("followup.surveys", "")] == [4, 3]  # response rate 3 of 4 sent
    assert t.keys[("followup.satisfaction", "")] == [3, 2]  # satisfaction 2 of 3 answers
    assert t.keys[("followup.callbacks", "")] == [3, 1]  # completion 1 of 3 due
    assert keyed(t, "followup.satisfaction.department") == {str(a.id): (3, 2)}
    first, after = case_reports.day_bounds(d, d)
    assert [s.score for s, _t in case_reports.lowest_scored(first, after)] == [2, 4, 5]


def test_rollups_then_report_equals_raw_and_are_read(app, d):
    rd.six_cases(d)
    end = d + timedelta(days=3)
    live = totals_of("cases", d, end)
    for i in range(4):
        rollups.refresh_day(d + timedelta(days=i))
    db.session.commit()
    rolled = totals_of("cases", d, end)
    assert dict(rolled.keys) == dict(live.keys)
    assert dict(rolled.buckets) == dict(live.buckets)
    # The report really reads the roll-up: change one stored figure and it shows.
    row = db.session.get(DailyFigure, (d, "cases.received", ""))
    row.n += 100
    db.session.commit()
    assert totals_of("cases", d, end).keys[("cases.received", "")][0] == live.keys[("cases.received", "")][0] + 100


@pytest.mark.parametrize("rolled", [False, True])
def test_drill_down_counts_equal_the_numbers(app, d, rolled):
    w = rd.six_cases(d)
    rd.five_surveys(d, w["a"])
    end = d + timedelta(days=2)
    if rolled:
        for i in range(3):
            rollups.refresh_day(d + timedelta(days=i))
        db.session.commit()
    first, after = case_reports.day_bounds(d, end)
    checked = 0
    for family in ("cases", "followup"):
        t = totals_of(family, d, end)
        for (figure, key), (n, hits) in t.keys.items():
            name, _dot, dim = figure.partition(".")[2].partition(".")
            query = case_reports.drill_query(f"{family}.{name}", dim, key, first, after)
            assert case_reports.count_of(query) == n, (figure, key)
            if case_reports.FIGURES[f"{family}.{name}"].success is not None:
                yes = case_reports.drill_query(f"{family}.{name}", dim, key, first, after, "yes")
                assert case_reports.count_of(yes) == hits, (figure, key)
            checked += 1
    assert checked > 30


def test_sql_and_pure_formulas_agree_on_generated_data(app, d):
    rng_ = random.Random(7)
    a, _b = rd.departments()
    clocks, scores, statuses, callbacks = [], [], [], []
    for _i in range(80):
        t = rd.case(rd.at(d, 8), department_id=a.id, status="closed")
        due = rd.at(d, rng_.randrange(0, 24), rng_.randrange(60))
        state = rng_.choice(["running", "met", "met", "paused", "cancelled"])
        met = due + timedelta(minutes=rng_.randrange(-300, 300)) if state == "met" else None
        rd.clock(t, "accept", due=due, met=met, state=state)
        clocks.append((state, due, met))
        status = rng_.choice(["pending", "sent", "clarifying", "answered", "answered", "unanswered", "suppressed"])
        score = rng_.randrange(1, 6) if status == "answered" else None
        db.session.add(case_reports.Survey(ticket_id=t.id, phone="+8613800138000", status=status,
                                           sent_at=None if status in ("pending", "suppressed") else rd.at(d, 9),
                                           score=score, answered_at=rd.at(d, 10) if score else None))
        statuses.append(status)
        scores.append(score)
        fu = rng_.choice(["scheduled", "done", "unreachable", "cancelled"])
        db.session.add(case_reports.FollowUp(ticket_id=t.id, status=fu, reason="handled", due_at=rd.at(d, 12)))
        callbacks.append(fu)
    db.session.commit()
    from hotline.timeutil import now

    cases_t, follow_t = totals_of("cases", d, d), totals_of("followup", d, d)

    def sql_rate(t, figure):
        n, hits = t.keys[(figure, "")]
        return case_metrics.rate(hits, n)

    assert sql_rate(cases_t, "cases.clocks") == pytest.approx(case_metrics.on_time_rate(clocks, now()))
    assert sql_rate(follow_t, "followup.satisfaction") == pytest.approx(case_metrics.satisfaction(scores))
    assert sql_rate(follow_t, "followup.surveys") == pytest.approx(case_metrics.response_rate(statuses))
    assert sql_rate(follow_t, "followup.callbacks") == pytest.approx(case_metrics.completion_rate(callbacks))


def test_backlog_ages_and_overdue_match_their_lists(app):
    from hotline.timeutil import now

    a, _b = rd.departments()
    moments = [now() - timedelta(days=days, hours=1) for days in (0, 7, 8, 30, 31, 61, 200)]
    for i, moment in enumerate(moments):
        t = rd.case(moment, department_id=a.id, status="forwarded")
        if i < 2:
            rd.clock(t, "forward", due=now() - timedelta(hours=1))
    rd.case(now(), department_id=a.id, status="closed")
    db.session.commit()
    (dept, n, bands, overdue), = case_reports.backlog()
    assert (dept, n, overdue) == (a.id, 7, 2)
    assert bands == case_metrics.backlog_ages(moments, now()) == {"0-7": 2, "8-30": 2, "31-60": 1, "61+": 2}
    for band, count in bands.items():
        assert case_reports.count_of(case_reports.backlog_query(str(a.id), band)) == count
    assert case_reports.count_of(case_reports.backlog_query(str(a.id), overdue=True)) == 2


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def supervisor(make_user, login):
    user = make_user(Role.SUPERVISOR)
    login(user)
    return user


def drill_links(html):
    return [link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)" data-testid="drill">', html)]


def test_case_report_page_numbers_lead_to_lists_of_that_many(client, supervisor, d):
    rd.six_cases(d)
    args = f"start={d}&end={d + timedelta(days=2)}"
    html = client.get(f"/reports/cases?{args}", headers=EN).get_data(as_text=True)
    assert "<svg" in html and 'data-testid="total-cases.received"' in html
    assert re.search(r'total-cases\.received">Cases received: <a [^>]+>5</a>', html)
    links = drill_links(html)
    assert len(links) > 20
    shown_as = {}  # every text each link is shown with: a count, or a rate that opens its denominator
    for href, text, n in re.findall(
            r'<a href="([^"]+)" data-testid="drill">([^<]+)</a>(?: <small[^>]*data-testid="rate-of">\(\d+ / (\d+)\))?', html):
        shown_as.setdefault(href.replace("&amp;", "&"), set()).add(n or text)
    rates = 0
    for link in links[:60]:
        counts = {t for t in shown_as[link] if t.isdigit()}
        rates += len(shown_as[link] - counts)
        # A rate's link is also shown as its count (the "n" column or "(hits / n)" after the rate).
        assert len(counts) == 1, (link, shown_as[link])
        page = client.get(link, headers=EN).get_data(as_text=True)
        assert re.search(r'id="drill-count">(\d+)<', page).group(1) == counts.pop(), link
    assert rates, "no rate on the page opens the list it divides by"


def test_drill_list_links_each_case_to_its_page(client, supervisor, d):
    w = rd.six_cases(d)
    page = client.get(f"/reports/cases/list?figure=cases.received&dim=channel&key=sms&start={d}&end={d}", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="drill-count">1<' in html
    assert f'href="/console/tickets/{w["tickets"][1].number}"' in html or w["tickets"][1].number in html
    assert client.get(f"/reports/cases/list?figure=nope&start={d}&end={d}").status_code == 404


def test_followup_report_page(client, supervisor, d):
    a, _b = rd.departments()
    rd.five_surveys(d, a, operator=supervisor.id)
    html = client.get(f"/reports/followup?start={d}&end={d}", headers=EN).get_data(as_text=True)
    assert "75.0%" in html and "66.7%" in html and "33.3%" in html
    assert "差" in html  # the lowest-scored case's comment


def test_csv_export_opens_in_excel(client, supervisor, d):
    rd.six_cases(d)
    response = client.get(f"/reports/cases?start={d}&end={d + timedelta(days=2)}&format=csv", headers=EN)
    data = response.get_data()
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "甲商店" in text and "甲科" in text


def test_drill_list_exports_its_cases(client, supervisor, d):
    rd.six_cases(d)
    url = f"/reports/cases/list?figure=cases.received&dim=department&key=&start={d}&end={d + timedelta(days=2)}"
    data = client.get(url + "&format=csv", headers=EN).get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert data.startswith(b"\xef\xbb\xbf") and len(rows) == 2 and rows[1][2] == "Consultation"


def test_print_view_hides_navigation(client, supervisor, d):
    html = client.get(f"/reports/cases?start={d}&end={d}&print=1", headers=EN).get_data(as_text=True)
    screen = client.get(f"/reports/cases?start={d}&end={d}", headers=EN).get_data(as_text=True)
    # Stylesheets, not <style> blocks: the Content-Security-Policy allows only files of this site.
    assert "<style" not in html and "style=" not in html
    assert "dashboard/reports_print.css" in html and "dashboard/reports_print.css" not in screen
    hides = ".topbar, .flashes, .report-controls, .report-tabs, .no-print { display: none !important; }"
    assert hides in client.get("/static/dashboard/reports_print.css").get_data(as_text=True)
    assert hides in client.get("/static/dashboard/reports.css").get_data(as_text=True).split("@media print")[1]
    assert "<table" in html


def test_bad_range_is_explained_and_kept(client, supervisor):
    html = client.get("/reports/cases?start=2026-02-30&end=2026-03-01", headers=EN).get_data(as_text=True)
    assert "The start date 2026-02-30 is not a date" in html
    assert 'value="2026-02-30"' in html


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_only_supervisors_see_reports(client, make_user, login, role):
    login(make_user(role))
    for path in ("/reports/", "/reports/cases", "/reports/followup", "/reports/cases/list?figure=cases.received"):
        assert client.get(path).status_code == 403, path


def test_index_lists_the_reports(client, supervisor):
    html = client.get("/reports/", headers=EN).get_data(as_text=True)
    assert 'data-testid="report-reports.cases"' in html and 'data-testid="report-reports.followup"' in html


def test_due_days_are_missing_or_settling_ones_not_refreshed_today(app):
    from hotline.dashboard import case_figures
    from hotline.timeutil import clock_at, now

    today = rd.today()
    assert case_figures.due_days(today, limit=3) == [today - timedelta(days=i) for i in (1, 2, 3)]
    with clock_at(now() - timedelta(days=1)):  # computed yesterday: settling days are due again
        for i in (1, 2, 20):
            rollups.refresh_day(today - timedelta(days=i))
    db.session.commit()
    due = case_figures.due_days(today, limit=400)
    assert today - timedelta(days=1) in due and today - timedelta(days=20) not in due
    rollups.refresh_day(today - timedelta(days=1))
    db.session.commit()
    assert today - timedelta(days=1) not in case_figures.due_days(today, limit=400)
