"""The operator console: queue, my tickets, search, the ticket page, availability."""

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from hotline import access, audit, inputs, live, menu, tickets
from hotline import calls as hotline_calls
from hotline.access import can_reveal_phone
from hotline.auth import back_to
from hotline.authz import roles_required
from hotline.console import labels, services, words
from hotline.console.forms import AvailabilityForm, NoteForm, WrapupForm
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.models import OPEN_STATUSES, Role, TicketKind, TicketStatus
from hotline.search import parse_query
from hotline.timeutil import now

bp = Blueprint("console", __name__)

QUEUE_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
CALL_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
OPEN = "open"
CSRF_SLOT = "\x00csrf\x00"  # where the shared queue panel takes the reader's own CSRF token


@bp.app_context_processor
def _console_globals():
    return {
        "availability_form": AvailabilityForm,
        # The top bar's links and drop-down menus after its fixed links (hotline.menu).
        "nav_bar": lambda: menu.bar_for(current_app, getattr(current_user, "role", None)),
        # base.html's call bar and waiting badge (call-takers only; called only where shown).
        "own_call": lambda: hotline_calls.own_call(current_user),
        "bar_token": hotline_calls.bar_token,
        "queue_snapshot": services.queue_snapshot,
        "wrapup_form": WrapupForm,
        "call_case_url": hotline_calls.case_url,
        "seconds_since": lambda at: max(int((now() - at).total_seconds()), 0),
    }


for _name, _table in labels.TABLES.items():
    bp.add_app_template_filter(lambda value, table=_table: labels.label(table, value), _name)
bp.add_app_template_filter(labels.reason, "reason_label")
bp.add_app_template_filter(words.coded, "coded")
bp.add_app_template_filter(words.event_value, "event_value")
bp.add_app_template_filter(words.field_value, "field_value")


@bp.app_template_filter("filesize")
def _filesize(size):
    """Bytes as people read a file's size (Jinja's filesizeformat says "Bytes" in English)."""
    if size is None:
        return ""
    if size < 1024:
        return _("%(n)s bytes", n=size)
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


@bp.app_context_processor
def _timeline_helpers():
    return {"identifier_events": labels.IDENTIFIER_EVENTS}


@bp.route("/")
@roles_required()
def index():
    if current_user.role == Role.DEPARTMENT:
        page = services.department_open_tickets(current_user, _page())
        return render_template("console/department.html", page=page)
    return render_template("console/index.html", **_queue())


@bp.route("/queue/panel")
@roles_required(*QUEUE_ROLES)
def queue_panel():
    """The panel console.js polls: one rendering per snapshot per kind of reader, shared by all
    of them; 304 when what the reader saw last is still what it would see."""
    snap = services.shared_queue()
    reader = (current_user.role.value, current_user.availability.value, str(get_locale()))
    etag = services.panel_etag(snap.value, *reader)
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        html = live.render(snap, reader, lambda: render_template(
            "console/_queue_panel.html", snap=snap.value, csrf_token=lambda: CSRF_SLOT))
        # The one per-session part, put in after the shared rendering.
        response = current_app.response_class(html.replace(CSRF_SLOT, generate_csrf()), mimetype="text/html")
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "no-cache, private"
    if current_user.role in CALL_ROLES:
        # The call pop rides on the panel's poll (a 304 included): the queue page makes one
        # request every few seconds, not two.
        news = _call_news(snap.value)
        response.headers["X-Call-News"] = json.dumps(news, separators=(",", ":"), ensure_ascii=True)
    return response


@bp.route("/queue/current-call")
@roles_required()
def current_call():
    """What console.js polls on every page but the queue (where the panel's X-Call-News header
    says the same): the call to pop, and for call-takers the number of callers waiting (top-bar
    badge, page title) and their own call's state (the call bar)."""
    if current_user.role not in CALL_ROLES:
        return {"call": None}
    return _call_news(services.queue_snapshot())


def _call_news(snap):
    return services.call_news(snap, current_user.id)


@bp.route("/queue/call-bar")
@roles_required(*CALL_ROLES)
def call_bar():
    """The call bar alone, for console.js to swap in when the call's state changes."""
    return render_template("calls/_call_bar.html")


@bp.route("/availability", methods=["POST"])
@roles_required(*CALL_ROLES)
def set_availability():
    form = AvailabilityForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_availability(current_user, form.availability.data)
    db.session.commit()
    return redirect(back_url())


@bp.route("/my")
@roles_required()
def my_tickets():
    page = services.my_tickets(current_user, _page())
    return render_template("console/my_tickets.html", page=page)


@bp.route("/search")
@roles_required()
def search():
    q = request.args.get("q", "").strip()[:200]
    status, kind = request.args.get("status", ""), request.args.get("kind", "")
    flt = parse_query(q)
    if status == OPEN:
        flt.status = sorted(OPEN_STATUSES)
    elif status in labels.STATUS:
        flt.status = [TicketStatus(status)]
    if kind in labels.KIND:
        flt.kind = TicketKind(kind)
    page = services.search_tickets(flt, current_user, _page())
    return render_template(
        "console/search.html",
        page=page,
        q=q,
        status=status,
        kind=kind,
        status_choices=labels.choices(labels.STATUS),
        kind_choices=labels.choices(labels.KIND),
    )


@bp.route("/tickets/<number>")
@roles_required()
def ticket(number):
    return _ticket_page(_visible_ticket(number))


@bp.route("/tickets/<number>/reveal-phone", methods=["POST"])
@roles_required()
def reveal_phone(number):
    found = _visible_ticket(number)
    numbers = access.revealable_phones(found)
    if not numbers or not can_reveal_phone(current_user, found):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit.record(current_user, "reveal_phone", "ticket", found.number, ip=request.remote_addr)
    db.session.commit()
    return _ticket_page(found, revealed=numbers)


@bp.route("/tickets/<number>/notes", methods=["POST"])
@roles_required(Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
def add_note(number):
    found = _visible_ticket(number)
    form = NoteForm()
    if form.validate_on_submit():
        tickets.add_note(found, form.text.data.strip(), current_user)
        db.session.commit()
        flash(_("Note added."), "success")
        return redirect(url_for("console.ticket", number=found.number))
    return _ticket_page(found, note_form=form), 400


def ticket_page(found):
    """The case page of `found` as the signed-in user sees it (features re-show it with their errors)."""
    return _ticket_page(found)


def _ticket_page(found, revealed=None, note_form=None):
    return render_template(
        "console/ticket.html",
        ticket=found,
        timeline=services.timeline(found),
        other_cases=access.other_cases(found, current_user),
        may_reveal=bool(access.revealable_phones(found)) and can_reveal_phone(current_user, found),
        may_note=current_user.role != Role.ADMIN,
        revealed=revealed or {},
        note_form=note_form or NoteForm(),
        confirm_form=ConfirmForm(),
    )


def _visible_ticket(number):
    found = access.get_ticket(number, current_user)
    if found is None:
        abort(404)
    return found


def _queue():
    return {"snap": services.queue_snapshot()}


def _page():
    return inputs.page_arg()


def back_url():
    """Back to the page the form was on (its `next` field, else where it came from): a same-site
    page a GET opens (hotline.auth.back_to), else the queue."""
    return back_to(request.form.get("next"), request.referrer)
