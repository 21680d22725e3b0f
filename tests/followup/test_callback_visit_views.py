"""The callback list, the visit page, the call placed from it and the voice survey at its end."""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.extensions import db
from hotline.models import (
    Contact,
    Direction,
    FollowUp,
    FollowUpStatus,
    Role,
    Survey,
    TicketEvent,
    TicketStatus,
)
from hotline.telephony.callcontrol import SandboxCallControl
from hotline.timeutil import clock_at

EN = {"Accept-Language": "en"}
OPERATOR_PHONE = "+8613911112222"


@pytest.fixture
def handled(calendar_2025, create_ticket, local):
    """handled(at) -> a complaint whose result was recorded at a local wall-clock moment."""

    def make(at=(2025, 9, 30, 15, 0), phone="+8613800138000"):
        with clock_at(local(*at)):
            ticket = create_ticket(phone=phone, facts="空调不制冷")
            for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS,
                           TicketStatus.RESOLVED):
                tickets.change_status(ticket, status)
            db.session.commit()
        return ticket

    return make


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR, phone=OPERATOR_PHONE)
    login(user)
    return user


def visit_of(ticket):
    return db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id))


def text(response):
    return response.get_data(as_text=True)


def twiml_of(response):
    return ET.fromstring(response.data)  # noqa: S314 (our own TwiML)


@pytest.mark.parametrize("role,allowed", [
    (Role.OPERATOR, True), (Role.SUPERVISOR, True), (Role.DEPARTMENT, False), (Role.ADMIN, False),
])
def test_who_works_the_callback_list(client, make_user, login, handled, role, allowed):
    visit = visit_of(handled())
    login(make_user(role))
    for path in ("/followup/callbacks/", f"/followup/callbacks/{visit.id}"):
        assert client.get(path).status_code == (200 if allowed else 403)
    assert client.post(f"/followup/callbacks/{visit.id}/outcome", data={"outcome": "satisfied"}).status_code in (
        (302,) if allowed else (403,))


def test_the_list_shows_visits_due_now_then_today_then_later(client, operator, handled, local):
    early, today, later = handled(at=(2025, 9, 29, 9, 0)), handled(at=(2025, 9, 30, 16, 0)), handled()
    with clock_at(local(2025, 10, 11, 10, 0)):  # 3 working days after 09-30 is Saturday 10-11
        later_visit = visit_of(later)
        later_visit.due_at = local(2025, 10, 13, 9, 0)
        db.session.commit()
        page = text(client.get("/followup/callbacks/", headers=EN))
    now_part, rest = page.split('id="callbacks-today"')
    today_part, later_part = rest.split('id="callbacks-later"')
    assert early.number in now_part and today.number in today_part and later.number in later_part


def test_the_visit_page_masks_the_number_and_the_case_page_links_to_it(client, operator, handled):
    ticket = handled()
    visit = visit_of(ticket)
    page = text(client.get(f"/followup/callbacks/{visit.id}", headers=EN))
    assert "138****8000" in page and "+8613800138000" not in page and "Call the complainant" in page
    case_page = text(client.get(f"/tickets/{ticket.number}", headers=EN))
    assert 'id="case-callback"' in case_page and f"/followup/callbacks/{visit.id}" in case_page


def test_placing_the_call_records_an_attempt_with_an_outbound_contact(client, operator, handled):
    ticket = handled()
    visit = visit_of(ticket)
    response = client.post(f"/followup/callbacks/{visit.id}/call", headers=EN, follow_redirects=True)
    assert "Calling the complainant" in text(response)
    db.session.expire_all()
    [attempt] = visit_of(ticket).attempts_made
    contact = attempt.contact
    assert (contact.direction, contact.to_number, contact.ticket_id) == (Direction.OUTBOUND, "+8613800138000", ticket.id)
    assert attempt.user_id == operator.id and attempt.outcome is None
    placed = SandboxCallControl.performed[-1]
    assert placed["call"] == contact.sid
    assert placed["create"]["url"] == f"http://hotline.test/twilio/callbacks/{contact.id}/connect"

    client.post(f"/followup/callbacks/{visit.id}/outcome", data={"outcome": "not_reached", "note": "关机"})
    db.session.expire_all()
    visit = visit_of(ticket)
    assert [(a.contact_id, a.outcome) for a in visit.attempts_made] == [(contact.id, "not_reached")]
    assert visit.attempts == 1 and visit.status == FollowUpStatus.SCHEDULED


def test_the_call_needs_the_operators_phone(client, make_user, login, handled):
    visit = visit_of(handled())
    login(make_user(Role.OPERATOR))
    response = client.post(f"/followup/callbacks/{visit.id}/call", headers=EN, follow_redirects=True)
    assert "could not be placed" in text(response)
    assert db.session.scalars(select(Contact).where(Contact.direction == Direction.OUTBOUND)).all() == []


def test_the_connect_twiml_tells_the_case_and_dials_the_operator(client, operator, handled, twilio_post):
    ticket = handled()
    client.post(f"/followup/callbacks/{visit_of(ticket).id}/call")
    contact = db.session.scalar(select(Contact).where(Contact.direction == Direction.OUTBOUND))
    root = twiml_of(twilio_post(f"/twilio/callbacks/{contact.id}/connect", {"CallSid": contact.sid}))
    assert ticket.number in root.find("Say").text
    assert root.find("Dial").text.strip() == OPERATOR_PHONE
    assert twilio_post(f"/twilio/callbacks/{contact.id}/connect", {}, signature="bad").status_code == 403


def test_satisfied_closes_the_case(client, operator, handled):
    ticket = handled()
    response = client.post(f"/followup/callbacks/{visit_of(ticket).id}/outcome", headers=EN,
                           data={"outcome": "satisfied", "note": "已退款"}, follow_redirects=True)
    assert "Outcome recorded" in text(response)
    db.session.expire_all()
    assert visit_of(ticket).status == FollowUpStatus.DONE
    assert tickets_status(ticket) == TicketStatus.CLOSED


def tickets_status(ticket):
    db.session.expire_all()
    return db.session.get(type(ticket), ticket.id).status


def test_unsatisfied_offers_the_appeal_and_the_appeal_reopens_the_case(client, operator, handled):
    ticket = handled()
    visit = visit_of(ticket)
    client.post(f"/followup/callbacks/{visit.id}/outcome", data={"outcome": "unsatisfied", "note": "只退一半"})
    page = text(client.get(f"/followup/callbacks/{visit.id}", headers=EN))
    assert 'id="visit-appeal-offer"' in page and f"/referrals/tickets/{ticket.number}/appeal" in page
    assert tickets_status(ticket) == TicketStatus.RESOLVED

    client.post(f"/referrals/tickets/{ticket.number}/appeal",
                data={"reason": "只退了一半", "channel": "callback", "target": "supervisor"})
    assert tickets_status(ticket) == TicketStatus.ACCEPTED
    assert 'id="visit-appeal-offer"' not in text(client.get(f"/followup/callbacks/{visit.id}"))


def test_a_missing_outcome_is_refused(client, operator, handled):
    visit = visit_of(handled())
    assert client.post(f"/followup/callbacks/{visit.id}/outcome", data={"note": "x"}).status_code == 400
    db.session.expire_all()
    assert visit_of(visit.ticket).attempts == 0


def survey_twiml(twilio_post, contact, digits=None, retry=False):
    query = "?retry=1" if retry else ""
    params = {"CallSid": contact.sid, **({"Digits": digits} if digits is not None else {})}
    return twiml_of(twilio_post(f"/twilio/callbacks/{contact.id}/survey-answer{query}", params))


def test_the_voice_survey_at_the_end_of_the_visit_records_the_digit(client, operator, handled, twilio_post):
    ticket = handled()
    visit = visit_of(ticket)
    client.post(f"/followup/callbacks/{visit.id}/call")
    client.post(f"/followup/callbacks/{visit.id}/outcome", data={"outcome": "satisfied"})
    contact = db.session.scalar(select(Contact).where(Contact.direction == Direction.OUTBOUND))

    response = client.post(f"/followup/callbacks/{visit.id}/survey", headers=EN, follow_redirects=True)
    assert "hears the survey" in text(response)
    assert SandboxCallControl.performed[-1] == {
        "call": contact.sid,
        "update": {"url": f"http://hotline.test/twilio/callbacks/{contact.id}/survey", "method": "POST"}}

    gather = twiml_of(twilio_post(f"/twilio/callbacks/{contact.id}/survey", {"CallSid": contact.sid}))
    assert gather.find("Gather").get("numDigits") == "1"
    assert survey_twiml(twilio_post, contact, "9").find("Gather") is not None  # asked once more
    assert survey_twiml(twilio_post, contact, "4").find("Hangup") is not None
    survey_twiml(twilio_post, contact, "4")  # Twilio's retry: no second answer
    db.session.expire_all()
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    assert (survey.score, survey.channel, survey.taken_by_id) == (4, "voice", operator.id)
    answers = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                           TicketEvent.type == "survey_answered")).all()
    assert len(answers) == 1


def test_no_digit_twice_ends_the_survey_without_a_score(client, operator, handled, twilio_post):
    ticket = handled()
    client.post(f"/followup/callbacks/{visit_of(ticket).id}/call")
    contact = db.session.scalar(select(Contact).where(Contact.direction == Direction.OUTBOUND))
    assert survey_twiml(twilio_post, contact, "", retry=True).find("Hangup") is not None
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    assert survey is None or survey.score is None

