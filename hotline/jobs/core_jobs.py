"""The scheduler's jobs. Each calls services; none touches a view."""

from flask import current_app

from followup import callbacks, escalation, surveys  # noqa: F401  (their @job entries)
from hotline import outbound_webhooks, outbox
from hotline.dashboard import jobs  # noqa: F401  (their @job entries)
from hotline.jobs.scheduler import job
from hotline.telephony.senders import sender_for


@job("outbox-dispatch", 5)
def dispatch_outbox():
    """Send the due SMS (Twilio, or the sandbox without an account)."""
    # Up to 4 s of sending per 5 s run: 100 a run capped the outbox at 20 SMS/s (bench/README.md).
    return outbox.dispatch_due(sender_for(current_app.config), batch=5000, max_seconds=4)


@job("clock-sweep", 60)
def sweep_clocks():
    """Warn clocks about to run out and escalate overdue ones."""
    return escalation.sweep()


@job("webhook-dispatch", 5)
def dispatch_webhooks():
    """Deliver due outbound webhooks (signed JSON POSTs), with retries."""
    return outbound_webhooks.dispatch_due()
