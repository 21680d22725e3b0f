"""The department's case page names a report's business the reported party (被举报方)."""

import re

import pytest

from hotline.models import TicketKind
from tests.routing.desk_helpers import put_on_desk


@pytest.mark.parametrize(("kind", "label"), [(TicketKind.REPORT, "被举报方"), (TicketKind.COMPLAINT, "被投诉/举报方")])
def test_the_desk_case_names_the_business_by_the_kind(client, staff, dept, create_ticket, kind, label):
    ticket = put_on_desk(create_ticket(kind=kind, respondent_name="某某食品店"), dept)
    html = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    dt = re.search(r"<dt>([^<]*)</dt>\s*<dd id=\"desk-respondent\">", html).group(1)
    assert dt == label
