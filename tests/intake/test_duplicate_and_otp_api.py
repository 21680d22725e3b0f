"""The API twins of the console's duplicate link (intake_decision.duplicate_of) and its identity
check by SMS code (otp_send, otp_verify): the same roles, the same services, so the case page
shows the same history lines, the outbox holds the same SMS and the intake form the same verified
flag; every answer checked against the OpenAPI document; the code and the full number never in one."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import IdentityLevel, OtpChallenge, OutboxMessage, Role, Ticket, TicketEvent
from hotline.timeutil import clock_at, now
from intake import verification
from tests.hostile import refused_unchanged as refused
from tests.intake import test_intake_api as intake_api
from tests.intake.test_intake_api import COMPLAINT, REPORT, URL, created, no_secrets

# The intake API tests' fixtures: a checked client per role (`api`: an operator, "zhang"),
# departments and categories seeded.
api, as_role, departments, spec = intake_api.api, intake_api.as_role, intake_api.departments, intake_api.spec

GIVEN = "+8613812341234"  # COMPLAINT's phone, as stored
CALLING = "+8613800138000"


# ---- helpers ---------------------------------------------------------------------------------

def ticket(number):
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.number == number))


def events(number, type_):
    db.session.expire_all()
    return db.session.scalars(select(TicketEvent).join(Ticket).where(
        Ticket.number == number, TicketEvent.type == type_).order_by(TicketEvent.id)).all()


def otp_texts():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "otp")
                              .order_by(OutboxMessage.id)).all()


def sent_code():
    return re.search(r"验证码 (\d{6})", otp_texts()[-1].body).group(1)


def wrong(code):
    return "000000" if code != "000000" else "111111"


def attempts():
    db.session.expire_all()
    return db.session.scalar(select(OtpChallenge.attempts).order_by(OtpChallenge.id.desc()).limit(1))


@pytest.fixture
def operator_page(client, make_user, login):
    """The console as an operator reading English: get(path) -> the page's text."""
    user = make_user(Role.OPERATOR)
    user.locale = "en"
    db.session.commit()
    login(user)
    return lambda path: client.get(path).get_data(as_text=True)


def timeline_entry(page, type_):
    """The text of the case page's first timeline entry of `type_`, tags dropped."""
    found = re.search(rf'<li class="ev ev-{type_}"(.*?)</li>', page, re.S)
    assert found, f"no {type_} entry on the case page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


# ---- duplicate -------------------------------------------------------------------------------

def test_a_case_is_marked_a_duplicate_as_the_console_links_it(api, operator_page):
    first, second = created(api, COMPLAINT), created(api, COMPLAINT)
    response = api.post(f"{URL}/{second['number']}/duplicate", json={"of": first["number"], "version": second["version"]})

    assert response.status_code == 200
    no_secrets(response)
    assert response.json["number"] == second["number"] and response.json["status"] == "new"  # the status stays
    assert response.json["version"] > second["version"]
    assert ticket(second["number"]).duplicate_of.number == first["number"]
    (line,) = events(second["number"], "duplicate_of")
    assert (line.from_value, line.to_value, line.actor.username) == (None, first["number"], "zhang")
    page = operator_page(f"/tickets/{second['number']}")
    assert f"Duplicate of {first['number']}" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert timeline_entry(page, "duplicate_of").endswith(f"Linked as a duplicate {first['number']}")
    history = api.get(f"/api/v1/tickets/{second['number']}").json["events"]
    assert [e["to"] for e in history if e["type"] == "duplicate_of"] == [first["number"]]


def test_a_new_mark_replaces_the_old_one_on_the_history(api):
    first, second, third = (created(api, COMPLAINT) for _ in range(3))
    assert api.post(f"{URL}/{third['number']}/duplicate", json={"of": first["number"]}).status_code == 200
    assert api.post(f"{URL}/{third['number']}/duplicate", json={"of": f" {second['number']} "}).status_code == 200
    last = events(third["number"], "duplicate_of")[-1]
    assert (last.from_value, last.to_value) == (first["number"], second["number"])


def test_a_supervisor_marks_duplicates_too(api, as_role):
    first, second = created(api, COMPLAINT), created(api, {**REPORT, "anonymous": True})
    supervisor = as_role(Role.SUPERVISOR)
    assert supervisor.post(f"{URL}/{second['number']}/duplicate", json={"of": first["number"]}).status_code == 200


def test_a_bad_same_unknown_or_looping_other_case_is_a_422_naming_of(api):
    first, second = created(api, COMPLAINT), created(api, COMPLAINT)
    path = f"{URL}/{second['number']}/duplicate"
    for bad in (None, "", "  ", 42, ["x"], {"n": 1}, "x" * 5000, "20990101-00001", "\u0000", first["number"] + "1", "２０２６０１０１-００００１"):
        refused(api, path, {"of": bad}, 422, {"of"})
    refused(api, path, {}, 422, {"of"})
    assert "itself" in refused(api, path, {"of": second["number"]}, 422, {"of"}).json["fields"]["of"]
    assert api.post(path, json={"of": first["number"]}).status_code == 200
    # first -> second would close a loop: second is already first's duplicate.
    loop = refused(api, f"{URL}/{first['number']}/duplicate", {"of": second["number"]}, 422, {"of"})
    assert "its own duplicate" in loop.json["fields"]["of"]
    assert ticket(first["number"]).duplicate_of is None


def test_every_bad_field_is_named_at_once_and_a_stale_version_is_a_409(api):
    first, second = created(api, COMPLAINT), created(api, COMPLAINT)
    path = f"{URL}/{second['number']}/duplicate"
    refused(api, path, {"of": 1, "version": "3", "colour": "red"}, 422, {"of", "version", "colour"})
    stale = refused(api, path, {"of": first["number"], "version": second["version"] + 5}, 409)
    assert stale.json["version"] == second["version"]
    for raw in (b"", b"{", b"[]", b'"x"', b"\xff"):
        refused(api, path, raw, 400)
    refused(api, f"{URL}/20990101-00001/duplicate", {"of": first["number"]}, 404)
    assert ticket(second["number"]).duplicate_of is None


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN])
def test_department_and_admin_tokens_are_refused_as_the_console_refuses_them(api, as_role, departments, role):
    first, second = created(api, COMPLAINT), created(api, COMPLAINT)
    other = as_role(role, departments[0] if role == Role.DEPARTMENT else None)
    number = second["number"]
    refused(other, f"{URL}/{number}/duplicate", {"of": first["number"]}, 403)
    refused(other, f"{URL}/{number}/otp/send", {}, 403)
    refused(other, f"{URL}/{number}/otp/verify", {"code": "123456"}, 403)
    assert otp_texts() == [] and ticket(number).duplicate_of is None


def test_without_a_token_nothing_is_done(api, client):
    first, second = created(api, COMPLAINT), created(api, COMPLAINT)
    assert client.post(f"{URL}/{second['number']}/duplicate", json={"of": first["number"]}).status_code == 401
    assert client.post(f"{URL}/{second['number']}/otp/send").status_code == 401


# ---- the SMS code: send ----------------------------------------------------------------------

def test_a_code_is_texted_to_the_number_on_the_form_and_never_answered(api, operator_page):
    case = created(api, COMPLAINT)
    response = api.post(f"{URL}/{case['number']}/otp/send")

    assert response.status_code == 200
    (text,) = otp_texts()
    code = sent_code()
    assert (text.to, text.legal, text.ticket.number) == (GIVEN, True, case["number"])
    assert case["number"] in text.body
    answer = response.get_data(as_text=True)
    assert code not in answer
    no_secrets(response)
    state = response.json
    assert (state["number"], state["identity_level"], state["phone_masked"]) == (case["number"], "none", "138****1234")
    assert (state["tries_left"], state["sends_left"]) == (5, 2)
    (line,) = events(case["number"], "otp_sent")
    assert (line.to_value, line.actor.username) == ("138****1234", "zhang")
    page = operator_page(f"/tickets/{case['number']}")
    assert timeline_entry(page, "otp_sent").endswith("Verification code sent 138****1234")
    assert code not in page


def test_an_empty_json_object_sends_too_and_a_field_is_refused_by_name(api):
    case = created(api, COMPLAINT)
    assert api.post(f"{URL}/{case['number']}/otp/send", json={}).status_code == 200
    refused(api, f"{URL}/{case['number']}/otp/send", {"phone": "13900000000"}, 422, {"phone"})
    refused(api, f"{URL}/{case['number']}/otp/send", b"[1]", 400)
    assert len(otp_texts()) == 1


def test_a_confidential_reporter_s_number_stays_masked_out(api):
    case = created(api, {**REPORT, "name": "王五", "phone": "13812341234", "confidential": True})
    response = api.post(f"{URL}/{case['number']}/otp/send")
    assert response.status_code == 200 and response.json["phone_masked"] is None
    no_secrets(response)
    assert otp_texts()[0].to == GIVEN


def test_nothing_to_verify_is_a_409(api, create_ticket):
    anonymous = created(api, {**REPORT, "anonymous": True})
    same = create_ticket(phone=CALLING, complainant_phone="138 0013 8000")
    none = create_ticket(phone=CALLING)
    for number in (anonymous["number"], same.number, none.number):
        answer = refused(api, f"{URL}/{number}/otp/send", None, 409)
        assert answer.json["code"] == "not_needed"
    assert otp_texts() == []


def test_the_fourth_code_in_ten_minutes_is_a_429_saying_when(api):
    case = created(api, COMPLAINT)
    path = f"{URL}/{case['number']}/otp/send"
    start = now().replace(microsecond=0)
    for minute, left in ((0, 2), (1, 1), (2, 0)):
        with clock_at(start + timedelta(minutes=minute)):
            assert api.post(path).json["sends_left"] == left
    with clock_at(start + timedelta(minutes=3)):
        limited = refused(api, path, None, 429)
    # The first code leaves the ten-minute window at start + 10 min: 7 minutes on.
    assert limited.headers["Retry-After"] == "420"
    assert (limited.json["code"], limited.json["retry_after"]) == ("send_limit", 420)
    with clock_at(start + timedelta(minutes=10, seconds=1)):
        assert api.post(path).status_code == 200
    assert len(otp_texts()) == 4


def test_sending_to_an_unknown_case_is_404(api):
    refused(api, f"{URL}/20990101-00001/otp/send", None, 404)
    refused(api, f"{URL}/not-a-number/otp/verify", {"code": "123456"}, 404)


# ---- the SMS code: verify --------------------------------------------------------------------

def test_the_right_code_verifies_the_number_as_the_console_shows(api, operator_page):
    case = created(api, COMPLAINT)
    api.post(f"{URL}/{case['number']}/otp/send")
    response = api.post(f"{URL}/{case['number']}/otp/verify", json={"code": f" {sent_code()} "})

    assert response.status_code == 200
    assert response.json["identity_level"] == "otp" and response.json["number"] == case["number"]
    no_secrets(response)
    assert ticket(case["number"]).identity_level == IdentityLevel.OTP
    assert [e.to_value for e in events(case["number"], "otp_verified")] == ["138****1234"]
    form = operator_page(f"/intake/tickets/{case['number']}")
    assert 'data-level="otp"' in form and "Verified by code" in form
    page = operator_page(f"/tickets/{case['number']}")
    assert timeline_entry(page, "otp_verified").endswith("Phone number verified 138****1234")
    # Used once: the same code again finds no code to check.
    again = refused(api, f"{URL}/{case['number']}/otp/verify", {"code": sent_code()}, 409)
    assert again.json["code"] == "no_code"


def test_a_wrong_code_is_a_422_that_uses_a_try_and_the_last_locks_the_code(api):
    case = created(api, COMPLAINT)
    path = f"{URL}/{case['number']}/otp/verify"
    api.post(f"{URL}/{case['number']}/otp/send")
    right = sent_code()
    for left in (4, 3, 2, 1):
        response = api.post(path, json={"code": wrong(right)})
        assert response.status_code == 422
        assert response.json["fields"] == {"code": f"wrong code: {left} tries left"}
        assert response.json["tries_left"] == left
        assert attempts() == 5 - left  # the try counted: a refusal here is not a free guess
    locked = api.post(path, json={"code": wrong(right)})
    assert (locked.status_code, locked.json["code"]) == (409, "locked")
    assert len(events(case["number"], "otp_locked")) == 1
    after = refused(api, path, {"code": right}, 409)
    assert after.json["code"] == "locked"
    assert ticket(case["number"]).identity_level == IdentityLevel.NONE


def test_a_malformed_code_is_refused_without_using_a_try(api):
    case = created(api, COMPLAINT)
    path = f"{URL}/{case['number']}/otp/verify"
    api.post(f"{URL}/{case['number']}/otp/send")
    for bad in ("12ab56", "12345", "1234567", "", "１２３４５６", 123456, None, ["123456"], "12\x0034"):
        refused(api, path, {"code": bad}, 422, {"code"})
    refused(api, path, {}, 422, {"code"})
    refused(api, path, {"code": sent_code(), "phone": "x"}, 422, {"phone"})
    refused(api, path, b"", 400)
    refused(api, path, b"not json", 400)
    assert attempts() == 0


def test_an_expired_code_and_no_code_are_409s(api):
    case = created(api, COMPLAINT)
    path = f"{URL}/{case['number']}/otp/verify"
    assert refused(api, path, {"code": "123456"}, 409).json["code"] == "no_code"
    start = now().replace(microsecond=0)
    with clock_at(start):
        api.post(f"{URL}/{case['number']}/otp/send")
    with clock_at(start + timedelta(minutes=5)):
        assert refused(api, path, {"code": sent_code()}, 409).json["code"] == "expired"
    assert ticket(case["number"]).identity_level == IdentityLevel.NONE


def test_a_new_code_makes_the_previous_one_useless(api, monkeypatch):
    codes = iter([123456, 654321])
    monkeypatch.setattr(verification.secrets, "randbelow", lambda n: next(codes))
    case = created(api, COMPLAINT)
    api.post(f"{URL}/{case['number']}/otp/send")
    api.post(f"{URL}/{case['number']}/otp/send")
    path = f"{URL}/{case['number']}/otp/verify"
    assert api.post(path, json={"code": "123456"}).status_code == 422
    assert api.post(path, json={"code": "654321"}).json["identity_level"] == "otp"
