"""The kind the caller keys in the voice menu (2: report) opens the case with that kind, and the
intake form's suggestion does not take it back: it names the caller's key as the kind, and
applying it leaves the kind as the operator has it. The operator may still change it."""

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Contact, Role, Ticket, TicketKind
from hotline.seeds import seed_categories
from intake import services as intake_services

COMPLAINT_WORDS = "我买的冰箱坏了商家不给退货"  # the classifier reads a complaint here


@pytest.fixture
def keyed_case(app, phone, call_clock, make_user, login):
    """A call whose caller pressed `key`; an operator (Chinese screen) signed in."""
    seed_categories()
    db.session.commit()
    login(make_user(role=Role.OPERATOR))

    def call(key):
        caller = phone()
        caller.call()
        caller.press(key)
        return db.session.scalar(select(Contact).where(Contact.sid == caller.sid)).ticket

    return call


def suggestion_panel(client, ticket, facts=COMPLAINT_WORDS):
    return client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": facts}).get_data(as_text=True)


def selected_kind(html):
    select_ = re.search(r'<select[^>]*name="kind".*?</select>', html, re.S).group(0)
    return re.search(r'<option selected value="(\w*)"', select_).group(1)


def test_key_2_opens_a_report_the_suggestion_keeps(client, keyed_case):
    ticket = keyed_case("2")
    assert ticket.kind == TicketKind.REPORT
    assert selected_kind(client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)) == "report"

    panel = suggestion_panel(client, ticket)
    assert re.search(r'<span class="suggested-kind">举报</span>', panel)
    assert "来电人按键选择" in panel
    apply = re.search(r'name="apply_suggestion" value="([^"]*)"', panel).group(1)
    assert apply.startswith("|") and apply != "||"  # category and problem type, not the kind
    assert 'data-kind=""' in panel

    # Applied without JavaScript: the form comes back a report, with the suggested category.
    back = client.post(f"/intake/tickets/{ticket.number}", data={
        "version": str(ticket.version), "seen_event": str(intake_services.last_event_id(ticket)),
        "kind": "report", "facts": COMPLAINT_WORDS, "apply_suggestion": apply}).get_data(as_text=True)
    assert selected_kind(back) == "report"


def test_the_operator_may_still_change_the_keyed_kind(client, keyed_case):
    ticket = keyed_case("2")
    response = client.post(f"/intake/tickets/{ticket.number}", data={
        "version": str(ticket.version), "seen_event": str(intake_services.last_event_id(ticket)),
        "kind": "complaint", "facts": COMPLAINT_WORDS})
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).kind == TicketKind.COMPLAINT


def test_without_a_key_the_suggestion_names_and_applies_its_kind(client, keyed_case):
    ticket = keyed_case("")  # keyed nothing: asked again
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.kind == TicketKind.UNKNOWN
    panel = suggestion_panel(client, ticket)
    assert re.search(r'<span class="suggested-kind">投诉</span>', panel)
    assert 'data-kind="complaint"' in panel
    assert "来电人按键选择" not in panel
