"""Callback visits (回访): scheduled when a case is handled, worked from a list by operators.

Being written this session (issue 6); the hook below is registered by create_app.
"""


def on_status_changed(ticket, from_status, to_status, actor):
    """ticket_status_hooks entry: schedule the callback visit when a case is handled."""
