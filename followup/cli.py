"""`flask followup scheduler` and `flask followup seed-calendar`: the names existing deployments
start the scheduler and fill the calendar by. Both now live in the core (`flask hotline
scheduler`, `flask hotline seed-calendar`); these are the same commands under the old group."""

from flask.cli import AppGroup

from hotline.cli import scheduler, seed_calendar_command

followup_cli = AppGroup("followup", help="The scheduler and the working-day calendar (also under `flask hotline`).")
followup_cli.add_command(scheduler)
followup_cli.add_command(seed_calendar_command, "seed-calendar")
