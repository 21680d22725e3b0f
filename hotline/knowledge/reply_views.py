"""The supervisors' pages for canned replies (常用语): list, add, edit, reorder, deactivate.

The pickers that use them are on the console's SMS form (templates/outbox/_reply_form.html) and
the department desk's step form; both include templates/knowledge/_reply_picker.html, which reads
`reply_choices` (registered in hotline.knowledge.init_app).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from hotline import sms_texts
from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm
from hotline.knowledge import replies
from hotline.models import CannedReply, ReplyScope, Role

bp = Blueprint("replies", __name__)
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)


# The scopes in words. Lazy, as every label here: `make messages` extracts lazy_pgettext too.
SCOPE_LABELS = {
    ReplyScope.SMS: lazy_pgettext("reply scope", "SMS"),
    ReplyScope.DESK: lazy_pgettext("reply scope", "Department desk"),
    ReplyScope.ANY: lazy_pgettext("reply scope", "Both"),
}


VARIABLE_LABELS = {
    "case_number": _l("the case number"),
    "due_date": _l("the case's nearest legal deadline"),
    "department": _l("the department the case is forwarded to"),
    "hotline": _l("the hotline's number"),
}


def _names(variables):
    return pgettext("list separator", ", ").join("{" + name + "}" for name in variables)


def allowed_variables():
    return _names(replies.VARIABLES)


class ReplyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give the reply a title.")),
        Length(max=replies.MAX_TITLE, message=_l("At most %(max)d characters.")),
    ])
    scope = SelectField(_l("Used on"), choices=[SelectChoice(s.value, label) for s, label in SCOPE_LABELS.items()])
    body = TextAreaField(_l("Text"), validators=[
        DataRequired(message=_l("Write the text of the reply.")),
        Length(max=replies.MAX_BODY, message=_l("At most %(max)d characters.")),
    ])
    active = BooleanField(_l("Offered in the pickers"), default=True)

    def validate_body(self, field):
        unknown = replies.unknown_variables(field.data)
        if unknown:
            raise ValidationError(_refusal(replies.ReplyError("unknown-variables", unknown)))


class MoveForm(FlaskForm):
    step = SelectField(choices=[SelectChoice("up", "up"), SelectChoice("down", "down")])


def _refusal(exc):
    """What a ReplyError says to the supervisor."""
    if exc.code == "unknown-variables":
        return _("Unknown variable(s): %(unknown)s. The variables are %(allowed)s.",
                 unknown=_names(exc.unknown), allowed=allowed_variables())
    if exc.code == "too-long":
        return _("The title may have at most %(title)d characters and the text %(body)d.",
                 title=replies.MAX_TITLE, body=replies.MAX_BODY)
    return _("Write a title and a text.")


def _ip():
    return request.remote_addr


@bp.context_processor
def _labels():
    return {"reply_scope_labels": SCOPE_LABELS, "reply_variables": VARIABLE_LABELS,
            "sms_segments": sms_texts.segments, "reply_max_body": replies.MAX_BODY}


bp.add_app_template_filter(replies.parts, "reply_parts")


@bp.route("")
@roles_required(*MANAGERS)
def index():
    return render_template("knowledge/replies.html", rows=replies.ordered(), confirm_form=ConfirmForm(),
                           move_form=MoveForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    return _edit(None)


@bp.route("/<int:reply_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(reply_id):
    return _edit(db.get_or_404(CannedReply, reply_id))


def _edit(reply):
    form = ReplyForm(obj=reply)
    if reply is not None and not form.is_submitted():
        form.scope.data = reply.scope.value
    if form.validate_on_submit():
        fields = {"title": form.title.data, "body": form.body.data, "scope": form.scope.data,
                  "active": form.active.data, "actor": current_user, "ip": _ip()}
        try:
            saved = replies.create(**fields) if reply is None else replies.update(reply, **fields)
        except replies.ReplyError as exc:  # the form checks the same; kept for a race or a bypass
            db.session.rollback()
            form.body.errors = [*form.body.errors, _refusal(exc)]
        else:
            db.session.commit()
            flash(_("Canned reply saved."), "success")
            return redirect(url_for("replies.index", _anchor=f"reply-{saved.id}"))
    status = 400 if form.is_submitted() else 200
    return render_template("knowledge/reply_form.html", form=form, reply=reply), status


@bp.route("/<int:reply_id>/move", methods=["POST"])
@roles_required(*MANAGERS)
def move(reply_id):
    reply = db.get_or_404(CannedReply, reply_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    if not replies.move(reply, -1 if form.step.data == "up" else 1, current_user, ip=_ip()):
        flash(_("The reply is already first.") if form.step.data == "up" else _("The reply is already last."), "info")
    db.session.commit()
    return redirect(url_for("replies.index", _anchor=f"reply-{reply.id}"))


@bp.route("/<int:reply_id>/deactivate", methods=["POST"])
@roles_required(*MANAGERS)
def deactivate(reply_id):
    reply = db.get_or_404(CannedReply, reply_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    replies.deactivate(reply, current_user, ip=_ip())
    db.session.commit()
    flash(_("“%(title)s” is no longer offered; edit it to offer it again.", title=reply.title), "success")
    return redirect(url_for("replies.index", _anchor=f"reply-{reply.id}"))
