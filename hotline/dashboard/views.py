"""The live wall (supervisors), its JSON for the page's own refresh, and operators' own figures."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from hotline import inputs
from hotline.authz import roles_required
from hotline.dashboard import call_figures, metrics, wall
from hotline.deadlines.calendar_data import calendar_warnings
from hotline.extensions import db
from hotline.models import Contact, Department, Role
from hotline.timeutil import local_today, now

bp = Blueprint("dashboard", __name__)
WALL_ROLES = (Role.SUPERVISOR,)
LATE_LIST_LIMIT = 500


@bp.route("/")
@roles_required(*WALL_ROLES)
def index():
    snap = wall.snapshot()
    text, alarms = wall.display(snap)
    warnings = calendar_warnings(local_today(current_app.config["HOTLINE_TIMEZONE"]))
    return render_template("dashboard/wall.html", snap=snap, text=text, alarms=alarms, warnings=warnings,
                           answer_rate_target=metrics.ANSWER_RATE_TARGET)


@bp.route("/wall.json")
@roles_required(*WALL_ROLES)
def wall_json():
    snap = wall.snapshot()
    text, alarms = wall.display(snap)
    return jsonify(figures=snap, text=text, alarms=alarms)


@bp.route("/late")
@roles_required(*WALL_ROLES)
def late_cases():
    which = request.args.get("which", "overdue")
    if which not in ("overdue", "due_today"):
        abort(404)
    department_id = inputs.parse_int(request.args.get("department", ""), 1)
    department = db.session.get(Department, department_id) if department_id else None
    at = now()
    _start, day_end = call_figures.day_bounds(local_today(current_app.config["HOTLINE_TIMEZONE"], at))
    stmt = wall.late_cases_query(department_id, which, at, day_end)
    # The total rides along as a window count: one pass over the join, not a second query for
    # the count (each walked every overdue clock: 100 ms apiece at 1M cases on PostgreSQL).
    found = db.session.execute(stmt.add_columns(func.count().over()).limit(LATE_LIST_LIMIT)).all()
    return render_template("dashboard/wall_late.html", rows=[(ticket, clock) for ticket, clock, _ in found],
                           count=found[0][2] if found else 0, which=which, department=department, at=at)


@bp.route("/operators")
@roles_required(*WALL_ROLES)
def operators():
    """The operators behind one of the wall's state counts (its count is this list's length)."""
    state = request.args.get("state", "available")
    if state not in wall.STATES:
        abort(400)
    return render_template("dashboard/wall_operators.html", state=state, users=wall.operators_in(state, now()))


@bp.route("/sms-waiting")
@roles_required(*WALL_ROLES)
def sms_waiting():
    """The texts behind the wall's "SMS waiting for a first reply" number."""
    at = now()
    day_start, _end = call_figures.day_bounds(local_today(current_app.config["HOTLINE_TIMEZONE"], at))
    stmt = wall.sms_waiting_query(day_start)
    rows = db.session.scalars(stmt.options(selectinload(Contact.ticket)).limit(LATE_LIST_LIMIT)).all()
    return render_template("dashboard/wall_sms.html", rows=rows, count=call_figures.count_query(stmt), at=at)


@bp.route("/me")
@roles_required(Role.OPERATOR, Role.SUPERVISOR)
def my_figures():
    today = local_today(current_app.config["HOTLINE_TIMEZONE"])
    days = [wall.my_figures(current_user.id, d) for d in (today, today - timedelta(days=1))]
    return render_template("dashboard/my_figures.html", days=days)
