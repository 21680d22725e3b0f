"""Satisfaction surveys by SMS (and by voice at the end of a callback visit).

Being written this session (issue 6); the hooks below are registered by create_app.
"""


def on_status_changed(ticket, from_status, to_status, actor):
    """ticket_status_hooks entry: a survey for a case that got its result, referral or answer."""


def sms_survey_hook(contact):
    """sms_message_hooks entry: the case a survey reply answered, or None."""
    return None
