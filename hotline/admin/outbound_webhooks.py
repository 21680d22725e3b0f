"""Admins register webhook endpoints and read their delivery log."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from hotline import inputs, outbound_webhooks, outbox, webhook_targets
from hotline.admin.views import NO_STORE, admin_only, who
from hotline.extensions import db
from hotline.models import OutboxMessage, OutboxStatus, WebhookEndpoint

bp = Blueprint("outbound_webhooks", __name__)
PAGE_SIZE = 50
EVENT_LABELS = {
    outbound_webhooks.CASE_CREATED: _l("Case created"),
    outbound_webhooks.STATUS_CHANGED: _l("Case status changed"),
    outbound_webhooks.SURVEY_ANSWERED: _l("Survey answered"),
}
# Why a URL cannot receive webhooks, on the form and in the delivery log (webhook_targets).
REFUSALS = {
    webhook_targets.INVALID: _l("This is not a valid web address."),
    webhook_targets.SCHEME: _l("Only https:// addresses can receive webhooks."),
    webhook_targets.CREDENTIALS: _l(
        "Remove the user name and password from the address: receivers check the webhook secret instead."
    ),
    webhook_targets.LOCAL_NAME: _l("This is a local or internal host name: webhooks go to public hosts only."),
    webhook_targets.IP_SPELLING: _l("Write an IP address as four decimal numbers, e.g. 203.0.113.7."),
    webhook_targets.PRIVATE_ADDRESS: _l(
        "This address is loopback, private, link-local, multicast or reserved: webhooks go to public addresses only."
    ),
}


class EndpointForm(FlaskForm):
    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=outbound_webhooks.MAX_URL)])
    description = StringField(_l("Description"),
                              validators=[Optional(), Length(max=outbound_webhooks.MAX_DESCRIPTION)])
    events = inputs.ChoicesField(
        _l("Events"),
        choices=[SelectChoice(event, label) for event, label in EVENT_LABELS.items()],
        default=list(EVENT_LABELS),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one event."))],
    )

    def validate_url(self, field):
        try:
            field.data = outbound_webhooks.check_url(field.data)
        except outbound_webhooks.InvalidWebhookURL as exc:
            raise ValidationError(REFUSALS.get(exc.reason, REFUSALS[webhook_targets.INVALID])) from exc


def _index_page(form):
    return render_template("admin/outbound_webhooks.html", endpoints=outbound_webhooks.list_endpoints(), form=form, labels=EVENT_LABELS)


@bp.route("/")
@admin_only
def index():
    return _index_page(EndpointForm())


@bp.route("/", methods=["POST"])
@admin_only
def create():
    form = EndpointForm()
    if not form.validate_on_submit():
        return _index_page(form), 400
    endpoint = outbound_webhooks.register_endpoint(
        **who(), url=form.url.data, events=form.events.data, description=(form.description.data or "").strip()
    )
    db.session.commit()
    return _secret_page(endpoint, created=True)


def _secret_page(endpoint, created):
    # Shown on this one response and never again: not cached, not kept in the session.
    page = render_template("admin/outbound_webhooks_secret.html", endpoint=endpoint, created=created, labels=EVENT_LABELS)
    return page, 200, NO_STORE


@bp.route("/<int:endpoint_id>/deactivate", methods=["POST"])
@admin_only
def deactivate(endpoint_id):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    outbound_webhooks.deactivate_endpoint(**who(), endpoint=endpoint)
    db.session.commit()
    flash(_("Webhook %(url)s deactivated.", url=endpoint.url), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@admin_only
def rotate(endpoint_id):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if not endpoint.active:
        abort(409)
    outbound_webhooks.rotate_secret(**who(), endpoint=endpoint)
    db.session.commit()
    return _secret_page(endpoint, created=False)


@bp.route("/<int:endpoint_id>/deliveries")
@admin_only
def deliveries(endpoint_id):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    before = inputs.int_arg("before", 1)
    rows = outbound_webhooks.deliveries(endpoint, before=before, limit=PAGE_SIZE)
    older = rows[-1].id if len(rows) == PAGE_SIZE else None
    return render_template("admin/outbound_webhooks_log.html", endpoint=endpoint, rows=rows, older=older, before=before)


@bp.route("/<int:endpoint_id>/deliveries/<int:message_id>/retry", methods=["POST"])
@admin_only
def retry(endpoint_id, message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    if message.webhook_endpoint_id != endpoint_id:
        abort(404)
    if not message.webhook_endpoint.active:
        flash(_("The webhook is inactive: nothing is sent to it."), "error")
    elif outbox.retry(message, current_user._get_current_object()):
        db.session.commit()
        flash(_("Delivery %(id)s queued again.", id=message.id), "success")
    else:
        flash(_("Only failed deliveries can be retried."), "error")
    return redirect(url_for(".deliveries", endpoint_id=endpoint_id))


@bp.app_template_filter("webhook_error")
def _error_text(error):
    """A delivery's last error for the log: refusals translated, with the address refused."""
    if not error or not error.startswith(outbound_webhooks.REFUSED_PREFIX):
        return error or ""
    reason, _space, detail = error[len(outbound_webhooks.REFUSED_PREFIX):].partition(" ")
    text = _("Not sent: %(why)s", why=REFUSALS.get(reason, REFUSALS[webhook_targets.INVALID]))
    return f"{text} ({detail})" if detail else text


@bp.app_template_filter("webhook_status")
def _status_label(status):
    return {
        OutboxStatus.PENDING: _("Waiting"),
        OutboxStatus.SENDING: _("Sending"),
        OutboxStatus.SENT: _("Sent"),
        OutboxStatus.DELIVERED: _("Delivered"),
        OutboxStatus.FAILED: _("Failed"),
        OutboxStatus.SUPPRESSED: _("Not sent"),
    }.get(status, str(status))
