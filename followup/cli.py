"""`flask followup scheduler`: the scheduler process (started by `make run`)."""

import contextlib

import click
from flask import current_app
from flask.cli import AppGroup

followup_cli = AppGroup("followup", help="The scheduler and its jobs.")


@followup_cli.command("scheduler")
def scheduler():
    """Run the scheduler in the foreground until stopped."""
    from followup.scheduler import JOBS, build_scheduler

    sched = build_scheduler(current_app._get_current_object())
    click.echo(f"scheduler: {len(JOBS)} jobs: {', '.join(j for j, _f, _s in JOBS) or 'none yet'}")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        sched.start()
