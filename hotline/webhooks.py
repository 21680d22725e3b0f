"""Outbound webhooks: signed JSON POSTs about cases, delivered through the outbox.

Being written this session (issue 9); the hooks below are registered by create_app.
"""


def on_ticket_created(ticket, actor):
    """ticket_created_hooks entry."""


def on_status_changed(ticket, from_status, to_status, actor):
    """ticket_status_hooks entry."""


def on_survey_answered(survey):
    """Called by followup.surveys when a survey gets its score."""


def dispatch_due(now=None, batch=100):
    """Deliver due webhook rows of the outbox; returns counts by outcome."""
    return {}
