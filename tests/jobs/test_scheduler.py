"""The scheduler: leader election (two real processes on PostgreSQL), catch-up after a kill."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline import create_app
from hotline.extensions import db
from hotline.jobs import scheduler
from hotline.jobs.leader import FileLeader, PgLeader
from hotline.models import JobRun
from hotline.timeutil import now
from tests.conftest import PG_URL, make_config, require

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = 0x7E57_0001  # not the production key, so a developer's scheduler is never disturbed


def wait_for(predicate, timeout, step=0.2):
    """Poll until predicate() is truthy or the timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def test_file_leader_admits_one_instance(tmp_path):
    first, second = FileLeader(tmp_path / "db.lock"), FileLeader(tmp_path / "db.lock")
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire() and second.still_leader()
    second.release()


@pytest.fixture
def pg_engine():
    require("PostgreSQL", bool(PG_URL), "leader election is tested on PostgreSQL (set TEST_DATABASE_URL)")
    engine = create_engine(PG_URL)
    yield engine
    engine.dispose()


def test_pg_leader_admits_one_holder_until_its_connection_goes(pg_engine):
    first, second = PgLeader(pg_engine, TEST_KEY), PgLeader(pg_engine, TEST_KEY)
    try:
        assert first.try_acquire() and first.still_leader()
        assert not second.try_acquire()
        first.release()  # the server frees the lock as the closed connection's backend exits
        assert wait_for(second.try_acquire, 5) and second.still_leader()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def start_probe(log_path):
    """A scheduler process; its log goes to a file (a pipe nobody reads would fill and block it)."""
    with open(log_path, "w") as log:
        return subprocess.Popen(  # noqa: S603 (fixed argv)
            [sys.executable, "-m", "tests.jobs.scheduler_probe", PG_URL, str(TEST_KEY)],
            cwd=ROOT, env=dict(os.environ, HOTLINE_CONFIG="testing"),
            stdout=subprocess.DEVNULL, stderr=log,
        )


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_two_scheduler_processes_one_leader_and_takeover(pg_engine, tmp_path):
    app = create_app(make_config("postgresql"))
    with app.app_context():
        db.create_all()
        db.session.query(JobRun).filter_by(job_id="probe").delete()
        db.session.commit()
        db.engine.dispose()
    with pg_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS followup_probe_runs"))
        conn.execute(text("CREATE TABLE followup_probe_runs (id serial PRIMARY KEY, pid int, "
                          "started timestamptz, finished timestamptz)"))

    def runs():
        with pg_engine.connect() as conn:
            return conn.execute(text("SELECT pid, started, finished FROM followup_probe_runs ORDER BY started")).all()

    first = start_probe(tmp_path / "first.log")
    second = None
    try:
        assert wait_for(lambda: any(r.pid == first.pid for r in runs()), 60), "the first scheduler never ran its job"
        second = start_probe(tmp_path / "second.log")
        # Up and waiting: it says so once it has loaded the app (which takes seconds on a busy
        # machine: the address parser and the classifier load with it), then a little longer.
        assert wait_for(lambda: "standby" in (tmp_path / "second.log").read_text(), 60), "no standby"
        time.sleep(2)
        assert second.poll() is None
        assert not [r for r in runs() if r.pid == second.pid], "a standby scheduler ran a job"

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert wait_for(lambda: any(r.pid == second.pid for r in runs()), 20), "the standby never took over"
        assert time.monotonic() - killed_at < 15
    finally:
        stop(first)
        if second is not None:
            stop(second)
    done = runs()
    assert {r.pid for r in done} == {first.pid, second.pid}
    assert "is the leader" in (tmp_path / "first.log").read_text()
    assert "standby" in (tmp_path / "second.log").read_text()
    for earlier, later in zip(done, done[1:], strict=False):
        assert later.started >= earlier.finished, "two runs of the job overlapped"
    with pg_engine.begin() as conn:
        conn.execute(text("DROP TABLE followup_probe_runs"))
        conn.execute(text("DELETE FROM job_runs WHERE job_id = 'probe'"))


@pytest.fixture
def file_app(app_factory, backend, tmp_path):
    """An app whose database other threads can share: a file on SQLite, the test database on PG."""
    overrides = {"SCHEDULER_LEADER_CHECK_SECONDS": 0.2}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'hotline.sqlite'}"
    return app_factory(**overrides)


def test_a_missed_run_is_made_up_once_on_restart(file_app, monkeypatch):
    calls = []
    hourly = [("missed", lambda: calls.append("missed"), 3600), ("recent", lambda: calls.append("recent"), 3600)]
    monkeypatch.setattr(scheduler, "JOBS", scheduler.JOBS + hourly)
    with file_app.app_context():
        # The scheduler was killed three hours ago: "missed" should have run twice since;
        # "recent" last ran ten minutes ago and is not due.
        db.session.add_all([JobRun(job_id="missed", last_started_at=now() - timedelta(hours=3), runs=5),
                            JobRun(job_id="recent", last_started_at=now() - timedelta(minutes=10), runs=5)])
        db.session.commit()
        db.session.remove()
    stop_event = threading.Event()
    thread = threading.Thread(
        target=scheduler.run_scheduler, args=(file_app,),
        kwargs={"job_ids": ["missed", "recent"], "stop": stop_event, "max_wait": 5},
    )
    thread.start()
    try:
        assert wait_for(lambda: calls, 10) == ["missed"]
        time.sleep(1.5)
    finally:
        stop_event.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    assert calls == ["missed"]
    with file_app.app_context():
        missed = db.session.get(JobRun, "missed")
        assert missed.runs == 6 and missed.next_run_at - missed.last_started_at == timedelta(hours=1)
        assert db.session.get(JobRun, "recent").runs == 5
        db.session.remove()
