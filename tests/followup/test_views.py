"""Pages: the calendar (supervisors), job status (supervisors, admins), the case clock panel."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from flask import render_template
from flask_login import login_user

from hotline.deadlines.clocks import start_clock
from hotline.extensions import db
from hotline.jobs.scheduler import run_job
from hotline.models import AuditLog, CalendarDay, ClockKind, ClockState, Department, JobRun, Role


class Rows(HTMLParser):
    """Collect the data-* attributes of elements carrying data-testid."""

    def __init__(self, testid):
        super().__init__()
        self.testid, self.rows = testid, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-testid") == self.testid:
            self.rows.append(attrs)


def rows(html, testid):
    parser = Rows(testid)
    parser.feed(html)
    return parser.rows


def test_calendar_is_for_supervisors_only(client, login, make_user):
    login(make_user(Role.OPERATOR))
    assert client.get("/followup/calendar").status_code == 403
    assert client.post("/followup/calendar/2025-10-11", data={"working": "0"}).status_code == 403


def test_supervisor_marks_a_day_off_and_it_is_audited(client, login, make_user, calendar_2025):
    supervisor = make_user(Role.SUPERVISOR)
    login(supervisor)
    page = client.get("/followup/calendar?month=2025-10").get_data(as_text=True)
    cells = {r["data-day"]: r["data-working"] for r in Rows_cells(page)}
    assert cells["2025-10-11"] == "1" and cells["2025-10-03"] == "0"
    response = client.post("/followup/calendar/2025-10-11", data={"working": "0", "name": "Typhoon"})
    assert response.status_code == 302 and "month=2025-10" in response.headers["Location"]
    row = db.session.get(CalendarDay, date(2025, 10, 11))
    assert (row.working, row.name, row.source, row.official, row.updated_by_id) == (
        False, "Typhoon", "manual", True, supervisor.id)
    assert db.session.query(AuditLog).filter_by(action="calendar_day_set", target_id="2025-10-11").count() == 1


def Rows_cells(html):  # noqa: N802 (reads like the table it parses)
    parser = Cells()
    parser.feed(html)
    return parser.rows


class Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-day" in attrs:
            self.rows.append(attrs)


@pytest.mark.parametrize("path", ["/followup/calendar/not-a-date", "/followup/calendar/2025-02-30"])
def test_bad_dates_are_404(client, login, make_user, path):
    login(make_user(Role.SUPERVISOR))
    assert client.post(path, data={"working": "0"}).status_code == 404


def test_bad_form_is_400_and_bad_month_shows_this_month(client, login, make_user):
    login(make_user(Role.SUPERVISOR))
    assert client.post("/followup/calendar/2025-10-11", data={"working": "maybe"}).status_code == 400
    assert client.get("/followup/calendar?month=99999-99").status_code == 200


def test_calendar_page_warns_without_official_data(client, login, make_user):
    login(make_user(Role.SUPERVISOR))
    page = client.get("/followup/calendar").get_data(as_text=True)
    assert rows(page, "calendar-warning")  # an empty table: nothing official ahead


def test_jobs_page_shows_last_run_and_error(app, client, login, make_user):
    def broken():
        raise RuntimeError("database on fire")

    assert run_job(app, "outbox-dispatch", lambda: {"sent": 0}) == {"sent": 0}
    assert run_job(app, "clock-sweep", broken) is None
    sweep = db.session.get(JobRun, "clock-sweep")
    assert sweep.runs == 1 and sweep.last_error == "unknown" and sweep.last_ok_at is None
    assert sweep.next_run_at is not None
    login(make_user(Role.OPERATOR))
    assert client.get("/followup/jobs").status_code == 403
    login(make_user(Role.ADMIN))
    page = client.get("/followup/jobs").get_data(as_text=True)
    jobs = {r["data-job"]: r for r in rows(page, "job")}
    assert set(jobs) >= {"outbox-dispatch", "clock-sweep"}
    assert jobs["clock-sweep"].get("data-failed") == "1" and "data-failed" not in jobs["outbox-dispatch"]
    assert "database on fire" not in page  # the exception is for the server log, not the page


def test_jobs_page_reads_each_result_in_words(app, client, login, make_user):
    from hotline.jobs.scheduler import JOBS

    for job_id, func, seconds in JOBS:  # each job once, as the scheduler runs it under `make run`
        assert run_job(app, job_id, func, seconds) is not None, job_id
    db.session.get(JobRun, "outbox-dispatch").last_result = "{'sent': 3}"  # an older run's text
    db.session.commit()
    login(make_user(Role.SUPERVISOR))
    for lang, surveys in (("zh", "已发送 0 条，未答复已关闭 0 件"), ("en", "0 surveys sent, 0 closed unanswered")):
        page = client.get("/followup/jobs", headers={"Accept-Language": lang}).get_data(as_text=True)
        shown = dict(re.findall(r'data-job="([\w-]+)".*?data-testid="job-result">([^<]*)<', page, re.S))
        assert set(shown) == {job_id for job_id, _f, _s in JOBS}
        assert shown["surveys"] == surveys
        assert shown["outbox-dispatch"] == ""  # not a Python dict
        assert not any(c in text for text in shown.values() for c in "{}'_:"), shown
        if lang == "zh":
            assert not any(re.search(r"[A-Za-z]", text) for text in shown.values()), shown
            assert shown["clock-sweep"] == "一个工作日内到期提醒 0 个，新超期 0 个，已短信通知部门负责人 0 条"
            assert re.fullmatch(r"已重新统计 \d+ 天的数据", shown["daily-figures"])


def test_pause_and_resume_from_the_case(client, login, make_user, create_ticket, calendar_2025):
    department = Department(code="D1", name="District 1")
    db.session.add(department)
    db.session.commit()
    ticket = create_ticket(department=department)
    clock = start_clock(ticket, ClockKind.MEDIATION)  # the department's own duty
    db.session.commit()
    login(make_user(Role.DEPARTMENT, department=department))
    assert client.post(f"/followup/clocks/{clock.id}/pause", data={"reason": ""}).status_code == 302
    assert clock.state == ClockState.RUNNING
    response = client.post(f"/followup/clocks/{clock.id}/pause", data={"reason": "lab test"})
    assert response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    db.session.refresh(clock)
    assert clock.state == ClockState.PAUSED
    client.post(f"/followup/clocks/{clock.id}/resume")
    db.session.refresh(clock)
    assert clock.state == ClockState.RUNNING
    assert client.post(f"/followup/clocks/{clock.id}/resume").status_code == 302  # refused politely
    assert client.post("/followup/clocks/999999/pause", data={"reason": "x"}).status_code == 404


def test_other_departments_and_admins_cannot_pause(client, login, make_user, create_ticket):
    mine, theirs = Department(code="M", name="Mine"), Department(code="T", name="Theirs")
    db.session.add_all([mine, theirs])
    db.session.commit()
    clock = start_clock(create_ticket(department=theirs), ClockKind.FORWARD)
    db.session.commit()
    login(make_user(Role.DEPARTMENT, department=mine))
    assert client.post(f"/followup/clocks/{clock.id}/pause", data={"reason": "x"}).status_code == 404
    login(make_user(Role.ADMIN))
    assert client.post(f"/followup/clocks/{clock.id}/pause", data={"reason": "x"}).status_code == 403


@pytest.mark.parametrize("kind", [ClockKind.ACCEPT, ClockKind.FORWARD, ClockKind.CALLBACK])
def test_a_department_may_not_pause_or_resume_the_hotlines_clocks(client, login, make_user, create_ticket, kind):
    department = Department(code="D1", name="District 1")
    db.session.add(department)
    db.session.commit()
    ticket = create_ticket(department=department)
    theirs, own = start_clock(ticket, kind), start_clock(ticket, ClockKind.MEDIATION)
    db.session.commit()
    login(make_user(Role.DEPARTMENT, department=department))
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert f"/followup/clocks/{theirs.id}/pause" not in page  # no button for the hotline's clock
    assert f"/followup/clocks/{own.id}/pause" in page  # the department's own clock keeps its button
    assert client.post(f"/followup/clocks/{theirs.id}/pause", data={"reason": "x"}).status_code == 403
    db.session.refresh(theirs)
    assert theirs.state == ClockState.RUNNING
    # Paused by the hotline, the department may not resume it either.
    login(make_user(Role.OPERATOR))
    assert client.post(f"/followup/clocks/{theirs.id}/pause", data={"reason": "鉴定中"}).status_code == 302
    db.session.refresh(theirs)
    assert theirs.state == ClockState.PAUSED
    login(make_user(Role.DEPARTMENT, department=department))
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert f"/followup/clocks/{theirs.id}/resume" not in page
    assert client.post(f"/followup/clocks/{theirs.id}/resume").status_code == 403
    db.session.refresh(theirs)
    assert theirs.state == ClockState.PAUSED


def test_clock_panel_lists_clocks_late_ones_marked(app, make_user, ticket_at, local, calendar_2025):
    ticket = ticket_at(local(2025, 9, 30, 10, 0))
    start_clock(ticket, ClockKind.ACCEPT)  # long overdue by now
    db.session.commit()
    operator = make_user(Role.OPERATOR)
    with app.test_request_context():
        login_user(operator)
        html = render_template("followup/_clocks.html", ticket=ticket)
    [clock] = rows(html, "clock")
    assert (clock["data-kind"], clock["data-state"], clock.get("data-late")) == ("accept", "running", "1")
    assert "2025-10-16 23:59" in html
    assert 'name="reason"' in html
