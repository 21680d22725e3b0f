"""`flask followup scheduler` (the scheduler process, started by `make run`) and
`flask followup seed-calendar`."""

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from hotline.timeutil import local_today

followup_cli = AppGroup("followup", help="The scheduler, its jobs and the working-day calendar.")


@followup_cli.command("scheduler")
@click.option("--job", "job_ids", multiple=True, help="Run only these job ids (default: all).")
@click.option("--max-wait", type=float, default=None, help="Give up standby after this many seconds.")
def scheduler(job_ids, max_wait):
    """Run the scheduler in the foreground until stopped (SIGTERM / Ctrl-C)."""
    from hotline.jobs.scheduler import JOBS, run_scheduler

    # APScheduler logs every run at INFO; JobRun rows and our own log lines already say what ran.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    app = current_app._get_current_object()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_args: stop.set())
    from hotline.jobs import core_jobs  # noqa: F401  (registers the jobs)

    names = [j for j, _f, _s in JOBS if not job_ids or j in job_ids]
    click.echo(f"scheduler: {len(names)} jobs: {', '.join(names) or 'none'}")
    raise SystemExit(run_scheduler(app, job_ids=list(job_ids) or None, stop=stop, max_wait=max_wait))


@followup_cli.command("seed-calendar")
@click.option("--from-year", type=int, default=None, help="First year (default: last year).")
@click.option("--to-year", type=int, default=None, help="Last year (default: two years ahead).")
def seed_calendar_command(from_year, to_year):
    """Fill the working-day calendar from the packages; supervisors' corrections are kept."""
    from hotline.deadlines.calendar_data import seed_calendar
    from hotline.extensions import db

    this_year = local_today(current_app.config["HOTLINE_TIMEZONE"]).year
    changed = seed_calendar(from_year or this_year - 1, to_year or this_year + 2)
    db.session.commit()
    click.echo(f"calendar: {changed} days added or updated")
