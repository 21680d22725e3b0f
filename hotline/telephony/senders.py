"""Who actually sends an outbox SMS: Twilio, or the sandbox when there is no account.

A sender has one method, send(message) -> provider SID; it raises PermanentSendError when
retrying cannot help and any other exception when it might (the dispatcher backs off).
"""

import secrets

from twilio.base.exceptions import TwilioRestException

from hotline.outbox import PermanentSendError
from hotline.telephony.client import rest_client

# Refusals about the recipient itself: retrying cannot help. (21211 invalid To, 21214 To
# unreachable, 21610 unsubscribed at the carrier, 21612 cannot route, 21614 not a mobile.)
# Every other refusal, even a 4xx, may be our configuration (credentials, a bad callback
# URL, a region not enabled) and would hit every message alike: those wait and retry.
_PERMANENT_CODES = frozenset({21211, 21214, 21610, 21612, 21614})


class TwilioSender:
    def __init__(self, client, from_number, status_callback_url=None):
        self.client = client
        self.from_number = from_number
        self.status_callback_url = status_callback_url

    def send(self, message):
        """Create the message at Twilio and return its SID."""
        extra = {"status_callback": self.status_callback_url} if self.status_callback_url else {}
        try:
            created = self.client.messages.create(
                to=message.to, from_=self.from_number, body=message.body, **extra
            )
        except TwilioRestException as exc:
            if exc.code in _PERMANENT_CODES:
                raise PermanentSendError(f"provider:{exc.code}") from exc
            raise
        return created.sid


class SandboxSender:
    """No Twilio account: the outbox row itself is the store the dev simulator shows."""

    def send(self, message):
        """Pretend to send; return a SID shaped like Twilio's."""
        return "SM" + secrets.token_hex(16)


def sender_for(config):
    """A TwilioSender when the account is configured, else the SandboxSender."""
    client = rest_client(config)
    if client is None:
        return SandboxSender()
    base = config.get("PUBLIC_BASE_URL", "")
    callback = f"{base}/twilio/sms/status" if base else None
    return TwilioSender(client, config.get("TWILIO_NUMBER", ""), callback)
