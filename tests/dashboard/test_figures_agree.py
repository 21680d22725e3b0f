"""The numbers agree wherever they appear (issue 16.4), on the demo world `make run` shows:

- every number on the live wall is a link, and the list it opens holds exactly that many rows;
- a rate or a mean on the wall opens the calls it divides by, and says what it divides;
- the wall's "New SMS cases" and "Calls waiting" are the queue's own counts;
- the surveys page and the follow-up report give one response rate, from one definition;
- durations read one way (m:ss, h:mm:ss, then days and hours) on the wall, the lists and the reports;
- the wall and the call report give each abandon figure one name and one number;
- percentages read one way on the wall, counts read as whole numbers in the case report.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.demo import DEMO_USERS, seed_demo
from hotline.extensions import db
from hotline.models import Survey, SurveyStatus, Ticket, User
from hotline.models.tickets import OPEN_STATUSES
from hotline.templating import duration, percent
from hotline.timeutil import local_today

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
TAG = re.compile(r"<[^>]+>")
WALL_FIGURE = re.compile(r'<(a|span) (?:href="([^"]*)" )?class="figure[^"]*" data-field="([^"]+)"[^>]*>([^<]*)</\1>')
# The count each drill-down page prints (one per kind of list the wall opens).
LIST_COUNT = re.compile(r'data-testid="(?:call|late|operator|sms|drill)-count"[^>]*>(\d+)<')
DURATION = re.compile(r"^(–|\d+:\d\d|\d+:\d\d:\d\d|\d+ d \d+ h)$")


@pytest.fixture
def demo(app, client, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path)
    # The demo's calls fall inside opening hours; open on holidays too, so "yesterday" has its
    # calls whatever day the tests run.
    app.config["OPEN_ON_HOLIDAYS"] = True
    seed_demo(n_cases=40)
    db.session.commit()
    # What the scheduler does first under `make run`: text the surveys due; one caller answers.
    from followup import surveys

    assert surveys.surveys_due()["sent"] >= 2
    first = db.session.scalars(select(Survey).where(Survey.status == SurveyStatus.SENT)).first()
    surveys.record_answer(first.ticket, 5)
    db.session.commit()
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    password = next(p for u, p, *_ in DEMO_USERS if u == "supervisor")
    assert client.post("/login", data={"username": supervisor.username, "password": password}).status_code == 302
    return supervisor


def _wall_figures(client):
    page = client.get("/dashboard/", headers=EN).get_data(as_text=True)
    return [(tag, href.replace("&amp;", "&"), field, text) for tag, href, field, text in WALL_FIGURE.findall(page)], page


def test_every_wall_number_opens_a_list_of_that_many(client, demo):
    figures, _page = _wall_figures(client)
    assert len(figures) >= 31, figures  # queue 2, operator states 5, SMS 4, two days of 10 call figures
    unlinked = [field for tag, _href, field, _text in figures if tag != "a"]
    assert unlinked == [], "wall numbers that open nothing"
    checked = 0
    for _tag, href, field, text in figures:
        response = client.get(href, headers=EN)
        assert response.status_code == 200, (field, href)
        if not text.isdigit() or href.split("#")[0] == "/":
            continue  # the queue's counts: test_the_wall_and_the_queue_count_the_same_cases
        listed = LIST_COUNT.search(response.get_data(as_text=True))
        assert listed, (field, href)
        assert listed.group(1) == text, (field, href, text, listed.group(1))
        checked += 1
    assert checked >= 18, checked  # 5 operator states, SMS waiting, 6 call counts on each of two days


def test_wall_rates_open_what_they_divide_and_say_so(client, demo):
    figures, page = _wall_figures(client)
    by_field = {field: (href, text) for _tag, href, field, text in figures}
    for day in ("calls_today", "calls_yesterday"):
        assert "figure=offered" in by_field[f"{day}.answer_rate"][0]
        assert by_field[f"{day}.answer_rate"][0] == by_field[f"{day}.offered"][0]
        assert by_field[f"{day}.service_level"][0] == by_field[f"{day}.offered"][0]
        assert by_field[f"{day}.asa"][0] == by_field[f"{day}.answered"][0]
        assert "figure=handled" in by_field[f"{day}.aht"][0]
    assert "answered ÷ offered" in page and "answered within 15 s ÷ offered" in page


def test_the_wall_and_the_queue_count_the_same_cases(client, demo):
    figures, _page = _wall_figures(client)
    text = {field: t for _tag, _href, field, t in figures}
    queue = client.get("/", headers=EN).get_data(as_text=True)
    new_sms = re.search(r'data-testid="new-sms-count">(\d+)<', queue).group(1)
    assert text["sms.new_cases"] == new_sms == str(queue.count('data-testid="sms-ticket"'))
    assert int(new_sms) > 0, "the demo has SMS cases nobody took up"
    assert text["queue.waiting"] == re.search(r'data-testid="waiting-count">(\d+)<', queue).group(1)


def test_one_duration_format_on_the_wall_lists_and_reports(client, demo):
    figures, _page = _wall_figures(client)
    for _tag, _href, field, shown in figures:
        if field.endswith(("wait", "oldest", ".asa", ".aht")):
            assert DURATION.match(shown), (field, shown)
    answered = client.get("/reports/calls/list?figure=answered", headers=EN).get_data(as_text=True)
    cells = re.findall(r'<td class="mono">([^<]*)</td>', answered)
    assert cells and all(DURATION.match(c) for c in cells), cells[:10]
    report = client.get("/reports/calls", headers=EN).get_data(as_text=True)
    aht = re.findall(r'data-col="aht"><a [^>]+>([^<]+)</a>', report)
    assert aht and all(DURATION.match(c) for c in aht), aht
    assert "(s)</th>" not in report  # no column of bare seconds left


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "–"), (0, "0:00"), (42.4, "0:42"), (59.6, "1:00"), (325, "5:25"), (3600, "1:00:00"),
    (86399, "23:59:59"), (232 * 3600 + 55, "9 d 16 h"), (-5, "0:00")])
def test_the_one_duration_format(app, seconds, shown):
    with app.test_request_context(headers=EN):
        assert duration(seconds) == shown


def test_the_surveys_page_and_the_followup_report_give_one_response_rate(client, demo):
    counts = dict(db.session.execute(select(Survey.status, db.func.count()).group_by(Survey.status)).all())
    sent = sum(counts.get(s, 0) for s in (SurveyStatus.SENT, SurveyStatus.CLARIFYING, SurveyStatus.ANSWERED,
                                          SurveyStatus.UNANSWERED))
    answered = counts.get(SurveyStatus.ANSWERED, 0)
    assert sent > answered, "the demo has surveys waiting for their reply"
    page = client.get("/followup/surveys", headers=EN).get_data(as_text=True)
    rate = percent(answered / sent)
    assert f"Response rate: {rate} ({answered} answered of {sent} sent)" in page
    report = client.get("/reports/followup", headers=EN).get_data(as_text=True)
    total = re.search(r'data-testid="total-followup.surveys">[^:]+: ([^\s(]+)', report).group(1)
    assert total == rate


@pytest.mark.parametrize("report", ["/reports/calls", "/reports/cases", "/reports/followup"])
def test_each_long_report_has_a_table_of_contents_whose_links_land(client, demo, report):
    page = client.get(report, headers=EN).get_data(as_text=True)
    anchors = re.findall(r'<a href="#([^"]+)" data-testid="toc-link">', page)
    assert len(anchors) >= 3, anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in page, anchor


def test_one_definition_of_a_sent_survey():
    from followup import surveys
    from hotline.dashboard import case_metrics

    assert {str(s) for s in surveys.SENT_STATES} == set(case_metrics.SENT_SURVEY_STATES)


def _text(fragment):
    return " ".join(TAG.sub(" ", fragment).split())


def test_the_wall_and_the_call_report_give_each_abandon_figure_one_name(client, demo):
    wall = client.get("/dashboard/", headers=ZH).get_data(as_text=True)
    yesterday = re.search(r'id="wall-yesterday-report"[^>]*href="[^"]*start=([\d-]+)|'
                          r'href="[^"]*start=([\d-]+)[^"]*" id="wall-yesterday-report"', wall)
    day = yesterday.group(1) or yesterday.group(2)
    on_wall = {fig: (_text(label.split("<br>")[0]), _text(y)) for fig, label, _t, y in re.findall(
        r'<tr data-figure="(\w+)">\s*<th>(.*?)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', wall, re.S)}
    report = client.get(f"/reports/calls?start={day}&end={day}", headers=ZH).get_data(as_text=True)
    table = re.search(r'id="calls-by-period">(.*?)</table>', report, re.S).group(1)
    heads = [_text(h.split("<br>")[0]) for h in re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0], re.S)]
    total = re.search(r'data-testid="total-row">(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r'data-col="(\w+)">(.*?)</td>', total, re.S)
    in_report = {col: (head, _text(value)) for head, (col, value) in zip(heads[1:], cells, strict=True)}
    figures = ("long_abandoned", "short_abandoned", "abandoned")
    for figure in figures:
        assert on_wall[figure] == in_report[figure], figure
    long, short, both = (int(on_wall[f][1]) for f in figures)
    assert both == long + short and long > 0 and short > 0, "the demo abandons calls yesterday, short and long"
    assert [on_wall[f][0] for f in figures] == ["放弃（5 秒及以上）", "短时放弃（5 秒以内）", "放弃合计"]
    assert "放弃" not in heads, "a bare 放弃 would mean another number than the wall's"
    # No link on the wall without its number beside it.
    assert not re.search(r">(今日|昨日)</a>", wall)


def test_percentages_read_one_way_on_the_wall(client, demo):
    for headers in (ZH, EN):
        page = _text(client.get("/dashboard/", headers=headers).get_data(as_text=True))
        assert not re.search(r"\d %", page), re.findall(r".{30}\d %.{10}", page)
        assert percent(0.95) in page  # the answer-rate threshold


def test_the_case_report_shows_counts_as_whole_numbers(app, client, demo):
    from hotline.dashboard.jobs import refresh_daily_figures

    refresh_daily_figures()  # what the scheduler's daily-figures job does under `make run`
    db.session.commit()
    today = local_today(app.config["HOTLINE_TIMEZONE"])
    start = (today - timedelta(days=7)).isoformat()
    page = client.get(f"/reports/cases?start={start}&end={today.isoformat()}", headers=ZH).get_data(as_text=True)
    assert "按类别的登记量" in page and "受理量" not in page  # its rows are the cases received
    on_time = _text(re.search(r'data-testid="total-on-time">(.*?)</span>', page, re.S).group(1))
    assert re.fullmatch(r"按时: (–|\d+\.\d%) \( ?\d+ ?/ ?\d+ ?\)", on_time), on_time
    shown = re.findall(r'data-testid="(?:drill|rate-of)"[^>]*>([^<]*)<', page)
    assert shown and all(re.fullmatch(r"\(?\d+( / \d+\))?|\d+\.\d%|–", n) for n in shown), shown


def test_drill_down_lists_show_the_facts_when_a_case_has_no_summary(client, demo):
    case = db.session.scalars(db.select(Ticket).where(Ticket.department_id.is_not(None),
                                                      Ticket.status.in_(OPEN_STATUSES))
                              .order_by(Ticket.created_at.desc(), Ticket.id.desc())).first()
    case.summary, case.facts = None, "消费者在商场购买的电饭煲使用三天后无法加热，要求退货，商家拒绝。"
    db.session.commit()
    url = f"/reports/cases/list?figure=backlog&dim=department&key={case.department_id}"
    page = client.get(url, headers=ZH).get_data(as_text=True)
    row = next(r for r in re.findall(r'<tr data-testid="drill-row">(.*?)</tr>', page, re.S) if case.number in r)
    assert "消费者在商场购买的电饭煲使用三天后无法加热" in row
    exported = client.get(url + "&format=csv", headers=ZH).get_data(as_text=True)
    assert "消费者在商场购买的电饭煲使用三天后无法加热" in exported
