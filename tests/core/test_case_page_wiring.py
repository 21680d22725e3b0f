"""The pieces features provide appear on the case page for the roles that use them."""

from hotline import tickets
from hotline.extensions import db
from hotline.models import Role, TicketKind, TicketStatus


def test_the_case_page_carries_clocks_forwarding_referral_and_appeal(client, make_user, login, create_ticket):
    login(make_user(role=Role.SUPERVISOR))
    fresh = create_ticket(kind=TicketKind.COMPLAINT)
    page = client.get(f"/tickets/{fresh.number}").get_data(as_text=True)
    assert 'id="refer-link"' in page and 'id="open-intake-form"' in page

    done = create_ticket(kind=TicketKind.COMPLAINT)
    for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        tickets.change_status(done, status)
    db.session.commit()
    page = client.get(f"/tickets/{done.number}").get_data(as_text=True)
    assert 'data-testid="appeal-panel"' in page and 'id="refer-link"' not in page


def test_the_intake_form_offers_the_suggested_referral_first(client, make_user, login, create_ticket):
    from hotline.seeds import seed_reference_data

    seed_reference_data()
    db.session.commit()
    login(make_user(role=Role.OPERATOR))
    ticket = create_ticket(kind=TicketKind.UNKNOWN, facts="工资被拖欠了三个月，老板不给")
    page = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    assert "suggested=12333" in page
