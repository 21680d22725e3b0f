"""Referring an out-of-scope caller keeps what the operator typed (issue: after a refused save,
"不属于受理范围" → 12300 → "告知并发送短信" used to close the case with facts "—"), and a referred
caller never gets a survey saying the case was handled. Through the views, as the browser posts."""

import pytest
from sqlalchemy import select

from followup import surveys
from hotline.extensions import db
from hotline.models import (
    Channel,
    Contact,
    Direction,
    IdentityLevel,
    IntakeDraft,
    OutboxMessage,
    Role,
    Survey,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.seeds import seed_categories
from hotline.timeutil import now
from intake import services as intake_services
from routing import referrals

CALLER = "+8613800138000"
# A carrier billing complaint, typed while the caller talks; no demand and no kind yet.
TYPED = {
    "complainant_name": "王五",
    "complainant_phone": "13800138000",
    "complainant_address": "北京市西城区金融街1号",
    "respondent_name": "中国移动北京公司",
    "respondent_address": "北京市西城区金融大街29号",
    "facts": "中国移动话费多扣了50元，开通了我没订的增值业务，营业厅不处理。",
}


@pytest.fixture
def operator(app, make_user, login):
    seed_categories()
    referrals.seed_referral_directory()
    db.session.commit()
    user = make_user(Role.OPERATOR)
    user.locale = "en"
    db.session.commit()
    login(user)
    return user


@pytest.fixture
def call_case(operator, create_ticket):
    """The case a call opened, answered by the operator (a live call on the line)."""
    ticket = create_ticket(phone=CALLER, kind=TicketKind.UNKNOWN)
    db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, ticket=ticket, caller=ticket.caller,
                           from_number=CALLER, queued_at=now(), answered_at=now(), answered_by=operator))
    db.session.commit()
    return ticket


def form_data(ticket, **fields):
    return {"version": str(ticket.version), "seen_event": str(intake_services.last_event_id(ticket)), **fields}


def outbox(ticket, purpose=None):
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
    return [m for m in rows if purpose is None or m.purpose == purpose]


def test_a_half_taken_save_then_referral_keeps_what_was_typed_and_the_case_page_shows_it(client, call_case):
    ticket = call_case
    kept = client.post(f"/intake/tickets/{ticket.number}", data=form_data(ticket, kind="complaint", **TYPED))
    assert kept.status_code == 302  # no demand: not ready for acceptance, but kept (issue 15.2)
    db.session.refresh(ticket)
    assert ticket.facts == TYPED["facts"] and ticket.status == TicketStatus.NEW

    # "Out of scope: refer the caller" posts the form to the referral: the page lists the
    # directory and carries what was typed, untouched, to the referral itself.
    page = client.post(f"/intake/tickets/{ticket.number}/refer?suggested=12300",
                       data=form_data(ticket, kind="complaint", **TYPED))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="kept-with-referral"' in html and "中国移动北京公司" in html
    assert f'action="/intake/tickets/{ticket.number}/refer"' in html
    assert 'name="facts" value="中国移动话费多扣了50元' in html
    assert 'data-key="12300"' in html.split('data-testid="referral-entry"')[1]  # suggested first
    # ...chosen, with the cursor on it: Enter refers (the only radio with autofocus).
    assert html.count(" autofocus") == 1 and 'value="12300" checked autofocus>' in html
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and ticket.referral is None  # nothing referred yet

    done = client.post(f"/intake/tickets/{ticket.number}/refer",
                       data=form_data(ticket, kind="complaint", entry="12300", note="先向运营商投诉", **TYPED))
    assert done.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REFERRED and ticket.referral.key == "12300"
    assert (ticket.complainant_name, ticket.respondent_name, ticket.facts) == (
        "王五", "中国移动北京公司", TYPED["facts"])
    assert ticket.complainant_phone == CALLER and ticket.identity_level == IdentityLevel.CALLER_ID
    assert ticket.respondent_division == "110102" and ticket.respondent_region == "北京市西城区"
    assert ticket.kind == TicketKind.COMPLAINT
    changed = {e.field for e in ticket.events if e.type == "field"}
    assert {"complainant_name", "respondent_name", "facts"} <= changed  # on the history

    case_page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert TYPED["facts"] in case_page and "中国移动北京公司" in case_page and "王五" in case_page
    assert "工业和信息化部电信用户申诉受理中心" in case_page
    # The acceptance panel says where the case went, not an empty heading, in the page's language.
    assert 'id="decision-result">Referred to: Telecom regulator (MIIT)</p>' in case_page
    with client.session_transaction() as browser:
        browser["lang"] = "zh"  # the header's language switch
    zh_page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="decision-result">已告知：工业和信息化部电信用户申诉受理中心</p>' in zh_page
    assert "Telecom regulator" not in zh_page

    sms = outbox(ticket, "referral")
    assert len(sms) == 1 and "12300" in sms[0].body and ticket.number in sms[0].body


def test_a_referred_caller_gets_the_referral_sms_and_never_a_survey(client, call_case):
    ticket = call_case
    client.post(f"/intake/tickets/{ticket.number}/refer", data=form_data(ticket, entry="12300", **TYPED))
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REFERRED
    assert db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id)) is None
    surveys.send_due()
    db.session.commit()
    assert [m.purpose for m in outbox(ticket)] == ["referral"]
    assert not any("已办理完毕" in m.body for m in outbox(ticket))


def test_a_survey_left_pending_by_an_older_referral_is_never_sent(client, call_case):
    ticket = call_case
    referrals.refer(ticket, referrals.entry_by_key("12300"), None)
    db.session.add(Survey(ticket=ticket, phone=CALLER, status="pending", channel="sms"))
    db.session.commit()
    assert surveys.send_due() == 0


def test_one_request_refers_with_everything_even_without_a_kind(client, call_case, operator):
    ticket = call_case
    client.post(f"/intake/tickets/{ticket.number}/draft", data={"facts": "半句话"})
    db.session.commit()
    response = client.post(f"/intake/tickets/{ticket.number}/refer",
                           data=form_data(ticket, entry="12300", amount="50", **TYPED))
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REFERRED and ticket.kind == TicketKind.UNKNOWN
    assert ticket.facts == TYPED["facts"] and str(ticket.amount) == "50.00"
    assert db.session.get(IntakeDraft, (ticket.id, operator.id)) is None  # the draft is gone: it was used
    contact = db.session.scalar(select(Contact).where(Contact.ticket_id == ticket.id))
    assert contact.wrapup_ended_at is not None  # after-call work ends as a save ends it


def test_a_malformed_field_refers_nothing_and_keeps_the_form(client, call_case):
    ticket = call_case
    response = client.post(f"/intake/tickets/{ticket.number}/refer",
                           data=form_data(ticket, entry="12300", **{**TYPED, "complainant_phone": "12"}))
    assert response.status_code == 400
    assert "中国移动话费多扣了50元" in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and ticket.facts is None and outbox(ticket) == []


def test_an_unknown_agency_or_a_case_already_decided_changes_nothing(client, call_case):
    ticket = call_case
    bad = client.post(f"/intake/tickets/{ticket.number}/refer", data=form_data(ticket, entry="nope", **TYPED))
    assert bad.status_code == 400
    referrals.refer(ticket, referrals.entry_by_key("12345"), None)
    db.session.commit()
    again = client.post(f"/intake/tickets/{ticket.number}/refer", data=form_data(ticket, entry="12300", **TYPED))
    assert again.status_code == 409  # stale form: someone referred it meanwhile
    db.session.refresh(ticket)
    assert ticket.referral.key == "12345" and ticket.facts is None


def test_the_referral_page_warns_of_unsaved_intake_typing(client, call_case):
    ticket = call_case
    client.post(f"/intake/tickets/{ticket.number}/draft", data={"facts": "没保存的记录"})
    page = client.get(f"/referrals/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="unsaved-intake"' in page and f"/intake/tickets/{ticket.number}" in page


def test_the_service_refuses_fields_that_are_no_intake(call_case):
    with pytest.raises(ValueError):
        referrals.refer(call_case, referrals.entry_by_key("12300"), None, intake_values={"status": "closed"})
    assert db.session.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == call_case.id,
                                                          TicketEvent.type == "referred")) is None


def test_going_back_from_the_referral_page_finds_everything_typed_on_the_form(client, call_case, operator):
    """Alt+R a second after typing (before the autosave): the referral page keeps the typing as
    the operator's draft, and its back link returns to the form, which shows it all."""
    ticket = call_case
    page = client.post(f"/intake/tickets/{ticket.number}/refer", data=form_data(ticket, **TYPED))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/intake/tickets/{ticket.number}" id="back-to-form"' in html
    form = client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    assert TYPED["facts"] in form and TYPED["respondent_name"] in form and TYPED["complainant_name"] in form
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW and not ticket.facts  # nothing saved to the case itself
    # Referring after all uses the draft up, as a referral from the form always did.
    done = client.post(f"/intake/tickets/{ticket.number}/refer",
                       data=form_data(ticket, entry="12300", **TYPED))
    assert done.status_code == 302
    assert db.session.get(IntakeDraft, (ticket.id, operator.id)) is None
