"""A report's business is the reported party (被举报方), a complaint's the respondent: the intake
form and the case page name it by the case's kind."""

import re

import pytest

from hotline.extensions import db
from hotline.models import Role, TicketKind


def shown_label(html, field):
    """The visible text of the label for `field`: its spans not marked hidden."""
    label = re.search(rf'<label for="{field}">(.*?)</label>', html, re.S).group(1)
    spans = re.findall(r"<span data-party-label=\"(\w+)\"( hidden)?>(.*?)</span>", label)
    assert {kind for kind, _, _ in spans} == {"report", "other"}  # both, for the kind select to swap
    return [text for _, hidden, text in spans if not hidden]


@pytest.fixture
def zh_operator(intake_world, make_user, login):
    user = make_user(role=Role.OPERATOR)  # Chinese, the default
    login(user)
    return user


@pytest.mark.parametrize(("kind", "name", "address"), [
    (TicketKind.REPORT, "被举报方（经营者）", "被举报方地址"),
    (TicketKind.COMPLAINT, "被投诉方（经营者）", "被投诉方地址"),
])
def test_the_form_names_the_business_by_the_kind(client, zh_operator, create_ticket, kind, name, address):
    ticket = create_ticket(kind=kind, respondent_name="某某食品店")
    html = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    assert shown_label(html, "respondent_name") == [name]
    assert shown_label(html, "respondent_address") == [address]


def test_the_form_in_english(client, zh_operator, create_ticket):
    zh_operator.locale = "en"
    db.session.commit()
    ticket = create_ticket(kind=TicketKind.REPORT)
    html = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    assert shown_label(html, "respondent_name") == ["Reported party (business)"]


def test_a_case_not_yet_classified_says_respondent(client, zh_operator, create_ticket):
    ticket = create_ticket(kind=TicketKind.UNKNOWN)
    html = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    assert shown_label(html, "respondent_name") == ["被投诉方（经营者）"]


@pytest.mark.parametrize(("kind", "label"), [(TicketKind.REPORT, "被举报方"), (TicketKind.COMPLAINT, "被投诉/举报方")])
def test_the_case_page_names_the_business_by_the_kind(client, zh_operator, create_ticket, kind, label):
    ticket = create_ticket(kind=kind, respondent_name="某某食品店")
    html = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    dt = re.search(r"<dt>([^<]*)</dt>\s*<dd id=\"ticket-respondent\">", html).group(1)
    assert dt == label
