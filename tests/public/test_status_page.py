"""The public status page: case number + last four digits; failures rate-limited and
indistinguishable."""

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from hotline import outbox, tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    Channel,
    Clock,
    ClockKind,
    ClockState,
    Department,
    OutboxStatus,
    ReferralEntry,
    Role,
    TicketKind,
)
from hotline.timeutil import now

PHONE = "+8613812345678"
RIGHT, WRONG = "5678", "5679"
# Every CSRF token on the page (the lookup form's and the language switch's): they carry a
# timestamp, so two pages rendered a second apart differ there and nowhere else.
CSRF = re.compile(rb'(?<=value=")[\w.-]{40,}(?=")')


@pytest.fixture
def case(app, create_ticket):
    """An accepted complaint forwarded to a department, with a running clock and notices."""
    dept = Department(code="MS01", name="东城市场监管所")
    db.session.add(dept)
    ticket = create_ticket(phone=PHONE, facts="冰箱不制冷", complainant_name="张三", complainant_phone=PHONE)
    tickets.change_status(ticket, "accepted")
    ticket.department = dept
    start = now()
    db.session.add_all([
        Clock(ticket=ticket, kind=ClockKind.MEDIATION, state=ClockState.RUNNING, started_at=start,
              due_at=start + timedelta(days=60)),
        Clock(ticket=ticket, kind=ClockKind.FORWARD, state=ClockState.RUNNING, started_at=start,
              due_at=start + timedelta(days=5)),
        Clock(ticket=ticket, kind=ClockKind.ACCEPT, state=ClockState.MET, started_at=start,
              due_at=start + timedelta(days=1)),
    ])
    outbox.queue_sms(PHONE, f"您的诉求已收到，工单号 {ticket.number}。", "ack", ticket=ticket)
    outbox.queue_sms(PHONE, f"验证码 123456（工单号 {ticket.number}）", "otp", ticket=ticket)
    outbox.queue_sms(PHONE, f"接线员回复：张三您好（工单号 {ticket.number}）", "reply", ticket=ticket)
    outbox.queue_sms("+8613900000000", f"部门通知（工单号 {ticket.number}）", "forwarded", ticket=ticket)
    failed = outbox.queue_sms(PHONE, f"失败的通知（工单号 {ticket.number}）", "result_notice", ticket=ticket)
    failed.status = OutboxStatus.FAILED
    db.session.commit()
    return ticket


def limits(app, **config):
    """Limits are read per request, so a test can tighten them on the running app."""
    app.config.update(config)


def lookup(client, number, digits, address="10.0.0.1", headers=None):
    return client.post("/status/", data={"number": number, "digits": digits},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_the_right_combination_shows_status_department_due_date_and_notices(client, case):
    response = lookup(client, case.number, RIGHT)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="zh' in page  # Chinese by default, no Accept-Language sent
    assert 'id="status-number" class="mono">' + case.number in page
    assert "已受理" in page  # smsrules' caller-facing label
    assert "东城市场监管所" in page
    due = (now() + timedelta(days=5) + timedelta(hours=8)).date().isoformat()  # the earliest running clock
    assert f'id="status-due">{due}<' in page
    assert "您的诉求已收到" in page
    for hidden in ("123456", "接线员回复", "部门通知", "失败的通知"):
        assert hidden not in page
    for personal in ("张三", "冰箱不制冷", PHONE, "13812345678"):
        assert personal not in page
    assert response.headers["Cache-Control"] == "no-store"


STATUS_DUE = re.compile(r'id="status-due">([^<]*)<')
PENDING_ACCEPT = re.compile(r'data-kind="accept" data-state="pending">\s*<td>[^<]*</td>\s*<td[^>]*>(\d{4}-\d\d-\d\d)')


def test_an_undecided_case_shows_when_acceptance_is_due_as_the_case_page_does(
        client, ticket_at, local, calendar_2025, make_user, login, monkeypatch):
    """A text not yet taken (no accept clock yet): the caller sees the day the hotline must decide
    by, the day the case page's time limits give (7 working days; the National Day break skipped)."""
    ticket = ticket_at(local(2025, 9, 30, 10, 0), phone=PHONE, channel=Channel.SMS, kind=TicketKind.UNKNOWN,
                       facts="冰箱不制冷", complainant_name="张三")
    shown = lookup(client, ticket.number, RIGHT).get_data(as_text=True)
    assert STATUS_DUE.search(shown).group(1) == "2025-10-16"
    # Nothing else is new on the page: without the date it is the same page, to the byte.
    monkeypatch.setattr(clocks, "acceptance_due", lambda _ticket: None)
    without = lookup(client, ticket.number, RIGHT).get_data(as_text=True)
    assert STATUS_DUE.search(without).group(1) == "—"
    assert CSRF.sub(b"", STATUS_DUE.sub("", shown).encode()) == CSRF.sub(b"", STATUS_DUE.sub("", without).encode())
    for personal in ("张三", "冰箱不制冷", "13812345678"):
        assert personal not in shown
    monkeypatch.undo()
    login(make_user(Role.OPERATOR))
    case_page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert PENDING_ACCEPT.search(case_page).group(1) == "2025-10-16"


def test_contact_details_written_into_a_notice_are_not_shown(client, case):
    """A result notice carries what the department wrote; the page shows it without numbers or addresses."""
    outbox.queue_sms(PHONE, f"处理结果（工单号 {case.number}）：商家同意退款 1,299.00 元，请联系王经理 139.1234.5678 "
                            "或 wang@shop.example.cn", "result_notice", ticket=case)
    db.session.commit()
    page = lookup(client, case.number, RIGHT).get_data(as_text=True)
    assert f"处理结果（工单号 {case.number}）：商家同意退款 1,299.00 元，请联系王经理 *** 或 ***" in page
    assert "1234" not in page and "wang@" not in page


def test_number_typed_without_dash_or_full_width_digits_is_found(client, case):
    typed = case.number.replace("-", "")
    assert "已受理" in lookup(client, typed, "５６７８").get_data(as_text=True)


def test_a_referred_case_shows_the_agency(client, create_ticket):
    entry = ReferralEntry(key="12378", agency_zh="国家金融监督管理总局", agency_en="NFRA", hotline="12378")
    ticket = create_ticket(phone=PHONE, kind=TicketKind.CONSULTATION, referral=entry)
    tickets.change_status(ticket, "referred")
    db.session.commit()
    page = lookup(client, ticket.number, RIGHT).get_data(as_text=True)
    assert "国家金融监督管理总局（12378）" in page
    assert "已告知转其他部门办理" in page


def test_the_english_page_names_the_status_and_the_agency_in_english(client, create_ticket):
    entry = ReferralEntry(key="12378", agency_zh="国家金融监督管理总局", agency_en="NFRA", hotline="12378")
    ticket = create_ticket(phone=PHONE, kind=TicketKind.CONSULTATION, referral=entry)
    tickets.change_status(ticket, "referred")
    db.session.commit()
    page = lookup(client, ticket.number, RIGHT, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en' in page
    assert re.search(r'id="status-label">\s*Referred\s*<', page)
    assert re.search(r'id="status-handler">\s*NFRA \(12378\)\s*<', page)
    assert "已告知" not in page and "国家金融" not in page


def test_wrong_digits_and_an_unknown_case_give_the_same_answer(app, client, create_ticket):
    app.config["WTF_CSRF_ENABLED"] = True
    ticket = create_ticket(phone=PHONE)

    def post(number, digits):
        form = client.get("/status/").get_data()
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1).decode()
        return client.post("/status/", data={"csrf_token": token, "number": number, "digits": digits})

    wrong = post(ticket.number, WRONG)
    unknown = post("20991231-99999", RIGHT)
    garbage = post("no such thing", RIGHT)
    assert wrong.status_code == unknown.status_code == garbage.status_code == 200
    assert b'id="lookup-error"' in wrong.data
    assert ticket.number.encode() not in wrong.data
    assert CSRF.sub(b"", wrong.data) == CSRF.sub(b"", unknown.data) == CSRF.sub(b"", garbage.data)
    assert "已收到，待受理" in post(ticket.number, RIGHT).get_data(as_text=True)


def test_a_malformed_entry_is_reshown_and_not_counted(app, client, create_ticket):
    limits(app, STATUS_FAILURES_PER_ADDRESS="1 per 15 minutes")
    ticket = create_ticket(phone=PHONE)
    for _ in range(3):
        response = lookup(client, ticket.number, "12")
        assert response.status_code == 200
        assert b'id="lookup-error"' not in response.data
    assert "已收到，待受理" in lookup(client, ticket.number, RIGHT).get_data(as_text=True)


def test_address_limit_refuses_even_the_right_combination_until_the_window_passes(app, client, create_ticket):
    limits(app, STATUS_FAILURES_PER_ADDRESS="3 per 15 minutes")
    ticket = create_ticket(phone=PHONE)
    other = create_ticket(phone="+8613700001111")
    with freeze_time(now()) as clock:
        for number in (ticket.number, "20991231-00001", other.number):
            assert lookup(client, number, WRONG).status_code == 200
        for _ in range(5):  # right answers are not failures: no limit for them ...
            assert lookup(client, other.number, "1111", address="10.0.0.2").status_code == 200
        refused_right = lookup(client, ticket.number, RIGHT)
        refused_wrong = lookup(client, "20991231-00002", WRONG)
        assert refused_right.status_code == refused_wrong.status_code == 429
        assert refused_right.data == refused_wrong.data
        assert "已收到，待受理" not in refused_right.get_data(as_text=True)
        assert "已收到，待受理" in lookup(client, ticket.number, RIGHT, address="10.0.0.2").get_data(as_text=True)
        assert client.get("/status/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
        clock.tick(timedelta(minutes=16))
        assert "已收到，待受理" in lookup(client, ticket.number, RIGHT).get_data(as_text=True)


def _shows_status(response):
    return response.status_code == 200 and "已收到，待受理" in response.get_data(as_text=True)


ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def test_twenty_wrong_guesses_from_one_address_never_lock_the_owner_out(app, client, create_ticket):
    ticket = create_ticket(phone=PHONE)
    answers = [lookup(client, ticket.number, f"{n:04d}", address=ATTACKER).status_code for n in range(20)]
    # Three tries for one case per address and day, then "too many tries" for that case ...
    assert answers == [200] * 3 + [429] * 17
    # ... even with the right digits, so the attacker cannot tell when a guess was right ...
    assert lookup(client, ticket.number, RIGHT, address=ATTACKER).status_code == 429
    # ... while the owner, from their own address, gets the answer at once.
    assert _shows_status(lookup(client, ticket.number, RIGHT, address=OWNER))


def test_the_attackers_address_is_limited_over_every_case(app, client, create_ticket):
    mine = create_ticket(phone="+8613700001111")
    targets = [create_ticket(phone=f"+86138000{n:05d}") for n in range(12)]
    answers = [lookup(client, t.number, "9999", address=ATTACKER).status_code for t in targets]
    assert answers == [200] * 10 + [429] * 2  # STATUS_FAILURES_PER_ADDRESS: 10 per 15 minutes
    refused = lookup(client, mine.number, "1111", address=ATTACKER)  # right, but from that address
    assert refused.status_code == 429 and "已收到，待受理" not in refused.get_data(as_text=True)
    assert _shows_status(lookup(client, mine.number, "1111", address=OWNER))


def test_a_case_guessed_at_from_many_addresses_gets_one_try_per_address_and_the_owner_still_gets_in(
    app, client, create_ticket
):
    limits(app, STATUS_CASE_ALERT="5 per day")
    ticket = create_ticket(phone=PHONE)
    for n in range(5):  # a small botnet, one guess each: the case is now being guessed at
        assert lookup(client, ticket.number, WRONG, address=f"192.0.2.{n}").status_code == 200
    newcomer = "192.0.2.77"
    assert lookup(client, ticket.number, WRONG, address=newcomer).status_code == 200
    assert lookup(client, ticket.number, "1234", address=newcomer).status_code == 429  # one try, not three
    assert lookup(client, ticket.number, RIGHT, address=newcomer).status_code == 429
    assert _shows_status(lookup(client, ticket.number, RIGHT, address=OWNER))
    # Other cases are not affected by the alert on this one.
    other = create_ticket(phone="+8613700001111")
    assert lookup(client, other.number, WRONG, address=newcomer).status_code == 200
    assert lookup(client, other.number, WRONG, address=newcomer).status_code == 200


def test_unknown_numbers_count_like_known_ones(app, client, create_ticket):
    ticket = create_ticket(phone=PHONE)
    for _ in range(3):
        assert lookup(client, "20991231-00007", WRONG, address=ATTACKER).status_code == 200
    known_blocked = lookup(client, "20991231-00007", RIGHT, address=ATTACKER)
    assert known_blocked.status_code == 429
    assert _shows_status(lookup(client, ticket.number, RIGHT, address=ATTACKER))


def test_the_pages_tell_the_owner_to_text_for_the_status(app, client, create_ticket):
    ticket = create_ticket(phone=PHONE)
    form = client.get("/status/").get_data(as_text=True)
    assert 'id="status-by-sms"' in form and "查询" in form and app.config["TWILIO_NUMBER"] in form
    for _ in range(4):
        refused = lookup(client, ticket.number, WRONG, address=ATTACKER)
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "查询" in text and app.config["TWILIO_NUMBER"] in text


def test_the_owner_texting_from_the_complainant_phone_gets_the_status_whatever_the_page_limits(
    app, client, create_ticket, twilio_post
):
    # Filed from a landline; the complainant gave a mobile, whose last four digits the page asks for.
    ticket = create_ticket(phone="+861065550000", complainant_phone=PHONE)
    for n in range(12):
        lookup(client, ticket.number, f"{n:04d}", address=f"192.0.2.{n}")
    texted = twilio_post("/twilio/sms", {"MessageSid": "SM" + "a" * 32, "AccountSid": "AC" + "0" * 32,
                                         "From": PHONE, "To": app.config["TWILIO_NUMBER"],
                                         "Body": f"查询 {ticket.number}", "NumMedia": "0"})
    assert texted.status_code == 200
    db.session.expire_all()
    [reply] = [m for m in outbox.messages_of(ticket) if m.purpose == "status"]
    assert reply.to == PHONE and "已收到，待受理" in reply.body
    # A stranger's phone asking for the same case learns nothing.
    twilio_post("/twilio/sms", {"MessageSid": "SM" + "b" * 32, "AccountSid": "AC" + "0" * 32,
                                "From": "+8613999990000", "To": app.config["TWILIO_NUMBER"],
                                "Body": f"CX{ticket.number}", "NumMedia": "0"})
    db.session.expire_all()
    assert [m.to for m in outbox.messages_of(ticket) if m.purpose == "status"] == [PHONE]


def test_the_form_renders_in_chinese_by_default(client):
    response = client.get("/status/")
    assert response.status_code == 200
    assert 'lang="zh' in response.get_data(as_text=True)
    assert client.get("/status/status.css").mimetype == "text/css"


def test_a_due_date_the_calendar_had_to_guess_is_marked_as_the_case_page_marks_it(client, case):
    """The case page marks a clock counted past the official holiday data with `*`; the caller's
    page says so too, in words, rather than promise a day that may move."""
    response = lookup(client, case.number, RIGHT)
    assert b"status-due-estimated" not in response.data
    soonest = db.session.scalars(db.select(Clock).where(Clock.ticket_id == case.id, Clock.kind == ClockKind.FORWARD)).one()
    soonest.estimated = True
    db.session.commit()
    page = lookup(client, case.number, RIGHT).get_data(as_text=True)
    assert re.search(r'id="status-due">[\d-]+ <span class="warn" aria-hidden="true">\*</span>', page)
    assert "尚未公布" in page  # the reason, in the page's own language
    later = db.session.scalars(db.select(Clock).where(Clock.ticket_id == case.id, Clock.kind == ClockKind.MEDIATION)).one()
    soonest.estimated, later.estimated = False, True  # only the date shown counts
    db.session.commit()
    assert b"status-due-estimated" not in lookup(client, case.number, RIGHT).data


def test_the_departments_public_phone_in_the_forwarding_notice_is_shown(client, case):
    """The forwarding notice tells the caller which number to ring: a department's contact phone
    is public, so it stays; a person's number in the same notice is still masked."""
    dept = case.department
    dept.contact_phone = "010-65550101"
    outbox.queue_sms(PHONE, f"您的投诉（工单号 {case.number}）已转{dept.name}办理，联系电话 010-65550101"
                            "（工作时间 09:00-17:00）。经办人手机 13912345678", "forwarded", ticket=case)
    db.session.commit()
    page = lookup(client, case.number, RIGHT).get_data(as_text=True)
    assert "联系电话 010-65550101（工作时间 09:00-17:00）" in page and "经办人手机 ***" in page
    assert "[removed]" not in page and "13912345678" not in page


def test_a_handled_case_promises_no_due_date_for_the_hotlines_own_callback_visit(client, case):
    for clock in db.session.scalars(db.select(Clock).where(Clock.ticket_id == case.id)):
        clock.state = ClockState.MET
    for status in ("forwarded", "in_progress", "resolved"):
        tickets.change_status(case, status)
    start = now()
    db.session.add(Clock(ticket=case, kind=ClockKind.CALLBACK, state=ClockState.RUNNING, started_at=start,
                         due_at=start + timedelta(days=3)))
    db.session.commit()
    page = lookup(client, case.number, RIGHT).get_data(as_text=True)
    assert "已办结" in page and 'id="status-due">—<' in page
