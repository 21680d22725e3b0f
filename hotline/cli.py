"""`flask hotline ...`: accounts, tokens, reference and demo data."""

import click
from flask import current_app
from flask.cli import AppGroup

from hotline import accounts, phones
from hotline.extensions import db
from hotline.models import Department, Role, User

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


def register_cli(app):
    app.cli.add_command(hotline_cli)
