"""Pages: survey answers for supervisors, and the survey panel on the case page."""

from datetime import datetime
from html.parser import HTMLParser

import pytest
from freezegun import freeze_time

from followup import surveys
from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Role, Survey, SurveyStatus, TicketKind, TicketStatus

EN = {"Accept-Language": "en"}


class Tagged(HTMLParser):
    """The attributes of elements with a given data-testid, or id."""

    def __init__(self, testid=None, id_=None):
        super().__init__()
        self.testid, self.id, self.rows = testid, id_, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (self.testid and attrs.get("data-testid") == self.testid) or (self.id and attrs.get("id") == self.id):
            self.rows.append(attrs)


def tagged(html, testid=None, id_=None):
    parser = Tagged(testid, id_)
    parser.feed(html)
    return parser.rows


def consultation(phone="+8613800138000"):
    ticket = tickets.open_ticket(Channel.VOICE, caller=tickets.find_or_create_caller(phone),
                                 kind=TicketKind.CONSULTATION)
    tickets.change_status(ticket, TicketStatus.ANSWERED)
    db.session.commit()
    return ticket


@pytest.fixture
def answered(app):
    """Three surveys: scored 5 (oldest), 2 (newest), and one sent and unanswered."""
    made = {}
    for moment, name, score in (("2025-06-10 02:00", "five", 5), ("2025-06-10 04:00", "two", 2),
                                ("2025-06-10 03:00", "open", None)):
        with freeze_time(moment):
            ticket = consultation()
            if score:
                surveys.record_answer(ticket, score, comment=f"comment {name}")
            else:
                surveys.send(surveys.survey_of(ticket))
            db.session.commit()
            made[name] = ticket
    return made


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.ADMIN])
def test_survey_answers_are_for_supervisors(client, login, make_user, role):
    assert client.get("/followup/surveys").status_code == 302  # to the login page
    login(make_user(role))
    assert client.get("/followup/surveys").status_code == 403


def test_supervisors_see_answers_newest_first_with_the_case_link(client, login, make_user, answered):
    login(make_user(Role.SUPERVISOR))
    page = client.get("/followup/surveys", headers=EN).get_data(as_text=True)
    rows = tagged(page, "survey")
    assert [(r["data-case"], r["data-score"]) for r in rows] == [
        (answered["two"].number, "2"), (answered["open"].number, ""), (answered["five"].number, "5")]
    assert f"/tickets/{answered['two'].number}" in page
    assert "comment two" in page
    assert "Satisfied (4 or 5): 50.0% (1 of 2 answers)" in page
    # Three surveys went out and two were answered: the rate counts the one still waiting too,
    # as the follow-up report does.
    assert "Response rate: 66.7% (2 answered of 3 sent)" in page


def test_supervisors_filter_by_status_and_score(client, login, make_user, answered):
    login(make_user(Role.SUPERVISOR))
    by_score = tagged(client.get("/followup/surveys?score=2").get_data(as_text=True), "survey")
    assert [r["data-case"] for r in by_score] == [answered["two"].number]
    by_status = tagged(client.get("/followup/surveys?status=sent").get_data(as_text=True), "survey")
    assert [r["data-case"] for r in by_status] == [answered["open"].number]
    # Nonsense filters are ignored, not errors.
    assert len(tagged(client.get("/followup/surveys?status=x&score=9").get_data(as_text=True), "survey")) == 3


def test_the_case_page_shows_the_survey_score_and_comment(client, login, make_user, answered):
    login(make_user(Role.OPERATOR))
    ticket = answered["two"]
    page = client.get(f"/tickets/{ticket.number}", headers=EN).get_data(as_text=True)
    (panel,) = tagged(page, id_="case-survey")
    assert (panel["data-status"], panel["data-score"]) == ("answered", "2")
    assert "Score: 2 of 5" in page and "comment two" in page


def test_the_case_page_has_no_survey_panel_without_a_survey(client, login, make_user, app):
    ticket = tickets.open_ticket(Channel.VOICE, caller=None, kind=TicketKind.CONSULTATION)
    db.session.commit()
    login(make_user(Role.OPERATOR))
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert tagged(page, id_="case-survey") == []
    assert db.session.query(Survey).count() == 0


def test_the_panel_shows_a_survey_waiting_to_be_answered(client, login, make_user, answered):
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/tickets/{answered['open'].number}", headers=EN).get_data(as_text=True)
    (panel,) = tagged(page, id_="case-survey")
    assert panel["data-status"] == SurveyStatus.SENT.value and "Sent, no reply yet" in page
    assert datetime(2025, 6, 10, 3, 0) == surveys.survey_of(answered["open"]).sent_at
