"""Operator call actions: answer the next or a chosen call, hang up, close after-call work, the
callback list, the block list."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from hotline import calls, phones
from hotline.authz import roles_required
from hotline.console.forms import WrapupForm
from hotline.console.views import back_url
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.models import Caller, Role, Ticket
from hotline.telephony import callcontrol

bp = Blueprint("calls", __name__)

CALL_ROLES = (Role.OPERATOR, Role.SUPERVISOR)


class BlockForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=calls.MAX_BLOCK_PHONE)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=calls.MAX_BLOCK_REASON)])


@bp.route("/answer-next", methods=["POST"])
@roles_required(*CALL_ROLES)
def answer_next():
    _confirmed()
    if not calls.may_answer(current_user):
        return _away()
    if (in_hand := calls.call_in_hand(current_user)) is not None:
        return _call_in_hand(in_hand)
    contact = calls.longest_waiting()
    if contact is None:
        flash(_("No call is waiting."), "warning")
        return redirect(url_for("console.index"))
    return _answer(contact)


@bp.route("/<int:contact_id>/answer", methods=["POST"])
@roles_required(*CALL_ROLES)
def answer(contact_id):
    _confirmed()
    if not calls.may_answer(current_user):
        return _away()
    if (in_hand := calls.call_in_hand(current_user)) is not None:
        return _call_in_hand(in_hand)
    contact = calls.waiting_call(contact_id)
    if contact is None:
        flash(_("This call is no longer waiting: the caller hung up or another operator took it."), "warning")
        return redirect(url_for("console.index"))
    return _answer(contact)


def _away():
    # Refused before any call is looked up or claimed: the queue stays as it was.
    flash(_("You are marked as away, so no call is put through to you. "
            "Set your availability to available first."), "warning")
    return redirect(url_for("console.index"))


def _call_in_hand(call):
    # Refused before any waiting call is claimed; back to the call in hand, on its case.
    flash(_("You already have a caller on the line or on hold: end that call before answering another."),
          "warning")
    return redirect(calls.case_url(call.ticket) if call.ticket else url_for("console.index"))


def _answer(contact):
    if calls.operator_phone(current_user) is None:
        flash(_("You have no phone number registered, so calls cannot be put through to you. "
                "Ask an administrator to add it to your account."), "error")
        return redirect(url_for("console.index"))
    if not calls.claim(contact, current_user):
        db.session.rollback()
        flash(_("Another operator is already answering this call."), "warning")
        return redirect(url_for("console.index"))
    # Commit the claim before the network call, so no lock is held while Twilio answers.
    db.session.commit()
    try:
        answered = callcontrol.call_control(current_app.config).connect(contact, current_user)
    except callcontrol.CallControlError:
        calls.release(contact)
        db.session.commit()
        flash(_("Twilio could not put the call through; the caller is still waiting in the queue. "
                "Please try again."), "error")
        return redirect(url_for("console.index"))
    db.session.commit()
    if answered and contact.ticket is not None:
        return redirect(calls.case_url(contact.ticket))
    flash(_("Your phone is ringing: pick it up to talk to the caller."), "success")
    return redirect(url_for("console.index"))


# Hang-up and wrap-up act on the operator's own call only: the call is looked up from who is
# signed in, and the id in the path must be that call (a stale page cannot end another one).

@bp.route("/<int:contact_id>/hang-up", methods=["POST"])
@roles_required(*CALL_ROLES)
def hang_up(contact_id):
    _confirmed()
    call = _own_live_call(contact_id)
    if call is None:
        flash(_("This call is no longer connected to you."), "warning")
        return redirect(back_url())
    try:
        ended = callcontrol.call_control(current_app.config).hang_up(call)
    except callcontrol.CallControlError:
        flash(_("Twilio could not end the call; it is still connected. Please try again."), "error")
        return redirect(back_url())
    if ended:  # over at Twilio already, its final callback lost: recorded as that callback would
        calls.record_status(call, *ended)
        message = _("The call had already ended; it is now closed here too.")
    else:
        calls.hung_up(call, current_user)
        message = _("Call ended. Pick a wrap-up reason when your after-call work is done.")
    db.session.commit()
    flash(message, "success")
    return redirect(back_url())


@bp.route("/<int:contact_id>/hold", methods=["POST"])
@roles_required(*CALL_ROLES)
def hold(contact_id):
    """The caller hears the hold message while the operator looks something up; the operator's
    phone drops and rings again on resume."""
    _confirmed()
    call = _own_live_call(contact_id)
    if call is None or call.held_at is not None:
        flash(_("This call is no longer connected to you.") if call is None else _("The call is already on hold."),
              "warning")
        return redirect(back_url())
    try:
        callcontrol.call_control(current_app.config).hold(call)
    except callcontrol.CallControlError:
        flash(_("Twilio could not put the call on hold; you are still connected. Please try again."), "error")
        return redirect(back_url())
    calls.hold(call, current_user)
    db.session.commit()
    flash(_("The caller is on hold and hears a message to wait. Resume rings your phone again."), "success")
    return redirect(back_url())


@bp.route("/<int:contact_id>/resume", methods=["POST"])
@roles_required(*CALL_ROLES)
def resume(contact_id):
    _confirmed()
    call = _own_live_call(contact_id)
    if call is None or call.held_at is None:
        flash(_("This call is no longer connected to you.") if call is None else _("The call is not on hold."),
              "warning")
        return redirect(back_url())
    try:
        callcontrol.call_control(current_app.config).connect(call, current_user)
    except callcontrol.CallControlError:
        flash(_("Twilio could not take the call off hold; the caller still hears the hold message. "
                "Please try again."), "error")
        return redirect(back_url())
    calls.resume(call, current_user)
    db.session.commit()
    flash(_("Taking the call back: your phone rings."), "success")
    return redirect(back_url())


def _own_live_call(contact_id):
    state, call = calls.own_call(current_user)
    return call if state == calls.LIVE and call.id == contact_id else None


@bp.route("/<int:contact_id>/wrap-up", methods=["POST"])
@roles_required(*CALL_ROLES)
def wrap_up(contact_id):
    form = WrapupForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Pick a wrap-up reason."), "warning")
        return redirect(back_url())
    state, call = calls.own_call(current_user)
    if state != calls.AFTER_CALL or call.id != contact_id:
        flash(_("The after-call work of this call is already closed."), "warning")
        return redirect(back_url())
    calls.finish_wrapup(call, current_user, form.reason.data)
    db.session.commit()
    flash(_("Wrap-up recorded: you are available for calls again."), "success")
    return redirect(back_url())


@bp.route("/callbacks")
@roles_required(*CALL_ROLES)
def callback_requests():
    return render_template("calls/callback_requests.html", pending=calls.pending_callback_requests(), form=ConfirmForm())


@bp.route("/callbacks/<number>/done", methods=["POST"])
@roles_required(*CALL_ROLES)
def callback_done(number):
    _confirmed()
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number[:20])) or abort(404)
    if calls.close_callback_request(ticket, current_user) is None:
        flash(_("Case %(number)s has no callback waiting: it was already marked as done.", number=ticket.number),
              "warning")
        return redirect(url_for("calls.callback_requests"))
    db.session.commit()
    flash(_("Callback for case %(number)s marked as done.", number=ticket.number), "success")
    return redirect(url_for("calls.callback_requests"))


@bp.route("/blocklist", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def blocklist():
    form = BlockForm()
    if form.validate_on_submit():
        try:
            calls.block_number(form.phone.data, form.reason.data.strip(), current_user, ip=request.remote_addr)
        except phones.InvalidPhone:
            form.phone.errors.append(_("This is not a phone number."))
        else:
            db.session.commit()
            flash(_("Number blocked."), "success")
            return redirect(url_for("calls.blocklist"))
    page = render_template("calls/blocklist.html", form=form, callers=calls.blocked_callers(), confirm=ConfirmForm())
    return page, 400 if form.errors else 200


@bp.route("/blocklist/<int:caller_id>/remove", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def unblock(caller_id):
    _confirmed()
    caller = db.session.get(Caller, caller_id)
    if caller is None or caller.blocked_at is None:
        abort(404)
    calls.unblock(caller, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(_("Number removed from the block list."), "success")
    return redirect(url_for("calls.blocklist"))


def _confirmed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
