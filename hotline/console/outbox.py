"""Outbox pages in the console: operator replies, failed messages for supervisors."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from hotline import outbox, sms_texts
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.knowledge import replies
from hotline.models import OutboxMessage, OutboxStatus, ReplyScope, Role, Ticket

bp = Blueprint("outbox", __name__)

REPLY_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting to send"),
    OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.DELIVERED: _l("Delivered"),
    OutboxStatus.FAILED: _l("Failed"),
    OutboxStatus.SUPPRESSED: _l("Not sent (opted out)"),
}


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Reply by SMS"),
        validators=[
            DataRequired(message=_l("Write the reply first.")),
            Length(max=sms_texts.MAX_REPLY, message=_l("A reply may be at most %(max)d characters.")),
        ],
    )




# Texts staff must not read: a one-time code shown to the operator would let them verify a
# phone without the caller.
SECRET_PURPOSES = frozenset({"otp"})


@bp.app_template_filter("outbox_text")
def _outbox_text(message):
    if message.purpose in SECRET_PURPOSES:
        return _("(one-time code: not shown)")
    return message.body


@bp.app_context_processor
def _outbox_helpers():
    """What templates/outbox/_reply_form.html needs when the ticket page includes it."""
    return {
        "sms_segments": sms_texts.segments,
        "outbox_messages": outbox.messages_of,
        "outbox_reply_form": ReplyForm,
        "outbox_reply_roles": REPLY_ROLES,
        "outbox_status_label": STATUS_LABELS.get,
    }


@bp.route("/tickets/<number>/reply", methods=["POST"])
@roles_required(*REPLY_ROLES)
def reply(number):
    ticket = db.first_or_404(select(Ticket).where(Ticket.number == number))
    form = ReplyForm()
    # A canned reply picked without JavaScript: "Insert" shows the form again with it filled in
    # for this case; sending with an empty text sends it.
    picked = replies.picked_text(request.form.get("canned_reply"), ticket, ReplyScope.SMS)
    if "insert_reply" in request.form:  # never sends, even with nothing picked
        form.body.data = "\n".join(t for t in ((form.body.data or "").rstrip(), picked) if t)
        return render_template("outbox/reply.html", ticket=ticket, reply_form=form)
    if picked and not (form.body.data or "").strip():
        form.body.data = picked
    if ticket.caller is None or not form.validate_on_submit():
        return render_template("outbox/reply.html", ticket=ticket, reply_form=form), 400
    message = outbox.reply_to_caller(ticket, form.body.data, current_user)
    db.session.commit()
    if message.status == OutboxStatus.SUPPRESSED:
        flash(_("The caller opted out of SMS: the reply is recorded but will not be sent."), "error")
    else:
        flash(_("Reply queued for sending."), "success")
    return redirect(url_for("console.ticket", number=ticket.number))


@bp.route("/failed")
@roles_required(Role.SUPERVISOR)
def failed():
    return render_template("outbox/failed.html", messages=outbox.failed_messages())


@bp.route("/messages/<int:message_id>/retry", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def retry(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if outbox.retry(message, current_user):
        db.session.commit()
        flash(_("Message queued again."), "success")
    else:
        flash(_("Only a failed message can be retried."), "error")
    return redirect(url_for("outbox.failed"))
