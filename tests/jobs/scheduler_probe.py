"""A real scheduler process for the leader-election tests, started by subprocess:

    python -m tests.jobs.scheduler_probe <database url> <lock key>

It runs run_scheduler with one job, "probe" (every second), that records a row per run
(pid, start, end) in followup_probe_runs, so the test can see who ran what and when."""

import signal
import sys
import threading
import time

from sqlalchemy import text

from config import TestingConfig
from hotline import create_app
from hotline.extensions import db
from hotline.jobs import scheduler

RUN_SECONDS = 0.3


def probe():
    """One run: a row with this process's id and the run's start and end."""
    import os

    started = db.session.execute(text("SELECT clock_timestamp()")).scalar()
    time.sleep(RUN_SECONDS)
    db.session.execute(
        text("INSERT INTO followup_probe_runs (pid, started, finished) VALUES (:pid, :started, clock_timestamp())"),
        {"pid": os.getpid(), "started": started},
    )
    return "probed"


def main(url, key):
    config = type("ProbeConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_LOCK_KEY": key,
        "SCHEDULER_LEADER_RETRY_SECONDS": 0.5, "SCHEDULER_LEADER_CHECK_SECONDS": 0.5,
    })
    app = create_app(config)
    scheduler.JOBS.append(("probe", probe, 1))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    return scheduler.run_scheduler(app, job_ids=["probe"], stop=stop, max_wait=120)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
