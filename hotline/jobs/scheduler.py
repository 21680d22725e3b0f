"""The one scheduler process. Jobs have fixed ids and work from the database, so a
restart catches up and nothing runs twice.

A job is a plain function taking no arguments, run inside an app context; it calls
services, flushes, and the runner commits once (or rolls back and logs on error). Each run
is recorded in JobRun (started, finished, ok, error, result, next run, count).

Catch-up: at start each job's first run is placed one interval after its last recorded start;
a job whose moment passed while no scheduler ran runs once at once (coalesce), however many
intervals were missed. misfire_grace_time lets a run delayed by a busy process still happen.
"""

import logging
import threading
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from hotline.extensions import db
from hotline.jobs import results
from hotline.jobs.leader import DEFAULT_LOCK_KEY, job_guard, leader_for
from hotline.models import JobRun
from hotline.timeutil import now

log = logging.getLogger("hotline.scheduler")

# (job id, function, interval in seconds): the core's jobs and each feature's, added by
# register_job from create_app (hotline.jobs.init_app, then each feature's init_app).
JOBS: list[tuple[str, object, int]] = []
RESULT_CHARS = 2000


def register_job(job_id, func, seconds, words=None):
    """Run `func` every `seconds` under the fixed id `job_id`; registering an id again (every
    app create_app builds registers the same jobs) replaces it in place. `words` says how each
    count of the {what: how many} the job returns reads on the jobs page (hotline.jobs.results)."""
    results.WORDS[job_id] = words or {}
    entry = (job_id, func, seconds)
    for index, (known, _func, _seconds) in enumerate(JOBS):
        if known == job_id:
            JOBS[index] = entry
            return
    JOBS.append(entry)


def interval_of(job_id):
    return next((seconds for jid, _f, seconds in JOBS if jid == job_id), None)


def run_job(app, job_id, func, seconds=None):
    """Run one job in its own app context and transaction, recording the run in JobRun."""
    seconds = seconds or interval_of(job_id)
    with app.app_context(), job_guard(db.engine, job_id) as alone:
        if not alone:
            log.warning("job %s is running elsewhere; this run is skipped", job_id)
            return None
        try:
            _record(job_id, started=now(), seconds=seconds)
            result = func()
            db.session.commit()
            if result:
                log.info("job %s: %s", job_id, result)
            _record(job_id, result=result)
            return result
        except Exception as exc:
            db.session.rollback()
            log.exception("job %s failed", job_id)  # the exception: in the (scrubbed) log only
            _record(job_id, error=results.failure_code(exc))
            return None
        finally:
            db.session.remove()


def _record(job_id, started=None, seconds=None, result=None, error=None):
    """Write the start, or the end, of a run to JobRun in its own commit."""
    try:
        run = db.session.get(JobRun, job_id) or JobRun(job_id=job_id, runs=0)
        db.session.add(run)
        if started:
            run.last_started_at = started
            run.next_run_at = started + timedelta(seconds=seconds) if seconds else None
        else:
            run.last_finished_at = now()
            run.runs = (run.runs or 0) + 1
            if error:
                run.last_error = error
            else:
                # A success ends the failing streak: the page shows no stale error beside "OK"
                # (the failure stays in the server log).
                run.last_ok_at, run.last_error = run.last_finished_at, None
                run.last_result = None if result is None else results.stored(result)[:RESULT_CHARS]
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the run of job %s", job_id)


def first_run(job_id, seconds, at=None):
    """When a job should first run after a (re)start: one interval after its last start, or now
    when that moment has passed (a missed run, done once)."""
    at = at or now()
    last = db.session.scalar(select(JobRun.last_started_at).where(JobRun.job_id == job_id))
    due = at if last is None else max(at, last + timedelta(seconds=seconds))
    return due.replace(tzinfo=UTC)


def build_scheduler(app, job_ids=None):
    """A background APScheduler with the registered jobs (or those named)."""
    scheduler = BackgroundScheduler(timezone=app.config["HOTLINE_TIMEZONE"])
    with app.app_context():
        for job_id, func, seconds in JOBS:
            if job_ids is not None and job_id not in job_ids:
                continue
            scheduler.add_job(
                run_job, "interval", seconds=seconds, id=job_id, args=(app, job_id, func, seconds),
                next_run_time=first_run(job_id, seconds), coalesce=True, max_instances=1,
                misfire_grace_time=max(seconds, 30), replace_existing=True,
            )
        db.session.remove()
    return scheduler


def run_scheduler(app, job_ids=None, stop=None, retry_seconds=None, check_seconds=None, max_wait=None):
    """Wait to become the leader, then run jobs while leadership lasts; until `stop` is set.
    Returns 0 when stopped, 1 when max_wait passed without becoming the leader."""
    stop = stop or threading.Event()
    config = app.config
    retry = retry_seconds or config.get("SCHEDULER_LEADER_RETRY_SECONDS", 5)
    check = check_seconds or config.get("SCHEDULER_LEADER_CHECK_SECONDS", 5)
    max_wait = max_wait if max_wait is not None else config.get("SCHEDULER_STANDBY_MAX_SECONDS", 0)
    with app.app_context():
        leader = leader_for(db.engine, config.get("SCHEDULER_LOCK_KEY", DEFAULT_LOCK_KEY))
    waited = 0.0
    while not stop.is_set():
        if not _try(leader):
            if waited == 0 or waited % 60 < retry:
                log.info("scheduler standby: another instance is the leader; retrying every %ss", retry)
            if max_wait and waited >= max_wait:
                log.warning("scheduler standby gave up after %ss", waited)
                return 1
            stop.wait(retry)
            waited += retry
            continue
        waited = 0.0
        _lead(app, leader, job_ids, stop, check)
    leader.release()
    return 0


def _try(leader):
    try:
        return leader.try_acquire()
    except Exception as exc:  # the database is down: wait and retry like a standby
        log.warning("scheduler could not reach the database for leadership: %s", exc)
        return False


def _lead(app, leader, job_ids, stop, check):
    """Run the jobs until stopped or leadership is lost."""
    log.info("scheduler is the leader; running jobs")
    scheduler = build_scheduler(app, job_ids)
    scheduler.start()
    try:
        while not stop.wait(check):
            if not leader.still_leader():
                log.error("scheduler lost leadership (database connection gone); jobs stopped")
                break
    finally:
        scheduler.shutdown(wait=True)
