"""Reading cases as service requests: filters, the 90-day window and the result cap, what the
fields are filled from, what never leaves (personal data), and the per-key rate limit."""

from datetime import timedelta

import pytest

from hotline import tickets
from hotline.extensions import db
from hotline.models import (
    Category,
    Channel,
    Clock,
    ClockKind,
    ClockState,
    Department,
    ReferralEntry,
    TicketKind,
    TicketStatus,
)
from hotline.open311 import services
from hotline.timeutil import clock_at, now
from tests.open311.conftest import FORMATS, errors_of


def _category(code):
    return db.session.query(Category).filter_by(code=code).one()


@pytest.fixture
def case(create_ticket, seeded):
    """create_ticket on the Open311 channel (the only one its GETs list) with a category code
    and an optional age in days."""

    def make(code="G01", days_ago=0, **fields):
        with clock_at(now() - timedelta(days=days_ago)):
            return create_ticket(category_id=_category(code).id, **{"channel": Channel.OPEN311, **fields})

    return make


def _numbers(o311, fmt="json", **params):
    response, data = o311.get("requests", fmt, **params)
    assert response.status_code == 200, data
    return [r["service_request_id"] for r in data]


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters(o311, case, fmt):
    appliance, telecom, food = case("G01"), case("S04"), case("G04")
    tickets.change_status(food, TicketStatus.CLOSED)
    db.session.commit()
    assert _numbers(o311, fmt) == [food.number, telecom.number, appliance.number]  # newest first
    assert _numbers(o311, fmt, service_code="S04,G04") == [food.number, telecom.number]
    assert _numbers(o311, fmt, status="open") == [telecom.number, appliance.number]
    assert _numbers(o311, fmt, status="closed") == [food.number]
    assert _numbers(o311, fmt, status="open,closed") == [food.number, telecom.number, appliance.number]
    ids = f"{appliance.number},{food.number}"
    # service_request_id overrides every other argument, as the spec says.
    assert _numbers(o311, fmt, service_request_id=ids, status="open") == [food.number, appliance.number]


def test_the_default_window_is_the_last_90_days(o311, case, app):
    recent, old = case(days_ago=10), case(days_ago=100)
    assert app.config["OPEN311_MAX_DAYS"] == 90
    assert _numbers(o311) == [recent.number]
    start = (now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now() - timedelta(days=95)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _numbers(o311, start_date=start, end_date=end) == [old.number]
    assert _numbers(o311, start_date=start) == [old.number]  # start + 90 days
    assert _numbers(o311, end_date=end) == [old.number]  # end - 90 days
    # The service_request_id lookup is not bound to the window.
    assert _numbers(o311, service_request_id=old.number) == [old.number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_range_may_not_span_more_than_90_days(o311, seeded, fmt):
    response, data = o311.get("requests", fmt, start_date="2026-01-01T00:00:00Z", end_date="2026-04-02T00:00:00Z")
    assert (response.status_code, errors_of(data)) == (
        400, [(400, "start_date to end_date may not span more than 90 days")])
    ok, _data = o311.get("requests", fmt, start_date="2026-01-01T00:00:00Z", end_date="2026-04-01T00:00:00Z")
    assert ok.status_code == 200


def test_at_most_1000_results_by_default_newest_first(o311, case, app):
    assert app.config["OPEN311_MAX_RESULTS"] == 1000
    app.config["OPEN311_MAX_RESULTS"] = 3
    made = [case(days_ago=5 - i) for i in range(5)]
    assert _numbers(o311) == [t.number for t in reversed(made)][:3]


def test_fields_are_filled_from_the_case(o311, case, app):
    dept = Department(code="MS01", name="Dongcheng market office")
    db.session.add(dept)
    ticket = case("S04", department=dept, respondent_address="8 Wangfujing Street")
    tickets.change_status(ticket, TicketStatus.ACCEPTED)
    tickets.change_status(ticket, TicketStatus.FORWARDED)
    due = now().replace(microsecond=0) + timedelta(days=3)
    db.session.add_all([
        Clock(ticket_id=ticket.id, kind=ClockKind.MEDIATION, state=ClockState.RUNNING, started_at=now(), due_at=due),
        Clock(ticket_id=ticket.id, kind=ClockKind.ACCEPT, state=ClockState.MET, started_at=now(),
              due_at=due - timedelta(days=2), met_at=now()),
    ])
    db.session.commit()
    data = o311.get(f"requests/{ticket.number}", "json")[1][0]
    assert data["status"] == "open"
    assert data["status_notes"] == "Forwarded to the department responsible."
    assert data["agency_responsible"] == "Dongcheng market office"
    assert data["address"] == "8 Wangfujing Street"
    assert data["service_notice"] == app.config["OPEN311_SERVICE_NOTICE"]
    # The running clock's due date, in the hotline's time zone; a met clock no longer counts.
    assert data["expected_datetime"] == (due + timedelta(hours=8)).isoformat() + "+08:00"
    assert data["requested_datetime"].endswith("+08:00")
    assert data["description"] is None  # a phone case's facts are the operator's notes


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_undecided_request_expects_the_acceptance_deadline_of_the_case_page(o311, seeded, calendar_2025, local, fmt):
    """No clock runs before the request is taken as a complaint or report: the expected moment is
    when acceptance is due (clocks.acceptance_due, the case page's 决定是否受理), 7 working days
    from receipt, the National Day break skipped. A consultation is never accepted: nothing."""
    with clock_at(local(2025, 9, 30, 10, 0)):
        undecided = tickets.open_ticket(Channel.OPEN311, category_id=_category("G01").id)
        consultation = tickets.open_ticket(Channel.OPEN311, kind=TicketKind.CONSULTATION,
                                           category_id=_category("G01").id)
    db.session.commit()
    due = o311.get("requests", fmt, service_request_id=f"{undecided.number},{consultation.number}")[1]
    expected = {r["service_request_id"]: r["expected_datetime"] for r in due}
    assert expected[undecided.number] == "2025-10-16T23:59:59+08:00"
    assert expected[consultation.number] in (None, "")


def test_an_out_of_scope_case_names_the_referral_agency(o311, case):
    entry = ReferralEntry(key="12378", agency_zh="金融监管总局", agency_en="Financial regulator (NFRA)",
                          hotline="12378", caller_script="Please call 12378 about banking and insurance.")
    db.session.add(entry)
    ticket = case("S12", referral=entry)
    tickets.change_status(ticket, TicketStatus.REFERRED)
    db.session.commit()
    data = o311.get(f"requests/{ticket.number}", "xml")[1][0]
    assert data["status"] == "closed"
    assert data["agency_responsible"] == "金融监管总局 (12378)"
    assert data["service_notice"] == "Please call 12378 about banking and insurance."
    assert data["status_notes"] == "Outside our duties: referred to another agency."


def test_a_result_and_a_rejection_ground_show_in_status_notes(o311, case):
    resolved = case("G01", result="mediated")
    for status in (TicketStatus.ACCEPTED, TicketStatus.RESOLVED):
        tickets.change_status(resolved, status)
    rejected = case("G01", reject_ground="out_of_scope", reject_reason="Mr Zhang's neighbour, 13800138000")
    tickets.change_status(rejected, TicketStatus.REJECTED)
    db.session.commit()
    by_number = {r["service_request_id"]: r for r in o311.get("requests", "json")[1]}
    assert by_number[resolved.number]["status_notes"] == "Handled; a result was recorded. Mediation reached an agreement."
    notes = by_number[rejected.number]["status_notes"]
    assert notes.startswith("Not accepted. Ground: ") and "Zhang" not in notes and "138" not in notes


# ---- privacy --------------------------------------------------------------------------------

FILER = {"first_name": "Xiaoming", "last_name": "Wang", "phone": "13912345678", "email": "wang@example.cn",
         "device_id": "device-7781", "account_id": "acct-5521", "address_string": "Room 1201, 5 Home Lane",
         "lat": "39.91234", "long": "116.40456"}


def test_a_get_never_shows_the_filers_personal_data(o311, api_key, client):
    data = {"api_key": api_key, "service_code": "G01", "description": "Fridge bought 2026-11-01 broke; call me on 139 1234 5678 or 010-6512 3456",
            "media_url": "https://img.example.cn/fridge.jpg", **FILER}
    number = o311.post("json", data)[1][0]["service_request_id"]
    bodies = [client.get(f"/open311/v2/{path}.{fmt}").get_data(as_text=True)
              for path in ("requests", f"requests/{number}") for fmt in FORMATS]
    for body in bodies:
        assert number in body and "Fridge bought 2026-11-01 broke" in body and "fridge.jpg" in body
        for value in (*FILER.values(), "1234 5678", "6512 3456", "Xiaoming Wang", "Wang Xiaoming"):
            assert value not in body, value
    # Staff still have everything: the case and its timeline.
    ticket = services.find_request(number)
    assert ticket.complainant_name == "Wang Xiaoming" and ticket.complainant_phone == "+8613912345678"
    assert ticket.caller.phone == "+8613912345678"
    note = ticket.events.filter_by(type="note").one().to_value
    assert "Room 1201, 5 Home Lane" in note and "39.91234" in note


@pytest.mark.parametrize("contact", [
    "139.1234.5678", "139/1234/5678", "一三九一二三四五六七八", "139一二三四5678", "１３９－１２３４－５６７８",
    "139 1234 5678", "1 3 9 1 2 3 4 5 6 7 8", "+86 139 1234 5678", "(010) 6512 3456", "wang.xm@example.cn",
    "wang＠example．cn", "11010519491231002X",
])
def test_a_get_never_shows_a_phone_email_or_id_number_typed_into_the_description(o311, api_key, client, contact):
    description = f"冰箱 2026-11-01 买的，价格 1,299.00 元，坏了。联系我 {contact} 谢谢"
    number = o311.post("json", {"api_key": api_key, "service_code": "G01", "description": description,
                                "address_string": "1 Jianguo Road"})[1][0][
        "service_request_id"]
    for fmt in FORMATS:
        body = client.get(f"/open311/v2/requests/{number}.{fmt}").get_data(as_text=True)
        assert "冰箱 2026-11-01 买的，价格 1,299.00 元，坏了。联系我 [removed] 谢谢" in body
        assert contact not in body and "5678" not in body and "6512" not in body
    assert services.find_request(number).facts == description  # staff keep what was written


@pytest.mark.parametrize("fields", [
    {"kind": TicketKind.REPORT},
    {"kind": TicketKind.COMPLAINT, "confidential": True},
], ids=["report", "confidential"])
def test_reports_and_confidential_cases_keep_their_content_in(o311, api_key, fields):
    number = o311.post("json", {"api_key": api_key, "service_code": "G01", "address_string": "x",
                                "description": "I am Li Lei, the shop's cashier", "media_url": "https://e.cn/1.jpg"}
                       )[1][0]["service_request_id"]
    ticket = services.find_request(number)
    tickets.update_fields(ticket, {"respondent_address": "9 Market Road", **fields})
    db.session.commit()
    for fmt in FORMATS:
        data = o311.get(f"requests/{number}", fmt)[1][0]
        assert (data["description"], data["address"], data["media_url"]) == (None, None, None)
        assert data["status"] == "open"


# ---- keys and rates -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_refused(o311, api_key, fmt):
    key = services.key_for(api_key)
    services.revoke_key(None, key)
    db.session.commit()
    for response, data in (o311.post(fmt, {"api_key": api_key, "service_code": "G01", "address_string": "x"}),
                           o311.get("services", fmt, api_key=api_key)):
        assert (response.status_code, errors_of(data)) == (403, [(403, "api_key was revoked")])


def test_a_key_records_its_last_use(o311, api_key):
    assert services.key_for(api_key).last_used_at is None
    o311.get("services", "json", api_key=api_key)
    db.session.expire_all()
    assert services.key_for(api_key).last_used_at is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_key_has_its_own_rate(o311, api_key, fmt):
    slow_plain, slow = services.issue_key(None, "slow client", 2)
    db.session.commit()
    post = {"service_code": "G01", "address_string": "x"}
    assert o311.post(fmt, {**post, "api_key": slow_plain})[0].status_code == 201
    assert o311.get("services", fmt, api_key=slow_plain)[0].status_code == 200
    response, data = o311.get("requests", fmt, api_key=slow_plain)
    assert response.status_code == 429
    assert errors_of(data)[0][0] == 429 and "rate limit exceeded" in errors_of(data)[0][1]
    assert o311.post(fmt, {**post, "api_key": slow_plain})[0].status_code == 429
    # Another key, and a reader without a key, are not held back by it.
    assert o311.post(fmt, {**post, "api_key": api_key})[0].status_code == 201
    assert o311.get("services", fmt)[0].status_code == 200
    # An admin raising the rate lets it through at once.
    services.set_rate(None, slow, 10)
    db.session.commit()
    assert o311.get("services", fmt, api_key=slow_plain)[0].status_code == 200


def test_readers_without_a_key_are_limited_per_address(o311, seeded, app):
    app.config["OPEN311_ANONYMOUS_PER_MINUTE"] = 2
    assert [o311.get("services", "json")[0].status_code for _ in range(3)] == [200, 200, 429]
