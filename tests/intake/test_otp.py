"""One-time code for the phone number given on the form: send, read back, limits, roles."""

import hashlib
import re
from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import IdentityLevel, OtpChallenge, OutboxMessage, Role, TicketEvent
from hotline.timeutil import clock_at, now
from intake import verification

CALLING = "+8613800138000"
GIVEN = "+8613900139000"


@pytest.fixture
def operator(make_user, login):
    user = make_user(Role.OPERATOR)
    user.locale = "en"  # flash messages asserted in English whatever the default UI language
    db.session.commit()
    login(user)
    return user


@pytest.fixture
def case(create_ticket):
    return create_ticket(phone=CALLING, complainant_phone=GIVEN, complainant_name="张三")


@pytest.fixture
def start():
    return now().replace(microsecond=0)


def send(client, ticket, **data):
    return client.post(f"/intake/tickets/{ticket.number}/otp/send", data=data, follow_redirects=True)


def verify(client, ticket, code):
    return client.post(f"/intake/tickets/{ticket.number}/otp/verify", data={"code": code}, follow_redirects=True)


def otp_messages():
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.purpose == "otp").order_by(OutboxMessage.id)
    ).all()


def last_code():
    return re.search(r"验证码 (\d{6})", otp_messages()[-1].body).group(1)


def level(ticket):
    db.session.expire_all()
    return db.session.get(type(ticket), ticket.id).identity_level


def events(ticket, type_):
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == type_)
    ).all()


def test_send_queues_a_legal_sms_with_the_case_number_and_stores_only_a_keyed_hash(client, operator, case):
    page = send(client, case).get_data(as_text=True)

    assert "Code sent to 139****9000" in page
    (message,) = otp_messages()
    assert (message.to, message.legal, message.ticket_id) == (GIVEN, True, case.id)
    assert case.number in message.body
    code = last_code()
    (challenge,) = db.session.scalars(select(OtpChallenge)).all()
    stored = [str(getattr(challenge, c.key)) for c in OtpChallenge.__table__.columns]
    assert not any(code in value for value in stored)
    assert challenge.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert challenge.phone == GIVEN and challenge.attempts == 0
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=5)
    (event,) = events(case, "otp_sent")
    assert event.actor_id == operator.id and event.to_value == "139****9000"


def test_the_right_code_sets_the_identity_level_to_otp(client, operator, case):
    send(client, case)
    page = verify(client, case, f" {last_code()} ").get_data(as_text=True)

    assert "Phone number verified." in page
    assert level(case) == IdentityLevel.OTP
    assert len(events(case, "otp_verified")) == 1
    (field,) = [e for e in events(case, "field") if e.field == "identity_level"]
    assert (field.from_value, field.to_value) == ("none", "otp")
    assert db.session.scalar(select(OtpChallenge.verified_at)) is not None


def test_the_same_code_cannot_be_used_twice(client, operator, case):
    send(client, case)
    code = last_code()
    verify(client, case, code)
    page = verify(client, case, code).get_data(as_text=True)
    assert "No code was sent" in page
    assert len(events(case, "otp_verified")) == 1


def test_wrong_codes_show_tries_left_then_lock_the_code(client, operator, case):
    send(client, case)
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        assert f"Wrong code. {left} tries left." in verify(client, case, wrong).get_data(as_text=True)
    assert "Too many wrong tries" in verify(client, case, wrong).get_data(as_text=True)

    assert "Too many wrong tries" in verify(client, case, right).get_data(as_text=True)
    assert level(case) == IdentityLevel.NONE
    assert db.session.scalar(select(OtpChallenge.attempts)) == 5
    assert len(events(case, "otp_locked")) == 1


def test_a_malformed_code_is_refused_without_using_a_try(client, operator, case):
    send(client, case)
    for bad in ("12ab56", "12345", ""):
        assert "Type the 6 digits of the code." in verify(client, case, bad).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(OtpChallenge.attempts)) == 0


def test_the_code_expires_after_five_minutes(client, operator, case, start):
    with clock_at(start):
        send(client, case)
    code = last_code()
    with clock_at(start + timedelta(minutes=4, seconds=59)):
        wrong = "000000" if code != "000000" else "111111"
        assert "4 tries left" in verify(client, case, wrong).get_data(as_text=True)
    with clock_at(start + timedelta(minutes=5)):
        assert "The code has expired. Send a new one." in verify(client, case, code).get_data(as_text=True)
    assert level(case) == IdentityLevel.NONE


def test_a_new_code_makes_the_previous_one_useless(client, operator, case, monkeypatch):
    codes = iter([123456, 654321])
    monkeypatch.setattr(verification.secrets, "randbelow", lambda n: next(codes))
    send(client, case)
    send(client, case)
    assert [m.body.count(c) for m, c in zip(otp_messages(), ("123456", "654321"), strict=True)] == [1, 1]

    assert "Wrong code. 4 tries left." in verify(client, case, "123456").get_data(as_text=True)
    assert "Phone number verified." in verify(client, case, "654321").get_data(as_text=True)
    first, second = db.session.scalars(select(OtpChallenge).order_by(OtpChallenge.id)).all()
    assert first.expires_at <= second.created_at and first.verified_at is None


def test_sends_are_limited_to_three_per_ten_minutes(client, operator, case, start):
    with clock_at(start):
        for _ in range(3):
            send(client, case)
        page = send(client, case).get_data(as_text=True)
    assert "Too many codes sent for this case" in page
    assert len(otp_messages()) == 3
    with clock_at(start + timedelta(minutes=10, seconds=1)):
        assert "Code sent to" in send(client, case).get_data(as_text=True)
    assert len(otp_messages()) == 4


def test_no_code_when_the_form_gives_the_calling_number_or_none(client, operator, create_ticket):
    same = create_ticket(phone=CALLING, complainant_phone="138 0013 8000")
    none = create_ticket(phone=CALLING)
    for ticket in (same, none):
        assert "There is no other number on the form to verify." in send(client, ticket).get_data(as_text=True)
    assert otp_messages() == []


def test_a_legal_code_reaches_a_number_that_opted_out(client, operator, case, create_ticket):
    from hotline import outbox
    from hotline.tickets import find_or_create_caller

    outbox.opt_out(find_or_create_caller(GIVEN), via="sms")
    db.session.commit()
    send(client, case)
    assert otp_messages()[0].status.value == "pending"


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_other_roles_may_not_send_or_verify(client, make_user, login, case, role):
    login(make_user(role))
    assert client.post(f"/intake/tickets/{case.number}/otp/send").status_code == 403
    assert client.post(f"/intake/tickets/{case.number}/otp/verify", data={"code": "123456"}).status_code == 403
    assert otp_messages() == []


def test_signed_out_users_are_sent_to_sign_in(client, case):
    response = client.post(f"/intake/tickets/{case.number}/otp/send")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_case_is_404(client, operator):
    assert client.post("/intake/tickets/20990101-00001/otp/send").status_code == 404


def test_the_form_goes_back_to_the_page_it_came_from_on_this_site_only(client, operator, case):
    here = client.post(f"/intake/tickets/{case.number}/otp/send", data={"next": "/intake/tickets/x"})
    assert here.status_code == 303 and here.headers["Location"] == "/intake/tickets/x"
    away = client.post(f"/intake/tickets/{case.number}/otp/send", data={"next": "https://evil.example/"})
    assert away.headers["Location"] == f"/tickets/{case.number}"


def render_partial(app, user, ticket):
    with app.test_request_context("/intake/tickets/x"):
        login_user(user)
        return render_template("intake/_identity_verify.html", ticket=ticket)


def test_the_partial_offers_send_then_the_code_box_with_tries_left(app, client, operator, case):
    page = render_partial(app, operator, case)
    assert 'id="otp-send"' in page and 'id="otp-code"' not in page and "139****9000" in page
    send(client, case)
    page = render_partial(app, operator, db.session.get(type(case), case.id))
    assert 'id="otp-code"' in page and "5 tries left" in page and 'name="next" value="/intake/tickets/x"' in page
    assert page.count("<form") == 2 and "<template data-detached-forms>" in page  # nests in the intake form
    verify(client, case, last_code())
    db.session.expire_all()
    page = render_partial(app, operator, db.session.get(type(case), case.id))
    assert 'data-level="otp"' in page and 'id="otp-send"' not in page


def test_the_partial_is_empty_for_department_staff(app, make_user, case):
    assert "identity-verify" not in render_partial(app, make_user(Role.DEPARTMENT), case)


def test_the_operator_never_sees_the_code_on_the_case_page(client, operator, case):
    send(client, case)
    code = last_code()
    page = client.get(f"/tickets/{case.number}").get_data(as_text=True)
    assert code not in page
