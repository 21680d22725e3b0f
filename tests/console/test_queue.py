"""The live queue panel and the call pop."""

from hotline import tickets
from hotline.extensions import db
from hotline.models import Channel, Role, TicketStatus


def test_queue_panel_lists_waiting_calls_and_new_sms_cases_only(client, signed_in, make_call, create_ticket):
    operator = signed_in(Role.OPERATOR)
    waiting = make_call(phone="+8613811112222", waited=42, menu_choice="1")
    waiting.caller.name = "陈女士"
    make_call(phone="+8613933334444", state="answered", operator=operator)
    make_call(phone="+8613955556666", state="abandoned")
    sms = create_ticket(phone="+8613777778888", channel=Channel.SMS, summary="快递丢件")
    taken = create_ticket(phone="+8613700009999", channel=Channel.SMS, summary="已受理短信")
    tickets.change_status(taken, TicketStatus.ACCEPTED)
    db.session.commit()
    create_ticket(phone="+8613600001111", channel=Channel.VOICE, summary="电话工单")

    html = client.get("/queue/panel").get_data(as_text=True)

    assert html.count('data-testid="waiting-call"') == 1
    assert "138****2222" in html and "陈女士" in html
    assert "0:4" in html  # waited about 42 s, shown as 0:42 or 0:43
    assert "139****4444" not in html and "139****6666" not in html
    assert html.count('data-testid="sms-ticket"') == 1
    assert sms.number in html and "快递丢件" in html
    assert "已受理短信" not in html and "电话工单" not in html
    assert "+8613811112222" not in html  # masked only


def test_queue_page_embeds_the_panel_and_its_poll_url(client, signed_in, make_call):
    signed_in(Role.SUPERVISOR)
    make_call(phone="+8613811112222")
    html = client.get("/").get_data(as_text=True)
    assert 'data-poll-url="/queue/panel"' in html
    assert "138****2222" in html
    assert "console.js" in html


def test_department_users_get_their_worklist_not_the_queue(client, signed_in, make_call):
    signed_in(Role.DEPARTMENT)
    make_call(phone="+8613811112222")
    assert "138****2222" not in client.get("/").get_data(as_text=True)
    assert client.get("/queue/panel").status_code == 403


def test_call_pop_reports_the_operators_connected_call(app, client, signed_in, make_call, create_ticket, make_user):
    operator = signed_in(Role.OPERATOR)
    other = make_user(role=Role.OPERATOR)
    mine = create_ticket(phone="+8613811112222")
    theirs = create_ticket(phone="+8613933334444")
    assert client.get("/queue/current-call").get_json()["call"] is None

    make_call(phone="+8613933334444", state="answered", operator=other, ticket=theirs)
    make_call(phone="+8613811112222", state="ended", operator=operator, ticket=theirs)
    assert client.get("/queue/current-call").get_json()["call"] is None

    call = make_call(phone="+8613811112222", state="answered", operator=operator, ticket=mine)
    data = client.get("/queue/current-call").get_json()
    # A case still being taken opens on its intake form (issue 15.1).
    assert data["call"] == {"id": call.id, "ticket": mine.number, "url": f"/intake/tickets/{mine.number}"}


def test_call_pop_ignores_a_connected_call_without_a_case(client, signed_in, make_call):
    operator = signed_in(Role.OPERATOR)
    make_call(state="answered", operator=operator)
    assert client.get("/queue/current-call").get_json()["call"] is None


def test_availability_is_stored_and_needs_a_valid_choice(client, signed_in, app):
    operator = signed_in(Role.OPERATOR)
    response = client.post("/availability", data={"availability": "available", "next": "/my"})
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    assert operator.availability.value == "available"
    assert client.post("/availability", data={"availability": "asleep"}).status_code == 400
    response = client.post("/availability", data={"availability": "busy", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_admins_cannot_set_availability(client, signed_in):
    signed_in(Role.ADMIN)
    assert client.post("/availability", data={"availability": "available"}).status_code == 403


def test_console_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_call_ringing_an_operator_shows_who_and_offers_no_answer_button(client, signed_in, make_call, make_user):
    signed_in(Role.OPERATOR)
    colleague = make_user(role=Role.OPERATOR, username="li")
    make_call(phone="+8613811112222", answered_by=colleague)
    make_call(phone="+8613933334444")
    html = client.get("/queue/panel").get_data(as_text=True)
    assert html.count('data-testid="waiting-call"') == 2
    assert html.count('data-testid="call-ringing"') == 1 and "li" in html
    assert html.count('data-testid="answer-call"') == 1


def test_an_administrator_sees_how_long_the_queue_is_not_who_is_in_it(client, signed_in, make_call, create_ticket):
    """Who calls and what they texted are the identity rule's (hotline.access): an administrator
    may not know who filed a case, so the queue shows them counts and waits only."""
    waiting = make_call(phone="+8613811112222", menu_choice="1")
    waiting.caller.name = "陈女士"
    create_ticket(phone="+8613777778888", channel=Channel.SMS, summary="我是王五，快递丢件")
    db.session.commit()
    people = ("138****2222", "陈女士", "137****8888", "王五")

    signed_in(Role.ADMIN)
    for html in (client.get("/queue/panel").get_data(as_text=True), client.get("/").get_data(as_text=True)):
        assert html.count('data-testid="waiting-call"') == 1 and html.count('data-testid="sms-ticket"') == 1
        assert not [shown for shown in people if shown in html]

    client.post("/logout")
    signed_in(Role.OPERATOR)
    html = client.get("/queue/panel").get_data(as_text=True)
    assert all(shown in html for shown in people)
