"""Helpers shared by the desk tests: cases on a department's desk and reading pages."""

from datetime import date, timedelta
from html.parser import HTMLParser

from hotline import tickets
from hotline.extensions import db
from hotline.models import TicketStatus
from hotline.timeutil import now
from tests.conftest import new_department as add_department  # noqa: F401  (the desk tests' name)

PATH_TO = {
    TicketStatus.ACCEPTED: [TicketStatus.ACCEPTED],
    TicketStatus.FORWARDED: [TicketStatus.ACCEPTED, TicketStatus.FORWARDED],
    TicketStatus.IN_PROGRESS: [TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS],
}


def put_on_desk(ticket, department, status=TicketStatus.FORWARDED):
    """Walk a new case along its lifecycle to `status` at `department`, as triage would."""
    for step in PATH_TO[status]:
        tickets.change_status(ticket, step)
    ticket.department, ticket.forwarded_at, ticket.accepted_at = department, now(), now()
    db.session.commit()
    return ticket


def came_in_days_ago(ticket, days):
    """Backdate the case's arrival by `days`; returns yesterday's date (ISO), a day a step may have."""
    ticket.created_at = now() - timedelta(days=days)
    db.session.commit()
    return (date.today() - timedelta(days=1)).isoformat()


VOID = frozenset({"br", "input", "img", "hr", "meta", "link"})


class _Collector(HTMLParser):
    """Text of every element carrying a given attribute value (e.g. data-testid="desk-link")."""

    def __init__(self, attr, value):
        super().__init__()
        self.attr, self.value, self.found, self._depth = attr, value, [], 0

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if self._depth:
            self._depth += 1
        elif dict(attrs).get(self.attr) == self.value:
            self._depth = 1
            self.found.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.found[-1] += data


def texts(response, value, attr="data-testid"):
    """Stripped texts of the page's elements whose `attr` is `value`."""
    parser = _Collector(attr, value)
    parser.feed(response.get_data(as_text=True))
    return [" ".join(text.split()) for text in parser.found]
