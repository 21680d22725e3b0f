"""Outbox pages in the console: operator replies, failed messages for supervisors."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from hotline import access, outbox, sms_texts
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.knowledge import replies
from hotline.models import OutboxMessage, OutboxStatus, ReplyScope, Role

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


# Twilio's error codes for a text that could not reach its recipient, in words (its error
# dictionary: 21xxx refused when sent, 30xxx reported undelivered afterwards).
SMS_ERRORS = {
    "21211": _l("not a valid phone number"),
    "21214": _l("the phone cannot be reached"),
    "21610": _l("the number has unsubscribed at the carrier"),
    "21612": _l("the carrier cannot deliver to this number"),
    "21614": _l("not a mobile number"),
    "30003": _l("the phone cannot be reached"),
    "30005": _l("the number does not exist"),
    "30006": _l("not a mobile number"),
    "30007": _l("filtered by the carrier"),
}


@bp.app_template_filter("sms_error")
def sms_error(code):
    """An SMS's stored failure code (outbox.failure_code) in the reader's words; an older row's
    provider message is not shown (it was English and quoted the number)."""
    if not code:
        return ""
    kind, _colon, detail = code.partition(":")
    if kind == "outage":
        return _("The SMS service could not be reached; it is tried again")
    if kind == outbox.INTERRUPTED:
        return _("Sending was interrupted; it is sent again")
    why = SMS_ERRORS.get(detail)
    if kind == "undelivered":
        if why:
            return _("Not delivered: %(why)s (code %(code)s)", why=why, code=detail)
        return _("Not delivered (code %(code)s)", code=detail) if detail else _("Not delivered")
    if kind == "provider":
        if why:
            return _("Refused by the SMS provider: %(why)s (code %(code)s)", why=why, code=detail)
        return _("Refused by the SMS provider (code %(code)s)", code=detail)
    if kind == "http" and detail.isdigit():
        return _("Refused by the SMS provider (HTTP %(status)s)", status=detail)
    return _("Sending failed")


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
        "outbox_recipient": access.notice_phone,
    }


@bp.route("/tickets/<number>/reply", methods=["POST"])
@roles_required(*REPLY_ROLES)
def reply(number):
    ticket = access.get_ticket(number, current_user) or abort(404)
    form = ReplyForm()
    # A canned reply picked without JavaScript: "Insert" shows the form again with it filled in
    # for this case; sending with an empty text sends it.
    picked = replies.picked_text(request.form.get("canned_reply"), ticket, ReplyScope.SMS)
    if "insert_reply" in request.form:  # never sends, even with nothing picked
        form.body.data = "\n".join(t for t in ((form.body.data or "").rstrip(), picked) if t)
        return render_template("outbox/reply.html", ticket=ticket, reply_form=form)
    if picked and not (form.body.data or "").strip():
        form.body.data = picked
    if access.notice_phone(ticket) is None or not form.validate_on_submit():
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
