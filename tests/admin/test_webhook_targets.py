"""Outbound webhooks tried as an attacker with an admin session would: internal targets are
refused when registered and again when sent (after DNS, which can change), the connection goes
to the address that was checked, and nothing a receiver answers is kept or shown.

No test here opens a connection to anything but 127.0.0.1: a guard records every connection the
webhook client attempts and refuses those to any other address, so a regression shows as a
failed assertion, never as traffic to a private network."""

import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.util.connection
from sqlalchemy import select

from hotline import outbound_webhooks
from hotline.extensions import db
from hotline.models import OutboxStatus, WebhookEndpoint
from tests.admin.test_outbound_webhooks import ALL_EVENTS, PHONE, Receiver, register, rows
from tests.conftest import require

ENGLISH = {"Accept-Language": "en"}
PRIVATE = "private, link-local, multicast or reserved"

# (url, the English message's distinctive words) for every form of internal target in issue 13.
FORBIDDEN = [
    ("https://127.0.0.1/hook", PRIVATE),
    ("https://127.8.9.10/hook", PRIVATE),
    ("https://[::1]/hook", PRIVATE),
    ("https://10.1.2.3/hook", PRIVATE),
    ("https://172.16.0.9/hook", PRIVATE),
    ("https://172.31.255.1/hook", PRIVATE),
    ("https://192.168.1.10/hook", PRIVATE),
    ("https://100.64.0.1/hook", PRIVATE),
    ("https://169.254.169.254/latest/meta-data/", PRIVATE),
    ("https://[fe80::1]/hook", PRIVATE),
    ("https://[fc00::1]/hook", PRIVATE),
    ("https://[fd12:3456:789a::1]/hook", PRIVATE),
    ("https://[fec0::1]/hook", PRIVATE),
    ("https://224.0.0.251/hook", PRIVATE),
    ("https://[ff02::1]/hook", PRIVATE),
    ("https://0.0.0.0/hook", PRIVATE),
    ("https://[::]/hook", PRIVATE),
    ("https://240.0.0.1/hook", PRIVATE),
    ("https://255.255.255.255/hook", PRIVATE),
    ("https://[::ffff:127.0.0.1]/hook", PRIVATE),
    ("https://[::ffff:169.254.169.254]/hook", PRIVATE),
    ("https://[::ffff:a00:1]/hook", PRIVATE),
    ("https://[2002:a00:1::1]/hook", PRIVATE),  # 6to4 around 10.0.0.1
    ("https://[64:ff9b::7f00:1]/hook", PRIVATE),  # NAT64 around 127.0.0.1
    ("https://2130706433/hook", "four decimal numbers"),
    ("https://0x7f000001/hook", "four decimal numbers"),
    ("https://017700000001/hook", "four decimal numbers"),
    ("https://127.1/hook", "four decimal numbers"),
    ("https://0x7f.0.0.1/hook", "four decimal numbers"),
    ("https://0177.0.0.1/hook", "four decimal numbers"),
    ("https://１２７.０.０.１/hook", PRIVATE),  # full-width digits fold to 127.0.0.1
    ("https://localhost/hook", "local or internal host name"),
    ("https://LOCALHOST./hook", "local or internal host name"),
    ("https://ｌｏｃａｌｈｏｓｔ/hook", "local or internal host name"),
    ("https://api.localhost/hook", "local or internal host name"),
    ("https://metadata.google.internal/computeMetadata/v1/", "local or internal host name"),
    ("https://metadata/computeMetadata/v1/", "local or internal host name"),
    ("https://instance-data/latest/meta-data/", "local or internal host name"),
    ("https://instance-data.ec2.internal/latest/", "local or internal host name"),
    ("https://printer.local/hook", "local or internal host name"),
    ("https://intranet/hook", "local or internal host name"),
    ("https://user:pass@crm.example.org/hook", "user name and password"),
    ("https://token@crm.example.org/hook", "user name and password"),
    ("https://crm.example.org\\@127.0.0.1/hook", "user name and password"),
    ("http://crm.example.org/hook", "Only https://"),
    ("http://127.0.0.1:8080/hook", "Only https://"),
    ("https://[fe80::1%25eth0]/hook", "not a valid web address"),
    ("https://crm.example.org:99999/hook", "not a valid web address"),
    ("https://crm.example.org/hook\r\nX-Injected: 1", "not a valid web address"),
    ("https://crm.example.org/a b", "not a valid web address"),
]


class Connections:
    """Every connection the webhook client attempts: (host, port). Only 127.0.0.1 is really
    opened; anything else is recorded and refused."""

    def __init__(self, monkeypatch):
        self.attempts = []
        real = urllib3.util.connection.create_connection

        def guarded(address, *args, **kwargs):
            self.attempts.append(address)
            if address[0] != "127.0.0.1":
                raise ConnectionRefusedError(f"test guard: no connection to {address[0]}")
            return real(address, *args, **kwargs)

        monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)
        monkeypatch.setattr(urllib3.connection.connection, "create_connection", guarded)


@pytest.fixture
def connections(monkeypatch):
    return Connections(monkeypatch)


class FakeDNS:
    """socket.getaddrinfo answering chosen addresses for chosen names (a list per name: one
    answer per lookup, the last repeated); every other name or address resolves as usual."""

    def __init__(self, monkeypatch):
        self.answers, self.lookups = {}, []
        real = socket.getaddrinfo

        def fake(host, port, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(name)
            queue = self.answers[name]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port or 0, 0, 0) if ":" in a else (a, port or 0))
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", fake)

    def set(self, name, *answers):
        self.answers[name] = [list(a) for a in answers]


@pytest.fixture
def dns(monkeypatch):
    return FakeDNS(monkeypatch)


@pytest.fixture
def receiver():
    rec = Receiver()
    rec.thread.start()
    yield rec
    rec.server.shutdown()
    rec.thread.join(timeout=10)
    rec.server.server_close()


def _endpoint(url, events=("case.created",)):
    """An endpoint written straight to the database: one registered before these checks, or
    under an allow-list since shortened."""
    endpoint = WebhookEndpoint(url=url, events=list(events), active=True, secret="s" * 32)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def test_each_internal_target_is_refused_at_registration_with_a_clear_message(admin, client):
    wrong = []
    for url, message in FORBIDDEN:
        response = client.post("/admin/webhooks/", data={"url": url, "events": ALL_EVENTS}, headers=ENGLISH)
        if response.status_code != 400 or message not in response.get_data(as_text=True):
            wrong.append((url, response.status_code))
    assert wrong == []
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_the_refusal_is_in_chinese_on_the_chinese_form(admin, client):
    response = client.post("/admin/webhooks/", data={"url": "https://169.254.169.254/", "events": ALL_EVENTS},
                           headers={"Accept-Language": "zh"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "公网" in page and "webhooks go to public" not in page


def test_each_internal_target_is_refused_at_send_time_and_nothing_is_sent(admin, client, create_ticket, connections):
    endpoints = [_endpoint(url) for url, _message in FORBIDDEN]
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"refused": len(FORBIDDEN)}
    assert connections.attempts == []
    for endpoint in endpoints:
        [row] = rows(endpoint)
        assert row.status == OutboxStatus.FAILED and row.attempts == 1, endpoint.url
        assert row.last_error.startswith(outbound_webhooks.REFUSED_PREFIX), endpoint.url
    log = client.get(f"/admin/webhooks/{endpoints[0].id}/deliveries", headers=ENGLISH).get_data(as_text=True)
    assert "Not sent:" in log and "127.0.0.1" in log


@pytest.mark.parametrize("answer", [
    ["10.0.0.5"], ["169.254.169.254"], ["127.0.0.1"], ["::1"], ["::ffff:192.168.0.1"], ["100.64.1.1"],
    ["fd00::5"], ["93.184.216.34", "10.0.0.5"],  # one bad address among good ones is enough
])
def test_a_public_name_that_resolves_to_an_internal_address_is_refused_when_sending(
    admin, client, create_ticket, connections, dns, answer
):
    endpoint, _secret = register(client, "https://hooks.example.org/in", events=["case.created"])
    dns.set("hooks.example.org", answer)
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"refused": 1}
    assert connections.attempts == []  # nothing sent, not even a connection opened
    [row] = rows(endpoint)
    assert row.status == OutboxStatus.FAILED
    log = client.get(f"/admin/webhooks/{endpoint.id}/deliveries", headers=ENGLISH).get_data(as_text=True)
    bad = next(a for a in answer if a != "93.184.216.34")
    assert "Not sent:" in log and bad.replace("::ffff:", "") in log


def test_the_connection_goes_to_the_address_checked_not_to_a_second_dns_answer(
    admin, client, create_ticket, connections, dns
):
    endpoint, _secret = register(client, "https://hooks.example.org:8443/in", events=["case.created"])
    # A rebinding DNS: public on the first lookup, internal on any later one.
    dns.set("hooks.example.org", ["93.184.216.34"], ["10.0.0.5"])
    create_ticket(phone=PHONE)
    outbound_webhooks.dispatch_due()
    assert dns.lookups == ["hooks.example.org"]  # resolved once, by the check ...
    assert connections.attempts == [("93.184.216.34", 8443)]  # ... and connected to what it checked
    [row] = rows(endpoint)
    assert row.status == OutboxStatus.PENDING and "ConnectionError" in row.last_error  # the guard refused it


def test_a_pinned_delivery_keeps_the_host_name_in_the_host_header(
    app, admin, client, create_ticket, dns, receiver, connections
):
    app.config.update(WEBHOOK_ALLOWED_HOSTS=["receiver.test"])
    port = receiver.server.server_port
    dns.set("receiver.test", ["127.0.0.1"], ["127.0.0.2"])  # a second lookup would miss the receiver
    endpoint, _secret = register(client, f"http://receiver.test:{port}/in", events=["case.created"])
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"delivered": 1}
    assert dns.lookups == ["receiver.test"]
    assert connections.attempts == [("127.0.0.1", port)]
    [(headers, _body)] = receiver.received
    assert headers["Host"] == f"receiver.test:{port}"
    [row] = rows(endpoint)
    assert row.provider_status == "204" and row.duration_ms is not None


def test_a_local_receiver_works_only_when_the_allow_list_names_it(
    app, admin, client, receiver, create_ticket, connections
):
    assert app.config["WEBHOOK_ALLOWED_HOSTS"] == []
    refused = client.post("/admin/webhooks/", data={"url": receiver.url, "events": ALL_EVENTS}, headers=ENGLISH)
    assert refused.status_code == 400
    before = _endpoint(receiver.url)  # registered before the allow-list was shortened
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"refused": 1}
    assert receiver.received == [] and connections.attempts == []

    app.config.update(WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    after, _secret = register(client, receiver.url, events=["case.created"])
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"delivered": 2}
    assert len(receiver.received) == 2
    assert [r.status for r in rows(before)] == [OutboxStatus.FAILED, OutboxStatus.DELIVERED]
    assert [r.status for r in rows(after)] == [OutboxStatus.DELIVERED]


def test_the_delivery_log_keeps_status_and_time_never_the_answer(app, admin, client, receiver, create_ticket):
    app.config.update(WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    receiver.status, receiver.answer = 500, b'{"db_password": "hunter2-internal", "stack": "Traceback ..."}'
    endpoint, _secret = register(client, receiver.url, events=["case.created"])
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"retry": 1}
    [row] = rows(endpoint)
    assert (row.provider_status, row.last_error) == ("500", "HTTP 500")
    assert row.duration_ms is not None and row.duration_ms >= 0
    log = client.get(f"/admin/webhooks/{endpoint.id}/deliveries", headers=ENGLISH).get_data(as_text=True)
    assert "hunter2" not in log and "Traceback" not in log
    assert f"{row.duration_ms} ms" in log


def test_a_redirect_is_not_followed(app, admin, client, create_ticket):
    app.config.update(WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    first, second = Receiver(), Receiver()
    for rec in (first, second):
        rec.thread.start()
    try:
        first.status, first.headers = 307, {"Location": second.url}
        endpoint, _secret = register(client, first.url, events=["case.created"])
        create_ticket(phone=PHONE)
        assert outbound_webhooks.dispatch_due() == {"retry": 1}
        assert len(first.received) == 1 and second.received == []
        assert rows(endpoint)[0].last_error == "HTTP 307"
    finally:
        for rec in (first, second):
            rec.server.shutdown()
            rec.server.server_close()


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver on 127.0.0.1 whose certificate names hooks.test (self-signed: the test
    hands it to the app as its CA bundle)."""
    require("openssl", shutil.which("openssl"), "makes the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 (fixed argv)
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hooks.test",
         "-addext", "subjectAltName=DNS:hooks.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(self.headers.get("Host"))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, str(cert), received
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_tls_to_a_pinned_address_checks_the_certificate_against_the_url_host(
    app, admin, client, create_ticket, dns, tls_receiver
):
    port, ca_bundle, received = tls_receiver
    app.config.update(WEBHOOK_ALLOWED_HOSTS=["hooks.test", "other.test"], WEBHOOK_CA_BUNDLE=ca_bundle)
    dns.set("hooks.test", ["127.0.0.1"])
    dns.set("other.test", ["127.0.0.1"])
    good, _secret = register(client, f"https://hooks.test:{port}/in", events=["case.created"])
    wrong_name, _secret = register(client, f"https://other.test:{port}/in", events=["case.created"])
    create_ticket(phone=PHONE)
    assert outbound_webhooks.dispatch_due() == {"delivered": 1, "retry": 1}
    assert received == [f"hooks.test:{port}"]  # SNI and Host carry the name, the socket the address
    assert rows(good)[0].status == OutboxStatus.DELIVERED
    failed = rows(wrong_name)[0]
    assert failed.status == OutboxStatus.PENDING and "SSL" in failed.last_error  # the certificate is for hooks.test
