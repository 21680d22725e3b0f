"""Issue 15.2: save at any time. While the caller talks the operator keeps what is known; the
case is a record at once, says what acceptance still needs (form, case page, lists), and only
accepting demands completeness. A case still being taken saves without a confirmation step."""

import re

from hotline.extensions import db
from hotline.models import Ticket, TicketEvent, TicketKind, TicketStatus
from tests.intake.form.helpers import COMPLAINT, post_form


def reload(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def text(response):
    return response.get_data(as_text=True)


def test_a_half_taken_complaint_is_kept_and_says_what_is_missing(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, kind="complaint", facts="冰箱买了三天就不制冷", respondent_name="")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/intake/tickets/{ticket.number}")  # back to the form
    saved = reload(ticket)
    assert saved.kind == TicketKind.COMPLAINT and saved.facts == "冰箱买了三天就不制冷"
    assert saved.status == TicketStatus.NEW
    form_page = text(client.get(response.headers["Location"], headers={"Accept-Language": "en"}))
    assert "Still needed before it can be accepted" in form_page and "Respondent" in form_page
    # Acceptance is where completeness is demanded: the case page says so and refuses.
    case_page = text(client.get(f"/tickets/{ticket.number}", headers={"Accept-Language": "en"}))
    assert "Cannot accept yet" in case_page


def test_back_on_the_form_the_cursor_goes_to_what_acceptance_still_needs(client, operator, call_ticket):
    """intake_form.js focuses the first input data-needed names (not the first empty, often optional, one)."""
    ticket = call_ticket(operator)
    saved = post_form(client, ticket, **{**COMPLAINT, "demand": "", "category_group": "services", "category": "S04"})
    assert saved.status_code == 302
    page = text(client.get(f"/intake/tickets/{ticket.number}"))
    assert re.search(r'data-needed="([^"]*)"', page).group(1) == "demand q_operator_first"  # telecom: its question


def test_a_kept_incomplete_case_is_marked_on_the_lists(client, operator, call_ticket):
    ticket = call_ticket(operator)
    post_form(client, ticket, kind="complaint", facts="冰箱不制冷")
    listed = text(client.get("/search", query_string={"q": ticket.number}, headers={"Accept-Language": "en"}))
    assert 'data-testid="incomplete"' in listed and "Incomplete" in listed


def test_a_save_without_a_kind_keeps_the_notes(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, kind="", facts="来电人说稍后补充购买凭证", respondent_name="某电器城")
    assert response.status_code == 302
    saved = reload(ticket)
    assert saved.facts == "来电人说稍后补充购买凭证" and saved.respondent_name == "某电器城"
    assert saved.kind == TicketKind.UNKNOWN


def test_saving_again_while_taking_the_case_asks_no_confirmation(client, operator, call_ticket):
    ticket = call_ticket(operator)
    post_form(client, ticket, kind="complaint", facts="冰箱不制冷")
    response = post_form(client, reload(ticket), **COMPLAINT)
    assert response.status_code == 302  # saved, not "confirm 16 changes"
    assert response.headers["Location"].endswith(f"/tickets/{ticket.number}")  # complete: the case page
    assert reload(ticket).respondent_name == COMPLAINT["respondent_name"]


def test_a_bad_value_is_still_refused_and_nothing_is_written(client, operator, call_ticket):
    ticket = call_ticket(operator)
    before = db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count()
    response = post_form(client, ticket, kind="complaint", facts="冰箱不制冷", amount="十二元")
    assert response.status_code == 400
    assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count() == before
    assert reload(ticket).kind == TicketKind.UNKNOWN


def test_a_consultation_still_needs_its_answer(client, operator, call_ticket):
    ticket = call_ticket(operator)
    response = post_form(client, ticket, kind="consultation", facts="问三包期多久", answer="")
    assert response.status_code == 400
    assert reload(ticket).status == TicketStatus.NEW


# ---- issue 15.1: a connected call opens the form of its case ---------------------------------

def test_a_connected_call_on_a_new_case_pops_its_intake_form(client, operator, call_ticket):
    ticket = call_ticket(operator, ended=False)
    popped = client.get("/queue/current-call").json["call"]
    assert popped["url"] == f"/intake/tickets/{ticket.number}"


def test_a_consultation_chosen_in_the_voice_menu_pops_its_intake_form_too(client, operator, call_ticket):
    """The caller pressed 3: the answer is typed on the form, so that is where the call lands."""
    ticket = call_ticket(operator, ended=False)
    ticket.kind = TicketKind.CONSULTATION
    db.session.commit()
    assert client.get("/queue/current-call").json["call"]["url"] == f"/intake/tickets/{ticket.number}"
    answered = post_form(client, reload(ticket), kind="consultation", facts="问三包期多久", answer="一般一年")
    assert answered.status_code == 302 and reload(ticket).status == TicketStatus.ANSWERED
    assert client.get("/queue/current-call").json["call"]["url"] == f"/tickets/{ticket.number}"


def test_a_call_on_a_case_past_intake_pops_the_case_page(client, operator, call_ticket):
    from intake.decisions import accept_ticket

    ticket = call_ticket(operator, ended=False)
    post_form(client, ticket, **COMPLAINT)
    accept_ticket(reload(ticket), operator)
    db.session.commit()
    assert client.get("/queue/current-call").json["call"]["url"] == f"/tickets/{ticket.number}"


def test_an_accepted_case_is_not_saved_incomplete(client, operator, call_ticket):
    """Incomplete is for a case still being taken; once accepted (a department may have it), a
    save that empties what acceptance needed is refused, the case as it was."""
    from hotline import tickets

    ticket = call_ticket(operator)
    assert post_form(client, ticket, **COMPLAINT).status_code == 302
    saved = reload(ticket)
    tickets.change_status(saved, TicketStatus.ACCEPTED)
    db.session.commit()
    response = post_form(client, reload(ticket), **dict(COMPLAINT, demand="", confirm="y"))
    assert response.status_code == 400
    assert reload(ticket).demand == COMPLAINT["demand"]
