"""Referring an out-of-scope case: the page an operator reads from, the SMS, the clocks,
and moving a caller who is on the line to the other agency."""

import secrets
import xml.etree.ElementTree as ET

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from hotline import accounts, tickets
from hotline.extensions import db
from hotline.models import (
    Channel,
    ClockKind,
    ClockState,
    Contact,
    Direction,
    OutboxMessage,
    OutboxStatus,
    Role,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.telephony.callcontrol import SandboxCallControl, TwilioCallControl
from hotline.timeutil import now
from routing import referral_views, referrals
from tests.conftest import PASSWORD


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR)
    login(user)
    return user


def _outbox(ticket):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()


def _events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ).all()


def _live_call(ticket):
    contact = Contact(sid="CA" + secrets.token_hex(16), channel=Channel.VOICE, direction=Direction.INBOUND,
                      ticket=ticket, caller=ticket.caller, from_number=ticket.caller.phone,
                      queued_at=now(), answered_at=now())
    db.session.add(contact)
    db.session.commit()
    return contact


def _entry_keys(html):
    return [line.split('data-key="')[1].split('"')[0]
            for line in html.splitlines() if 'data-testid="referral-entry"' in line]


# --- referring -------------------------------------------------------------------------


def test_operator_refers_a_new_case_the_caller_gets_the_sms_and_clocks_fall_away(
    client, operator, directory, create_ticket
):
    ticket = create_ticket(facts="银行信用卡乱收年费")
    clock = referrals.clocks.start_clock(ticket, ClockKind.ACCEPT)
    db.session.commit()

    response = client.post(f"/referrals/tickets/{ticket.number}",
                           data={"entry": "12378", "note": "银行业务，不属于市场监管"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket.number}")
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REFERRED
    assert ticket.referral.key == "12378"
    assert ticket.closed_at is not None
    [event] = _events(ticket, "referred")
    assert "12378" in event.to_value and event.data["key"] == "12378"
    assert event.reason == "银行业务，不属于市场监管" and event.actor_id == operator.id
    [sms] = _outbox(ticket)
    assert sms.to == "+8613800138000" and sms.purpose == "referral"
    assert ticket.number in sms.body and "12378" in sms.body
    assert sms.body == directory["12378"].sms_text.replace("{number}", ticket.number)
    db.session.refresh(clock)
    assert clock.state == ClockState.CANCELLED


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_confirmation_names_the_agency_in_the_pages_language(client, operator, directory, create_ticket, locale):
    """The flash after a referral read the Chinese agency name on English pages."""
    operator.locale = locale
    db.session.commit()
    ticket = create_ticket(facts="银行信用卡乱收年费")
    page = client.post(f"/referrals/tickets/{ticket.number}", data={"entry": "12378"},
                       follow_redirects=True).get_data(as_text=True)
    entry = directory["12378"]
    assert entry.agency_en and entry.agency_en != entry.agency_zh
    flashed = page.split('class="flash', 1)[1].split("</", 1)[0]
    if locale == "en":
        assert f"Case referred to {entry.agency_en}" in flashed and entry.agency_zh not in flashed
    else:
        assert entry.agency_zh in flashed and entry.agency_en not in flashed


def test_a_complainant_who_wrote_in_is_texted_where_to_go(client, operator, directory, create_ticket):
    """A web or API case has no calling number: the referral text goes to the complainant's own
    number, as every other notice of the case (it used to go nowhere while the page promised it)."""
    ticket = create_ticket(phone=None, channel=Channel.WEB, complainant_phone="+8613600136001",
                           facts="信用卡年费")
    client.post(f"/referrals/tickets/{ticket.number}", data={"entry": "12378"})
    [sms] = _outbox(ticket)
    assert (sms.to, sms.purpose) == ("+8613600136001", "referral") and "12378" in sms.body
    anonymous = create_ticket(phone="+8613800138000", kind=TicketKind.REPORT, anonymous=True, facts="匿名")
    client.post(f"/referrals/tickets/{anonymous.number}", data={"entry": "12378"})
    assert _outbox(anonymous) == []  # an anonymous report keeps nobody to tell


def test_an_accepted_case_can_be_referred_by_the_service(app, directory, create_ticket, make_user):
    user = make_user(Role.SUPERVISOR)
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.ACCEPTED, user)

    referrals.refer(ticket, directory["110"], user)
    db.session.commit()

    assert ticket.status == TicketStatus.REFERRED and ticket.referral_id == directory["110"].id
    assert "110" in _outbox(ticket)[0].body


def test_the_case_number_is_added_when_an_edited_text_forgot_it(app, directory, create_ticket, make_user):
    entry = directory["12366"]
    entry.sms_text = "请拨打 12366 咨询税务问题。"
    ticket = create_ticket()

    referrals.refer(ticket, entry, make_user(Role.OPERATOR))

    assert ticket.number in _outbox(ticket)[0].body


def test_an_opted_out_caller_is_referred_without_a_text(app, directory, create_ticket, make_user):
    ticket = create_ticket()
    ticket.caller.opted_out_at = now()

    referrals.refer(ticket, directory["12345"], make_user(Role.OPERATOR))

    assert ticket.status == TicketStatus.REFERRED
    assert _outbox(ticket)[0].status == OutboxStatus.SUPPRESSED


def test_a_forwarded_case_cannot_be_referred_and_nothing_changes(client, operator, directory, create_ticket):
    ticket = create_ticket()
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    tickets.change_status(ticket, TicketStatus.FORWARDED)
    clock = referrals.clocks.start_clock(ticket, ClockKind.FORWARD)
    db.session.commit()
    events_before = ticket.events.count()

    response = client.post(f"/referrals/tickets/{ticket.number}", data={"entry": "12378"},
                           headers={"Accept-Language": "en"})

    assert response.status_code == 409
    assert "only a new or accepted case can" in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.FORWARDED and ticket.referral_id is None
    assert ticket.events.count() == events_before
    assert _outbox(ticket) == []
    db.session.refresh(clock)
    assert clock.state == ClockState.RUNNING


@pytest.mark.parametrize("key", ["12305", "nope", ""])
def test_an_inactive_unknown_or_missing_entry_is_refused(client, operator, directory, create_ticket, key):
    ticket = create_ticket()

    response = client.post(f"/referrals/tickets/{ticket.number}", data={"entry": key})

    assert response.status_code == 400
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW


def test_the_page_lists_the_suggested_entry_first_with_what_to_say(client, operator, directory, create_ticket):
    ticket = create_ticket()

    page = client.get(f"/referrals/tickets/{ticket.number}?suggested=12333").get_data(as_text=True)

    keys = _entry_keys(page)
    assert keys[0] == "12333"
    assert "12305" not in keys  # inactive entries are not offered
    assert set(keys) == {key for key, entry in directory.items() if entry.active}
    assert directory["12333"].caller_script in page
    assert page.count('data-testid="suggested"') == 1


def test_without_a_query_the_cases_last_suggestion_event_is_used(client, operator, directory, create_ticket):
    ticket = create_ticket()
    tickets.record_event(ticket, "suggestion", data={"referral": {"key": "12300", "score": 3}})
    db.session.commit()

    keys = _entry_keys(client.get(f"/referrals/tickets/{ticket.number}").get_data(as_text=True))

    assert keys[0] == "12300"


def test_a_bad_suggested_key_is_ignored(client, operator, directory, create_ticket):
    ticket = create_ticket()

    response = client.get(f"/referrals/tickets/{ticket.number}?suggested=<script>")

    assert response.status_code == 200
    assert _entry_keys(response.get_data(as_text=True))[0] == "12345"  # directory order
    # Nothing chosen: the cursor is on the first entry, none is checked for the operator.
    assert 'value="12345" autofocus>' in response.get_data(as_text=True)
    assert " checked" not in response.get_data(as_text=True)


def test_department_staff_cannot_refer(client, make_user, login, directory, create_ticket):
    ticket = create_ticket()
    login(make_user(Role.DEPARTMENT))

    assert client.get(f"/referrals/tickets/{ticket.number}").status_code == 403
    assert client.post(f"/referrals/tickets/{ticket.number}", data={"entry": "110"}).status_code == 403


def test_an_unknown_case_is_404(client, operator, directory):
    assert client.get("/referrals/tickets/20990101-00001").status_code == 404


# --- transferring a live call ------------------------------------------------------------


def _twiml(response):
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return ET.fromstring(response.data)  # noqa: S314 (our own TwiML)


def test_transfer_twiml_reads_the_script_then_dials_the_transfer_number(app, twilio_post, directory, create_ticket):
    entry = directory["12378"]
    entry.transfer_number = "+861012378"
    db.session.commit()
    ticket = create_ticket()

    root = _twiml(twilio_post(f"/twilio/referrals/transfer/{ticket.id}/12378", {"CallSid": "CA" + "1" * 32}))

    say, dial = root[0], root[1]
    assert say.tag == "Say" and say.text == entry.caller_script
    assert say.get("language") == "zh-CN" and say.get("voice") == app.config["VOICE_NAME"]
    assert dial.tag == "Dial" and dial.text == "+861012378"
    assert root[-1].tag == "Hangup"


def test_transfer_twiml_dials_the_hotline_when_no_transfer_number_is_set(app, twilio_post, directory, create_ticket):
    ticket = create_ticket()

    root = _twiml(twilio_post(f"/twilio/referrals/transfer/{ticket.id}/12333", {}))

    assert [node.text for node in root.iter("Dial")] == ["12333"]


def test_transfer_twiml_for_an_unknown_entry_apologises_and_hangs_up(app, twilio_post, directory, create_ticket):
    ticket = create_ticket()

    root = _twiml(twilio_post(f"/twilio/referrals/transfer/{ticket.id}/nope", {}))

    assert [node.tag for node in root] == ["Say", "Hangup"]
    assert root.find("Dial") is None


def test_transfer_twiml_refuses_an_unsigned_request(client, directory, create_ticket):
    ticket = create_ticket()

    assert client.post(f"/twilio/referrals/transfer/{ticket.id}/12378").status_code == 403


def test_transfer_moves_the_live_call_through_the_sandbox(app, client, operator, directory, create_ticket):
    ticket = create_ticket()
    contact = _live_call(ticket)

    response = client.post(f"/referrals/tickets/{ticket.number}/transfer", data={"entry": "12378"})

    assert response.status_code == 302
    performed = SandboxCallControl.performed[-1]
    assert performed["call"] == contact.sid
    url = performed["update"]["url"]
    assert url == f"{app.config['PUBLIC_BASE_URL']}/twilio/referrals/transfer/{ticket.id}/12378"
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REFERRED and ticket.referral.key == "12378"
    [event] = _events(ticket, "call_transferred")
    assert event.data["contact_id"] == contact.id and event.data["dialled"] == "12378"
    assert len(_outbox(ticket)) == 1


def test_transfer_through_twilio_updates_the_call_to_the_transfer_twiml(
    app, client, operator, directory, create_ticket, monkeypatch
):
    updates = []

    class FakeCalls:
        def __init__(self, sid):
            self.sid = sid

        def update(self, **params):
            updates.append((self.sid, params))

    fake = type("Client", (), {"calls": staticmethod(FakeCalls)})()
    monkeypatch.setattr(referral_views, "call_control", lambda config: TwilioCallControl(fake))
    ticket = create_ticket()
    contact = _live_call(ticket)

    assert client.post(f"/referrals/tickets/{ticket.number}/transfer", data={"entry": "110"}).status_code == 302

    assert updates == [(contact.sid, {
        "url": f"{app.config['PUBLIC_BASE_URL']}/twilio/referrals/transfer/{ticket.id}/110", "method": "POST"})]


def test_when_twilio_refuses_the_transfer_nothing_is_changed(client, operator, directory, create_ticket, monkeypatch):
    class Refusing:
        def calls(self, sid):
            raise TwilioRestException(400, "https://api.twilio.com/x", msg="Call is not in-progress")

    monkeypatch.setattr(referral_views, "call_control", lambda config: TwilioCallControl(Refusing()))
    ticket = create_ticket()
    _live_call(ticket)

    response = client.post(f"/referrals/tickets/{ticket.number}/transfer", data={"entry": "110"})

    assert response.status_code == 502
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and _outbox(ticket) == []


def test_transfer_without_a_caller_on_the_line_is_refused(client, operator, directory, create_ticket):
    ticket = create_ticket()
    ended = _live_call(ticket)
    ended.ended_at = now()
    db.session.commit()
    before = len(SandboxCallControl.performed)

    response = client.post(f"/referrals/tickets/{ticket.number}/transfer", data={"entry": "12378"})

    assert response.status_code == 409
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and _outbox(ticket) == []
    assert len(SandboxCallControl.performed) == before


def test_the_transfer_button_shows_only_while_the_caller_is_on_the_line(client, operator, directory, create_ticket):
    ticket = create_ticket()
    url = f"/referrals/tickets/{ticket.number}"
    assert 'id="transfer-submit"' not in client.get(url).get_data(as_text=True)

    _live_call(ticket)

    assert 'id="transfer-submit"' in client.get(url).get_data(as_text=True)


def test_an_already_referred_case_can_still_be_transferred_to_its_entry(client, operator, directory, create_ticket):
    ticket = create_ticket()
    referrals.refer(ticket, directory["12320"], operator)
    db.session.commit()
    contact = _live_call(ticket)

    response = client.post(f"/referrals/tickets/{ticket.number}/transfer", data={"entry": "12320"})

    assert response.status_code == 302
    assert SandboxCallControl.performed[-1]["call"] == contact.sid
    assert len(_outbox(ticket)) == 1  # one referral SMS, not two



def test_the_referral_link_partial_carries_the_suggestion_for_open_cases_only(app, make_user, create_ticket):
    ticket = create_ticket()

    def render(user):
        with app.test_request_context():
            login_user(user)
            return render_template("routing/referral_action.html", ticket=ticket, suggested_key="12378")

    operator = make_user(Role.OPERATOR)
    assert f'href="/referrals/tickets/{ticket.number}?suggested=12378"' in render(operator)
    assert "refer-link" not in render(make_user(Role.DEPARTMENT))
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    tickets.change_status(ticket, TicketStatus.FORWARDED)
    assert "refer-link" not in render(operator)


def _csrf(html, form_id):
    form = html.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    return form.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


def test_the_forms_carry_csrf_tokens_and_pages_no_inline_script_or_style(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        referrals.seed_referral_directory()
        ticket = tickets.open_ticket(Channel.VOICE, caller=tickets.find_or_create_caller("+8613800138000"))
        accounts.create_user("csrf-op", PASSWORD, Role.OPERATOR)
        db.session.commit()
        number = ticket.number
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "csrf-op", "password": PASSWORD, "csrf_token": token})
    url = f"/referrals/tickets/{number}"
    page = client.get(url).get_data(as_text=True)

    assert client.post(url, data={"entry": "110"}).status_code == 400  # no token
    response = client.post(url, data={"entry": "110", "csrf_token": _csrf(page, "refer-form")})

    assert response.status_code == 302
    main = page.split("<main", 1)[-1]
    assert "<script" not in main and "style=" not in main and "<style" not in main
