"""Outbound webhooks: admins register endpoints; case events reach a real HTTP receiver that
checks the signature as the module docstring tells receivers to; failures retry, then fail,
visibly in the delivery log."""

import hashlib
import hmac
import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from hotline import events, outbound_webhooks, tickets
from hotline.extensions import db
from hotline.models import (
    Category,
    CategoryGroup,
    Department,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    Role,
    Survey,
    WebhookEndpoint,
)
from hotline.timeutil import now

TOLERANCE_SECONDS = 300
PHONE = "+8613812345678"
ALL_EVENTS = ["case.created", "case.status_changed", "survey.answered"]


def verify(secret, headers, body, tolerance=TOLERANCE_SECONDS, clock=time.time):
    """A receiver's check, written from hotline.outbound_webhooks' docstring, not from its code."""
    timestamp = headers.get("X-Hotline-Timestamp", "")
    if not timestamp.isdigit() or abs(clock() - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-Hotline-Signature", ""))


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers `status` with `answer`
    as the body (and `headers`)."""

    def __init__(self):
        self.received, self.status, self.answer, self.headers = [], 204, b"", {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self):
        return [json.loads(body)["event"] for _headers, body in self.received]


@pytest.fixture
def app(app_factory):
    """The receivers below listen on 127.0.0.1, which only an explicit allow-list admits."""
    app = app_factory(WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    with app.app_context():
        yield app


@pytest.fixture
def receiver():
    rec = Receiver()
    rec.thread.start()
    yield rec
    rec.server.shutdown()
    rec.thread.join(timeout=10)
    rec.server.server_close()


def register(client, url, events=ALL_EVENTS, description="CRM"):
    """Register through the admin page; returns (endpoint, the secret shown once)."""
    response = client.post("/admin/webhooks/", data={"url": url, "description": description, "events": events})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    endpoint = db.session.scalar(select(WebhookEndpoint).order_by(WebhookEndpoint.id.desc()))
    return endpoint, secret


def rows(endpoint=None):
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.WEBHOOK)
    if endpoint is not None:
        query = query.where(OutboxMessage.webhook_endpoint_id == endpoint.id)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


@pytest.fixture
def case_with_personal_data(create_ticket):
    def make():
        dept = Department(code="MS01", name="东城市场监管所")
        cat = Category(group=CategoryGroup.GOODS, code="A01", name_zh="家用电器", name_en="Appliances")
        db.session.add_all([dept, cat])
        ticket = create_ticket(
            phone=PHONE, complainant_name="张三", complainant_phone=PHONE, complainant_address="北京市东城区某路1号",
            facts="冰箱不制冷", demand="退货", respondent_name="某电器店", id_number_masked="110105********002X",
            category=cat,
        )
        ticket.department = dept
        tickets.change_status(ticket, "accepted")
        db.session.commit()
        return ticket

    return make


def test_case_events_arrive_signed_and_verify_like_a_receiver_would(
    admin, client, receiver, case_with_personal_data
):
    endpoint, secret = register(client, receiver.url)
    ticket = case_with_personal_data()
    assert [r.purpose for r in rows(endpoint)] == ["case.created", "case.status_changed"]

    assert outbound_webhooks.dispatch_due() == {"delivered": 2}
    assert receiver.events() == ["case.created", "case.status_changed"]
    for headers, body in receiver.received:
        assert verify(secret, headers, body)
        assert not verify("wrong-" + secret, headers, body)
        assert not verify(secret, headers, body.replace(b"complaint", b"report"))
        payload = json.loads(body)
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Hotline-Event"] == payload["event"]
        assert headers["X-Hotline-Delivery"] == str(payload["delivery_id"])
    created = json.loads(receiver.received[0][1])
    changed = json.loads(receiver.received[1][1])
    assert created["case"]["number"] == ticket.number
    assert created["case"]["kind"] == "complaint"
    assert created["case"]["category"] == "A01"
    assert (changed["from_status"], changed["to_status"]) == ("new", "accepted")
    assert changed["case"]["department"] == {"code": "MS01", "name": "东城市场监管所"}
    assert all(r.status == OutboxStatus.DELIVERED and r.provider_status == "204" for r in rows(endpoint))
    assert outbound_webhooks.dispatch_due() == {}  # delivered once, not again


def test_a_replayed_request_is_refused_by_the_timestamp_window(admin, client, receiver, create_ticket):
    _endpoint, secret = register(client, receiver.url)
    create_ticket(phone=PHONE)
    outbound_webhooks.dispatch_due()
    headers, body = receiver.received[0]
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body, clock=lambda: time.time() + TOLERANCE_SECONDS + 60)
    forged = dict(headers, **{"X-Hotline-Timestamp": str(int(time.time()) + 600)})
    assert not verify(secret, forged, body, clock=lambda: time.time() + 600)


def test_no_personal_data_in_the_body(admin, client, case_with_personal_data):
    endpoint, _secret = register(client, "https://crm.example.org/in")
    case_with_personal_data()
    bodies = " ".join(r.body for r in rows(endpoint))
    for personal in ("张三", PHONE, "13812345678", "5678", "北京市东城区", "冰箱不制冷", "退货", "某电器店", "002X"):
        assert personal not in bodies


def test_a_failing_receiver_gets_retries_then_failed_and_the_log_shows_it(
    app, admin, client, receiver, create_ticket
):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=30)
    receiver.status = 500
    endpoint, _secret = register(client, receiver.url, events=["case.created"])
    create_ticket(phone=PHONE)
    moment = now()
    assert outbound_webhooks.dispatch_due(now=moment) == {"retry": 1}
    assert outbound_webhooks.dispatch_due(now=moment + timedelta(seconds=10)) == {}  # backing off
    assert outbound_webhooks.dispatch_due(now=moment + timedelta(seconds=31)) == {"retry": 1}
    assert outbound_webhooks.dispatch_due(now=moment + timedelta(seconds=95)) == {"failed": 1}
    assert len(receiver.received) == 3
    [row] = rows(endpoint)
    assert (row.status, row.attempts, row.provider_status) == (OutboxStatus.FAILED, 3, "500")

    page = client.get(f"/admin/webhooks/{endpoint.id}/deliveries", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="delivery-{row.id}" data-testid="delivery" data-status="failed"' in text
    assert '<td data-testid="http-status">500</td>' in text
    assert "HTTP 500" in text

    receiver.status = 200
    assert client.post(f"/admin/webhooks/{endpoint.id}/deliveries/{row.id}/retry").status_code == 302
    assert outbound_webhooks.dispatch_due(now=moment + timedelta(seconds=100)) == {"delivered": 1}
    assert rows(endpoint)[0].status == OutboxStatus.DELIVERED


def test_an_unreachable_receiver_is_retried(app, admin, client, create_ticket, caplog):
    endpoint, _secret = register(client, "http://127.0.0.1:9/nothing-listens?key=s3cret-k3y", events=["case.created"])
    create_ticket(phone=PHONE)
    with caplog.at_level("WARNING"):
        assert outbound_webhooks.dispatch_due() == {"retry": 1}
    [row] = rows(endpoint)
    assert row.status == OutboxStatus.PENDING and "ConnectionError" in row.last_error
    # The log names the host, not a path or query string that may carry the receiver's key.
    assert "to 127.0.0.1 failed" in caplog.text and "s3cret" not in caplog.text and "listens" not in caplog.text


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.org/x", "Only https:// addresses"),
    ("javascript:alert(1)", "Only https:// addresses"),
    ("/relative", "Only https:// addresses"),
    ("file:///etc/passwd", "Only https:// addresses"),
    ("http://example.org/in", "Only https:// addresses"),
    ("https://", "not a valid web address"),
])
def test_only_https_urls_can_be_registered(admin, client, url, message):
    response = client.post("/admin/webhooks/", data={"url": url, "events": ALL_EVENTS},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_events_are_sent_only_to_endpoints_subscribed_and_active(admin, client, create_ticket):
    created_only, _ = register(client, "https://a.example.org/", events=["case.created"])
    status_only, _ = register(client, "https://b.example.org/", events=["case.status_changed"])
    gone, _ = register(client, "https://c.example.org/", events=ALL_EVENTS)
    assert client.post(f"/admin/webhooks/{gone.id}/deactivate").status_code == 302
    ticket = create_ticket(phone=PHONE)
    tickets.change_status(ticket, "accepted")
    db.session.commit()
    assert [r.purpose for r in rows(created_only)] == ["case.created"]
    assert [r.purpose for r in rows(status_only)] == ["case.status_changed"]
    assert rows(gone) == []


def test_a_row_queued_before_deactivation_is_not_sent(admin, client, receiver, create_ticket):
    endpoint, _ = register(client, receiver.url)
    create_ticket(phone=PHONE)
    client.post(f"/admin/webhooks/{endpoint.id}/deactivate")
    assert outbound_webhooks.dispatch_due() == {"failed": 1}
    assert receiver.received == []
    assert rows(endpoint)[0].last_error == outbound_webhooks.ENDPOINT_GONE


def test_survey_answered_event(admin, client, create_ticket):
    endpoint, _ = register(client, "https://crm.example.org/in", events=["survey.answered"])
    ticket = create_ticket(phone=PHONE)
    survey = Survey(ticket=ticket, phone=PHONE, score=2, comment="张三很不满意", channel="sms")
    db.session.add(survey)
    events.send(events.survey_answered, survey=survey)
    db.session.commit()
    [row] = rows(endpoint)
    payload = json.loads(row.body)
    assert payload["event"] == "survey.answered"
    assert payload["survey"] == {"score": 2, "channel": "sms"}
    assert payload["case"]["number"] == ticket.number
    assert "张三" not in row.body and PHONE not in row.body


def test_the_secret_is_shown_once_and_rotation_replaces_it(admin, client, receiver, create_ticket):
    endpoint, first = register(client, receiver.url, events=["case.created"])
    index = client.get("/admin/webhooks/").get_data(as_text=True)
    assert receiver.url in index and first not in index
    rotated = client.post(f"/admin/webhooks/{endpoint.id}/rotate")
    second = re.search(r'id="webhook-secret">([^<]+)<', rotated.get_data(as_text=True)).group(1)
    assert second != first and rotated.headers["Cache-Control"] == "no-store"
    create_ticket(phone=PHONE)
    outbound_webhooks.dispatch_due()
    headers, body = receiver.received[0]
    assert verify(second, headers, body) and not verify(first, headers, body)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT])
def test_only_admins_reach_the_webhook_pages(make_user, login, client, role):
    login(make_user(role=role))
    assert client.get("/admin/webhooks/").status_code == 403
    assert client.post("/admin/webhooks/", data={"url": "https://x.example.org/", "events": ALL_EVENTS}).status_code == 403
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_admin_actions_are_audited(admin, client, audit_actions):
    endpoint, _ = register(client, "https://crm.example.org/in")
    client.post(f"/admin/webhooks/{endpoint.id}/rotate")
    client.post(f"/admin/webhooks/{endpoint.id}/deactivate")
    assert audit_actions("webhook_endpoint") == ["webhook_created", "webhook_secret_rotated", "webhook_deactivated"]


def test_a_survey_answer_recorded_by_followup_queues_the_event(admin, client, create_ticket):
    from followup import surveys

    endpoint, _ = register(client, "https://crm.example.org/in", events=["survey.answered"])
    ticket = create_ticket(phone=PHONE)
    surveys.record_answer(ticket, 5, comment="很好")
    db.session.commit()
    assert [json.loads(r.body)["survey"]["score"] for r in rows(endpoint)] == [5]


def test_webhook_deliveries_stay_out_of_the_case_sms_list_and_the_failed_sms_list(
    admin, client, case_with_personal_data
):
    from hotline import outbox

    register(client, "http://127.0.0.1:9/unreachable")
    ticket = case_with_personal_data()
    deliveries = rows()
    assert len(deliveries) == 2
    deliveries[0].status = OutboxStatus.FAILED
    db.session.commit()
    assert outbox.messages_of(ticket) == []
    assert outbox.failed_messages() == []


def test_an_event_no_checkbox_offers_is_refused_in_chinese(admin, client):
    """WTForms' own message for it is fuzzy in its Chinese catalogue: it showed English, quoting the value."""
    response = client.post("/admin/webhooks/", data={"url": "https://x.example.org/in", "events": ["zzz-evil"]},
                           headers={"Accept-Language": "zh"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "不是有效的选择" in page
    assert "zzz-evil" not in page and "not a valid choice" not in page
    assert db.session.scalar(select(WebhookEndpoint)) is None
