"""The outbox speaks real HTTP to Twilio's API as its OpenAPI spec defines it (Prism).

Prism answers with the spec's example (one fixed SID), so each test sends one message and
asserts on the request that went out; error codes Prism cannot produce are tested with a
fake in tests/telephony/test_outbox_dispatch.py.
"""

import re
import socket

from hotline import outbox, timeutil
from hotline.extensions import db
from hotline.models import OutboxChannel, OutboxMessage, OutboxStatus
from hotline.telephony.client import rest_client
from hotline.telephony.senders import TwilioSender, sender_for

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
CALLER = "+8613800138000"
NOW = timeutil.now()


def twilio_config(app, base_url):
    return {**app.config, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "secret",
            "TWILIO_API_BASE_URL": base_url}


def reload(message):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def pending(to=CALLER, body="您的诉求已收到，工单号 20261124-00042。"):
    message = OutboxMessage(channel=OutboxChannel.SMS, to=to, body=body, purpose="ack",
                            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=NOW)
    db.session.add(message)
    db.session.commit()
    return message


def test_a_due_message_goes_to_twilio_and_records_the_sid(app, prism_url):
    sender = sender_for(twilio_config(app, prism_url))
    assert isinstance(sender, TwilioSender)
    message = outbox.queue_sms(CALLER, "您的诉求已收到，工单号 20261124-00042。", "ack")
    message.next_attempt_at = NOW
    db.session.commit()

    assert outbox.dispatch_due(sender, now=NOW) == {"sent": 1}

    message = reload(message)
    assert message.status == OutboxStatus.SENT
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.provider_sid)
    http = sender.client.http_client
    assert http._test_only_last_response.status_code == 201
    request = http._test_only_last_request
    assert request.method == "POST"
    assert request.url == f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert dict(request.data) == {
        "To": CALLER,
        "From": app.config["TWILIO_NUMBER"],
        "Body": "您的诉求已收到，工单号 20261124-00042。",
        "StatusCallback": "http://hotline.test/twilio/sms/status",
    }


def test_a_refused_request_is_retried_then_fails(app, prism_url):
    # A status callback that is not a URL (PUBLIC_BASE_URL without a scheme): Prism, like
    # Twilio, refuses it. It is our configuration, not the number: retried, then FAILED.
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    message = pending()
    sender = TwilioSender(rest_client(twilio_config(app, prism_url)), app.config["TWILIO_NUMBER"],
                          "hotline.example/twilio/sms/status")

    assert outbox.dispatch_due(sender, now=NOW) == {"retry": 1}
    message = reload(message)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.last_error == "provider:422"  # Prism answers its 422 with code 422; the row keeps the code only
    assert sender.client.http_client._test_only_last_response.status_code == 422

    assert outbox.dispatch_due(sender, now=message.next_attempt_at) == {"failed": 1}
    message = reload(message)
    assert (message.status, message.attempts, message.provider_sid) == (OutboxStatus.FAILED, 2, None)


def test_an_outage_keeps_the_message_until_twilio_is_back(app, prism_url):
    message = pending()
    closed = f"http://127.0.0.1:{_closed_port()}"
    down = sender_for(twilio_config(app, closed))

    assert outbox.dispatch_due(down, now=NOW) == {"retry": 1}
    message = reload(message)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.last_error

    back = sender_for(twilio_config(app, prism_url))
    assert outbox.dispatch_due(back, now=message.next_attempt_at) == {"sent": 1}
    assert reload(message).status == OutboxStatus.SENT


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
