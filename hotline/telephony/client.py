"""The Twilio REST client, built from config.

TWILIO_API_BASE_URL points every https://*.twilio.com request at a local server (Prism in
tests). With no account SID at all there is no client: callers use the sandbox instead.
"""

import re

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

_TWILIO_HOST = re.compile(r"^https://[A-Za-z0-9.-]+\.twilio\.com")


class LocalBaseHttpClient(TwilioHttpClient):
    """Sends what the SDK meant for api.twilio.com (any region or edge) to `base_url`."""

    def __init__(self, base_url, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        return super().request(method, _TWILIO_HOST.sub(self.base_url, url), *args, **kwargs)


def rest_client(config):
    """A twilio.rest.Client for the configured account, or None when there is no account (sandbox)."""
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not sid or not token:
        return None
    base = config.get("TWILIO_API_BASE_URL")
    http_client = LocalBaseHttpClient(base, timeout=10) if base else TwilioHttpClient(timeout=10)
    return Client(sid, token, http_client=http_client)
