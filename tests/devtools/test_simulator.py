"""The dev simulator: signed webhooks sent through the whole app on the browser's behalf."""

import json
import re

import pytest
from sqlalchemy import select

from hotline import accounts
from hotline.extensions import db
from hotline.models import Contact, OutboxMessage, Role
from tests.calls.phone import ACCOUNT, HOTLINE, call_sid
from tests.conftest import PASSWORD

CALLER = "+8613800138000"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def simulate(client, path, **params):
    response = client.post("/dev/simulate", data=json.dumps({"path": path, "params": params}),
                           content_type="application/json")
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def test_a_simulated_call_goes_through_the_signature_check_and_the_menu(client, login, make_user, call_clock):
    login(make_user(role=Role.ADMIN))
    sid = call_sid()
    base = {"CallSid": sid, "AccountSid": ACCOUNT, "From": CALLER, "To": HOTLINE, "CallStatus": "ringing"}

    answer = simulate(client, "/twilio/voice", **base)
    assert answer["status"] == 200
    assert answer["twiml"]["gather"]["action"] == "/twilio/voice/menu"
    assert len(answer["twiml"]["says"]) == 2

    queued = simulate(client, "/twilio/voice/menu", **base, Digits="2")["twiml"]
    assert queued["enqueue"]["waitUrl"] == "/twilio/voice/wait"
    assert queued["enqueue"]["action"] == "/twilio/voice/queue-result"
    contact = db.session.scalar(select(Contact).where(Contact.sid == sid))
    assert contact.queued_at is not None and contact.ticket.kind == "report"

    left = simulate(client, "/twilio/voice/wait", **base, QueueTime="500", QueuePosition="1")["twiml"]
    assert left["leave"] is True
    ended = simulate(client, "/twilio/voice/queue-result", **base, QueueResult="hangup", QueueTime="9")
    assert ended["twiml"]["verbs"] == []

    state = client.get(f"/dev/phone?number={CALLER}&call={sid}").get_json()
    assert state["call"]["ticket"] == contact.ticket.number and state["call"]["queued"] is True
    assert state["call"]["held"] is False
    contact.held_at = contact.queued_at  # the simulated caller is told when an operator holds them
    db.session.commit()
    assert client.get(f"/dev/phone?number={CALLER}&call={sid}").get_json()["call"]["held"] is True


def test_the_phone_inbox_lists_outbox_messages_to_that_number(client, login, make_user):
    db.session.add_all([OutboxMessage(to=CALLER, body="您的案件编号 20250610-00001", purpose="ack"),
                        OutboxMessage(to="+8613999999999", body="someone else", purpose="ack")])
    db.session.commit()
    login(make_user(role=Role.ADMIN))
    inbox = client.get("/dev/phone?number=138 0013 8000").get_json()
    assert [m["body"] for m in inbox["messages"]] == ["您的案件编号 20250610-00001"]
    [message] = inbox["messages"]
    assert (message["status"], message["purpose"]) == ("pending", "ack")  # the codes, for scripts
    zh = client.get(f"/dev/phone?number={CALLER}", headers={"Accept-Language": "zh"}).get_json()["messages"][0]
    assert (zh["status_label"], zh["purpose_label"]) == ("等待发送", "短信收到回执")  # what the page shows
    assert client.get("/dev/phone?number=nonsense").status_code == 400


def test_only_twilio_paths_and_plain_string_params(client, login, make_user):
    login(make_user(role=Role.ADMIN))
    for body in ({"path": "/calls/answer-next", "params": {}}, {"path": "/twilio/voice", "params": {"a": 1}},
                 {"path": "https://evil.test/twilio/voice", "params": {}}, {"path": "/twilio/voice"}, []):
        response = client.post("/dev/simulate", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400, body


def test_simulator_needs_sign_in_and_the_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        accounts.create_user("sim-operator", PASSWORD, Role.ADMIN)
        db.session.commit()
    client = app.test_client()
    assert client.get("/dev/simulator").status_code == 302  # to the sign-in page
    login_token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "sim-operator", "password": PASSWORD, "csrf_token": login_token})
    page_token = META_TOKEN.search(client.get("/dev/simulator").get_data(as_text=True)).group(1)
    body = json.dumps({"path": "/twilio/voice", "params": {"CallSid": call_sid(), "From": CALLER, "To": HOTLINE}})

    refused = client.post("/dev/simulate", data=body, content_type="application/json")
    accepted = client.post("/dev/simulate", data=body, content_type="application/json",
                           headers={"X-CSRFToken": page_token})

    assert refused.status_code == 400
    assert accepted.status_code == 200 and accepted.get_json()["status"] == 200


def test_page_renders_for_admins(client, login, make_user):
    login(make_user(role=Role.ADMIN))
    page = client.get("/dev/simulator").get_data(as_text=True)
    assert 'id="simulator"' in page and "simulator.js" in page and 'name="csrf-token"' in page
    assert 'id="nav-simulator"' in page


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT], ids=lambda r: r.value)
def test_other_staff_read_no_sms_and_play_no_twilio(client, login, make_user, role):
    """The inbox lists every SMS sent to any number: a department user probing for a caller's texts gets 403."""
    db.session.add(OutboxMessage(to=CALLER, body="验证码 482913（工单号 20250610-00001）", purpose="otp"))
    db.session.commit()
    login(make_user(role=role))
    inbox = client.get(f"/dev/phone?number={CALLER}")
    assert inbox.status_code == 403 and b"482913" not in inbox.data
    assert client.get("/dev/simulator").status_code == 403
    body = json.dumps({"path": "/twilio/sms", "params": {"From": CALLER, "Body": "hi"}})
    assert client.post("/dev/simulate", data=body, content_type="application/json").status_code == 403
    assert 'id="nav-simulator"' not in client.get("/").get_data(as_text=True)


def test_not_mounted_without_dev_tools(app_factory):
    app = app_factory(DEV_TOOLS=False)
    assert app.test_client().get("/dev/simulator").status_code == 404
