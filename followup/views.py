"""Follow-up pages: the working-day calendar, clocks on a case, scheduler job status."""

import calendar as stdcal
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from followup import escalation
from hotline import inputs
from hotline.authz import roles_required
from hotline.deadlines import clocks as clock_services
from hotline.deadlines.calendar_data import MAX_DAY_NAME, calendar_warnings, month_days
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.jobs import results
from hotline.jobs.scheduler import JOBS
from hotline.models import Clock, ClockKind, ClockState, JobRun, Role
from hotline.timeutil import local_today, now

bp = Blueprint("followup", __name__)

MIN_YEAR, MAX_YEAR = 2000, 2200  # the month view's range; beyond it the current month is shown
CLOCK_EDITORS = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
KIND_LABELS = {
    ClockKind.ACCEPT: _l("Accept or reject"),
    ClockKind.FORWARD: _l("Forward to department"),
    ClockKind.MEDIATION: _l("Mediation"),
    ClockKind.NOTIFY_END: _l("Notify end of mediation"),
    ClockKind.REPORTER_NOTICE: _l("Notify the reporter"),
    ClockKind.CALLBACK: _l("Callback visit"),
    ClockKind.APPEAL: _l("Appeal"),
}
STATE_LABELS = {
    ClockState.RUNNING: _l("Running"),
    ClockState.PAUSED: _l("Paused"),
    ClockState.MET: _l("Met"),
    ClockState.CANCELLED: _l("Cancelled"),
}


class DayForm(FlaskForm):
    working = StringField(_l("Working day"), validators=[AnyOf(["0", "1"])])
    name = StringField(lazy_pgettext("thing", "Name"), validators=[Optional(), Length(max=MAX_DAY_NAME)])


class PauseForm(FlaskForm):
    reason = StringField(_l("Reason for the pause"),
                         validators=[DataRequired(), Length(max=clock_services.MAX_PAUSE_REASON)])


def case_clocks(ticket):
    """The case's clocks, oldest first, for the clock panel."""
    return db.session.scalars(select(Clock).where(Clock.ticket_id == ticket.id).order_by(Clock.id)).all()


def clock_notices():
    """What the escalation sweep told the signed-in user: their cases due within a working
    day, and (supervisors, department leads) the overdue ones."""
    if not current_user.is_authenticated:
        return {"due_soon": [], "overdue": []}
    return {"due_soon": escalation.due_soon_for(current_user), "overdue": escalation.overdue_for(current_user)}


def clock_kind_label(kind):
    return KIND_LABELS.get(kind, kind)


def clock_state_label(state):
    return STATE_LABELS.get(state, state)


def may_change_clock(user, clock):
    """Whether `user` may pause or resume `clock`: operators and supervisors any; department
    staff only their own case's department clocks, never the hotline's accept, forward or
    callback clocks. The panel's buttons and the pause and resume requests both ask this."""
    if user.role not in CLOCK_EDITORS:
        return False
    if user.role != Role.DEPARTMENT:
        return True
    return _own_case(user, clock) and clock.kind in clock_services.DEPARTMENT_CLOCKS


def clock_refusal(user, clock):
    """Why `user` may not pause or resume `clock`, as an HTTP status, or None when they may:
    404 for no clock, or a department user on another department's case (that case is not shown
    at all); 403 when may_change_clock says no. The console's pause and resume and their API
    twins (followup/api.py) both ask this."""
    if clock is None:
        return 404
    if user.role == Role.DEPARTMENT and not _own_case(user, clock):
        return 404
    if not may_change_clock(user, clock):
        return 403
    return None


def _own_case(user, clock):
    return user.department_id is not None and clock.ticket.department_id == user.department_id


def clock_is_late(clock):
    """Late: met after its due moment, or still open past it."""
    if clock.state == ClockState.MET:
        return clock.met_at > clock.due_at
    return clock.state != ClockState.CANCELLED and clock.due_at < now()


@bp.route("/calendar")
@roles_required(Role.SUPERVISOR)
def calendar():
    year, month = _month_arg(request.args.get("month"))
    today = local_today(current_app.config["HOTLINE_TIMEZONE"])
    return render_template(
        "followup/calendar.html", year=year, month=month, today=today,
        weeks=stdcal.Calendar().monthdatescalendar(year, month), days=month_days(year, month),
        warnings=calendar_warnings(today), form=DayForm(),
        prev_month=_shift(year, month, -1), next_month=_shift(year, month, 1),
    )


@bp.route("/calendar/<day>", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def calendar_day(day):
    day = _date_or_404(day)
    form = DayForm()
    if not form.validate():
        abort(400)
    _row, moved = clock_services.correct_calendar_day(day, form.working.data == "1", form.name.data, current_user)
    db.session.commit()
    flash(_("%(day)s saved; %(count)s running time limits recounted.", day=day.isoformat(), count=len(moved)),
          "success")
    return redirect(url_for("followup.calendar", month=day.strftime("%Y-%m")))


@bp.route("/jobs")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def jobs():
    runs = {run.job_id: run for run in db.session.scalars(select(JobRun))}
    jobs = [(jid, seconds, runs.get(jid), results.describe(jid, runs[jid].last_result) if jid in runs else "")
            for jid, _f, seconds in JOBS]
    return render_template("followup/jobs.html", jobs=jobs, failure_words=results.failure_words)


@bp.route("/clocks/<int:clock_id>/pause", methods=["POST"])
@roles_required(*CLOCK_EDITORS)
def pause(clock_id):
    clock = _editable_clock(clock_id)
    form = PauseForm()
    if not form.validate():
        flash(_("A pause needs a reason."), "error")
    else:
        _apply(clock_services.pause_clock, clock, form.reason.data, current_user)
    return redirect(url_for("console.ticket", number=clock.ticket.number))


@bp.route("/clocks/<int:clock_id>/resume", methods=["POST"])
@roles_required(*CLOCK_EDITORS)
def resume(clock_id):
    clock = _editable_clock(clock_id)
    if ConfirmForm().validate():
        _apply(clock_services.resume_clock, clock, current_user)
    return redirect(url_for("console.ticket", number=clock.ticket.number))


def _apply(service, clock, *args):
    try:
        service(clock, *args)
        db.session.commit()
        flash(_("Clock updated."), "success")
    except clock_services.ClockError:
        db.session.rollback()
        flash(_("This clock cannot be changed now: it was paused, resumed or stopped meanwhile."), "error")


def _editable_clock(clock_id):
    clock = db.session.get(Clock, clock_id)
    refusal = clock_refusal(current_user, clock)
    if refusal:
        abort(refusal)
    return clock


def _month_arg(value):
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if MIN_YEAR <= date(year, month, 1).year <= MAX_YEAR:
            return year, month
    except ValueError:
        pass
    today = local_today(current_app.config["HOTLINE_TIMEZONE"])
    return today.year, today.month


def _shift(year, month, step):
    index = year * 12 + month - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _date_or_404(value):
    return inputs.parse_date(value) or abort(404)
