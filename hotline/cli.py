"""`flask hotline ...`: accounts, tokens, reference and demo data, the working-day calendar and
the scheduler process (started by `make run`)."""

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from hotline import accounts, phones
from hotline.extensions import db
from hotline.models import Department, Role, User
from hotline.timeutil import local_today

hotline_cli = AppGroup("hotline", help="Hotline administration.")


@hotline_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default=None)
@click.option("--department", "department_code", default=None, help="department code (department users)")
@click.option("--phone", default=None, help="the operator's own phone, for bridged calls")
@click.password_option()
def create_user(username, role, display_name, department_code, phone, password):
    """Create a staff account."""
    department = None
    if department_code:
        department = db.session.scalar(db.select(Department).where(Department.code == department_code))
        if department is None:
            raise click.ClickException(f"no department with code {department_code!r}")
    if phone:
        try:
            phone = phones.normalise(phone, current_app.config.get("DEFAULT_PHONE_REGION", "CN"))
        except phones.InvalidPhone as exc:
            raise click.ClickException(f"{phone!r} is not a phone number") from exc
    try:
        user = accounts.create_user(username, password, role, display_name, department, phone)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.username}")


@hotline_cli.command("create-token")
@click.argument("username")
@click.option("--name", default="api", help="what the token is for")
def create_token(username, name):
    """Create an API bearer token; it is printed once."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    plain, _token = accounts.create_token(user, name)
    db.session.commit()
    click.echo(plain)


@hotline_cli.command("unlock")
@click.argument("username")
def unlock(username):
    """Lift a sign-in lock."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    accounts.unlock(user)
    db.session.commit()
    click.echo(f"unlocked {username}")


@hotline_cli.command("seed")
def seed():
    """Load the default reference data (categories, suggestion rules) where missing."""
    from hotline.seeds import seed_reference_data

    added = seed_reference_data()
    db.session.commit()
    click.echo(f"reference data: {added} rows added")


@hotline_cli.command("seed-demo")
def seed_demo():
    """Load demo departments, accounts and cases (development only), and print the logins."""
    from hotline.demo import seed_demo as run

    logins = run()
    db.session.commit()
    click.echo("Demo logins (development only):")
    for username, password, role in logins:
        click.echo(f"  {role:<11} {username:<11} {password}")


@hotline_cli.command("scheduler")
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
    names = [j for j, _f, _s in JOBS if not job_ids or j in job_ids]
    click.echo(f"scheduler: {len(names)} jobs: {', '.join(names) or 'none'}")
    raise SystemExit(run_scheduler(app, job_ids=list(job_ids) or None, stop=stop, max_wait=max_wait))


@hotline_cli.command("seed-calendar")
@click.option("--from-year", type=int, default=None, help="First year (default: last year).")
@click.option("--to-year", type=int, default=None, help="Last year (default: two years ahead).")
def seed_calendar_command(from_year, to_year):
    """Fill the working-day calendar from the packages; supervisors' corrections are kept."""
    from hotline.deadlines.calendar_data import seed_calendar

    this_year = local_today(current_app.config["HOTLINE_TIMEZONE"]).year
    changed = seed_calendar(from_year or this_year - 1, to_year or this_year + 2)
    db.session.commit()
    click.echo(f"calendar: {changed} days added or updated")


def register_cli(app):
    app.cli.add_command(hotline_cli)
