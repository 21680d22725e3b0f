"""The scheduler's jobs. Each calls services; none touches a view."""

from flask import current_app

from followup import escalation
from followup.scheduler import job
from hotline import outbox
from hotline.telephony.senders import sender_for


@job("outbox-dispatch", 5)
def dispatch_outbox():
    """Send the due SMS (Twilio, or the sandbox without an account)."""
    return outbox.dispatch_due(sender_for(current_app.config))


@job("clock-sweep", 60)
def sweep_clocks():
    """Warn clocks about to run out and escalate overdue ones."""
    return escalation.sweep()
