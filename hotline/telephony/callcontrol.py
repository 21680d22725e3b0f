"""Live-call control: move a caller who is on the line right now.

Unlike SMS, this happens inside the operator's request on purpose: a person is waiting on the
line and an outbox round-trip would only make them wait longer. With no Twilio account the
sandbox performs the bridge at once, the way the whisper callback would.
"""

import logging
import secrets
from collections import deque
from datetime import UTC, datetime

import requests
from flask import current_app, url_for
from twilio.base.exceptions import TwilioException

from hotline import calls
from hotline.telephony.client import rest_client

log = logging.getLogger(__name__)


class CallControlError(RuntimeError):
    """Twilio refused or could not be reached; the call was not moved."""


def public_url(endpoint, **values):
    """An absolute URL Twilio can reach: PUBLIC_BASE_URL plus the endpoint's path."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **values)


def call_control(config):
    """Twilio's REST API when the account is configured, else the sandbox."""
    client = rest_client(config)
    return TwilioCallControl(client) if client is not None else SandboxCallControl()


class TwilioCallControl:
    def __init__(self, rest_client):
        self.client = rest_client

    def connect(self, contact, user):
        """Redirect the caller's live call to TwiML that dials `user`'s phone."""
        url = public_url("voice.connect", contact_id=contact.id, user_id=user.id)
        try:
            self.client.calls(contact.sid).update(url=url, method="POST")
        except (TwilioException, requests.RequestException) as exc:
            log.warning("redirecting call %s to operator %s failed: %s", contact.sid, user.id, exc)
            raise CallControlError(str(exc)) from exc
        return False

    def place_call(self, to, url, status_callback=None):
        """Call `to` from the hotline's number; Twilio fetches `url` for the call's TwiML when
        it is answered. Returns the new call's SID."""
        params = {"to": to, "from_": current_app.config["TWILIO_NUMBER"], "url": url, "method": "POST"}
        if status_callback:
            params.update(status_callback=status_callback, status_callback_method="POST")
        try:
            return self.client.calls.create(**params).sid
        except (TwilioException, requests.RequestException) as exc:
            log.warning("placing a call to %s failed: %s", to[-4:], exc)
            raise CallControlError(str(exc)) from exc

    def redirect(self, sid, url):
        """Send a live call to new TwiML at `url` (its other party, if dialled, is dropped)."""
        try:
            self.client.calls(sid).update(url=url, method="POST")
        except (TwilioException, requests.RequestException) as exc:
            log.warning("redirecting call %s failed: %s", sid, exc)
            raise CallControlError(str(exc)) from exc

    def hold(self, contact):
        """Move the caller's live call to the hold TwiML (the operator's dialled leg drops);
        resuming is `connect` again, which dials the operator's phone."""
        self.redirect(contact.sid, public_url("voice.on_hold", contact_id=contact.id))

    def hang_up(self, contact):
        """End the caller's live call: Twilio's way is Status=completed on the call, which also
        drops the operator's leg dialled from it; the final status callback follows. Returns None,
        or (final status, end time) when the call had already ended at Twilio."""
        try:
            self.client.calls(contact.sid).update(status="completed")
        except (TwilioException, requests.RequestException) as exc:
            ended = self._ended(contact.sid)
            if ended:
                # Refused because the call is over: its final status callback was lost or is
                # late. Without this the call stayed on the operator's bar, and kept them from
                # answering, until the callback came or ON_CALL_HOURS passed.
                log.info("call %s had already ended at Twilio (%s)", contact.sid, ended[0])
                return ended
            log.warning("hanging up call %s failed: %s", contact.sid, exc)
            raise CallControlError(str(exc)) from exc
        return None

    def _ended(self, sid):
        """(final status, end time as naive UTC or None) of a call that is over at Twilio; None
        while it is not, or when Twilio cannot be asked."""
        try:
            call = self.client.calls(sid).fetch()
        except (TwilioException, requests.RequestException):
            return None
        status = getattr(call.status, "value", call.status)  # the SDK's enum, or a plain string
        if status not in calls.FINAL_STATUSES:
            return None
        end = getattr(call, "end_time", None)  # Twilio's own record: the talk time stays true
        return status, end.astimezone(UTC).replace(tzinfo=None) if isinstance(end, datetime) else None


class SandboxCallControl:
    """No Twilio account: remember what would have been sent and bridge at once."""

    performed = deque(maxlen=100)

    def connect(self, contact, user):
        """Bridge as if the operator had picked up; True means the call is answered already."""
        url = public_url("voice.connect", contact_id=contact.id, user_id=user.id)
        self.performed.append({"call": contact.sid, "update": {"url": url, "method": "POST"}})
        log.info("sandbox: would redirect call %s to %s", contact.sid, url)
        calls.bridge(contact, user)
        return True

    def place_call(self, to, url, status_callback=None):
        """Remember the call that would have been placed; a made-up SID stands for Twilio's."""
        sid = "CA" + secrets.token_hex(16)
        self.performed.append({"call": sid, "create": {"to": to, "url": url, "status_callback": status_callback}})
        log.info("sandbox: would call %s with %s", to[-4:], url)
        return sid

    def redirect(self, sid, url):
        self.performed.append({"call": sid, "update": {"url": url, "method": "POST"}})
        log.info("sandbox: would redirect call %s to %s", sid, url)

    def hold(self, contact):
        self.redirect(contact.sid, public_url("voice.on_hold", contact_id=contact.id))

    def hang_up(self, contact):
        """Remember the hang-up; the view ends the call here as Twilio's callback would
        (hotline.calls.hung_up), and the Simulator's caller sees it ended at its next poll."""
        self.performed.append({"call": contact.sid, "update": {"status": "completed"}})
        log.info("sandbox: would hang up call %s", contact.sid)
        return None
