"""The one scheduler process. Jobs have fixed ids and work from the database, so a
restart catches up and nothing runs twice.

A job is a plain function taking no arguments, run inside an app context; it calls
services, flushes, and the runner commits once (or rolls back and logs on error).
"""

import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from hotline.extensions import db

log = logging.getLogger("hotline.scheduler")

# (job id, function, interval in seconds). Feature packages append to it at import.
JOBS: list[tuple[str, object, int]] = []


def job(job_id, seconds):
    """Register `func` as a scheduler job under a fixed id."""

    def register(func):
        JOBS.append((job_id, func, seconds))
        return func

    return register


def run_job(app, job_id, func):
    """Run one job in its own app context and transaction."""
    with app.app_context():
        try:
            result = func()
            db.session.commit()
            if result:
                log.info("job %s: %s", job_id, result)
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            return None
        finally:
            db.session.remove()


def build_scheduler(app):
    """A blocking APScheduler with every registered job; coalesced so a late start runs once."""
    from followup import jobs  # noqa: F401  (registers the jobs)

    scheduler = BlockingScheduler(timezone=app.config["HOTLINE_TIMEZONE"])
    for job_id, func, seconds in JOBS:
        scheduler.add_job(
            run_job, "interval", seconds=seconds, id=job_id, args=(app, job_id, func),
            coalesce=True, max_instances=1, replace_existing=True,
        )
    return scheduler
