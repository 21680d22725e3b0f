"""A failed job reads on the jobs page as what went wrong in the reader's words; the exception's
own text (which may quote a query, a number) goes to the server log only, scrubbed."""

import logging
import re

import pytest
import requests
from sqlalchemy.exc import OperationalError

from hotline.extensions import db
from hotline.jobs.scheduler import run_job
from hotline.models import JobRun, Role


def raising(exc):
    def job():
        raise exc

    return job


def job_error(page, job_id):
    row = re.search(rf'<tr data-testid="job" data-job="{job_id}".*?</tr>', page, re.S).group(0)
    return re.search(r'<td class="error clip" data-testid="job-error">(.*?)</td>', row, re.S).group(1).strip()


@pytest.fixture
def supervisor(make_user, login):
    user = make_user(Role.SUPERVISOR)  # Chinese, the default
    login(user)
    return user


@pytest.mark.parametrize(("exc", "code", "zh"), [
    (OperationalError("SELECT 1", {}, Exception("could not connect to server")), "database_unavailable",
     "失败：数据库暂不可用"),
    (OperationalError("UPDATE x", {}, Exception("database is locked")), "database_busy",
     "失败：数据库繁忙，下次运行时重试"),
    (requests.Timeout("read timed out"), "timeout", "失败：外部服务响应超时"),
    (TimeoutError("timed out"), "timeout", "失败：外部服务响应超时"),
    (requests.ConnectionError("refused"), "network", "失败：无法连接外部服务"),
    (RuntimeError("boom"), "unknown", "运行失败，详见服务器日志"),
])
def test_a_failed_run_reads_in_words(app, client, supervisor, exc, code, zh):
    assert run_job(app, "clock-sweep", raising(exc)) is None
    assert db.session.get(JobRun, "clock-sweep").last_error == code
    assert job_error(client.get("/followup/jobs").get_data(as_text=True), "clock-sweep") == zh


def test_the_exception_is_in_the_log_only_and_scrubbed(app, client, supervisor, caplog):
    with caplog.at_level(logging.ERROR, logger="hotline.scheduler"):
        run_job(app, "clock-sweep", raising(ValueError("bad row for 13800138000")))
    page = client.get("/followup/jobs").get_data(as_text=True)
    assert job_error(page, "clock-sweep") == "运行失败，详见服务器日志"
    assert "ValueError" not in page and "13800138000" not in page and "Traceback" not in page
    logged = caplog.text
    assert "ValueError" in logged and "bad row for" in logged
    assert "13800138000" not in logged  # hotline.logs scrubs numbers


def test_in_english(app, client, supervisor):
    supervisor.locale = "en"
    db.session.commit()
    run_job(app, "clock-sweep", raising(requests.ConnectionError("refused")))
    page = client.get("/followup/jobs").get_data(as_text=True)
    assert job_error(page, "clock-sweep") == "Failed: an outside service could not be reached"


def test_an_older_runs_stored_exception_text_reads_as_the_generic_words(app, client, supervisor):
    """Rows written before codes held the exception's text: it is not shown."""
    run_job(app, "clock-sweep", raising(RuntimeError("boom")))
    db.session.get(JobRun, "clock-sweep").last_error = "RuntimeError: database on fire"
    db.session.commit()
    page = client.get("/followup/jobs").get_data(as_text=True)
    assert job_error(page, "clock-sweep") == "运行失败，详见服务器日志"
    assert "database on fire" not in page


def test_a_job_that_never_failed_shows_no_error(app, client, supervisor):
    run_job(app, "clock-sweep", lambda: {})
    assert job_error(client.get("/followup/jobs").get_data(as_text=True), "clock-sweep") == ""


def test_a_success_after_a_failure_clears_the_error(app, client, supervisor):
    run_job(app, "clock-sweep", raising(requests.Timeout("read timed out")))
    assert job_error(client.get("/followup/jobs").get_data(as_text=True), "clock-sweep") == "失败：外部服务响应超时"
    db.session.remove()  # the page's read, as the next scheduler run would find it: ended
    run_job(app, "clock-sweep", lambda: {})
    page = client.get("/followup/jobs").get_data(as_text=True)
    assert job_error(page, "clock-sweep") == ""
    assert 'data-job="clock-sweep" data-failed' not in page
