"""The core's scheduler jobs: sending the outbox and the outbound webhooks, and the dashboard's
daily roll-ups. Each calls services; none touches a view. Features register their own jobs in
their init_app."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from hotline import outbound_webhooks, outbox
from hotline.dashboard.jobs import refresh_daily_figures
from hotline.jobs.scheduler import register_job
from hotline.telephony.senders import sender_for


def init_app(app):
    # Each count a run returns, as the jobs page reads it (hotline.jobs.results).
    released = _l("%(n)s claimed too long ago put back in the queue")
    register_job("outbox-dispatch", dispatch_outbox, 5, words={
        "sent": _l("%(n)s SMS sent"), "retry": _l("%(n)s to try again"), "failed": _l("%(n)s failed"),
        "released": released})
    register_job("webhook-dispatch", dispatch_webhooks, 5, words={
        "delivered": _l("%(n)s delivered"), "retry": _l("%(n)s to try again"), "failed": _l("%(n)s failed"),
        "refused": _l("%(n)s refused (address not allowed)"), "released": released})
    register_job("daily-figures", refresh_daily_figures, 300, words={"days": _l("%(n)s days of figures recounted")})


def dispatch_outbox():
    """Send the due SMS (Twilio, or the sandbox without an account)."""
    # Up to 4 s of sending per 5 s run: 100 a run capped the outbox at 20 SMS/s (bench/README.md).
    return outbox.dispatch_due(sender_for(current_app.config), batch=5000, max_seconds=4)


def dispatch_webhooks():
    """Deliver due outbound webhooks (signed JSON POSTs), with retries."""
    return outbound_webhooks.dispatch_due()
