"""What every Twilio webhook shares: the signature check and the TwiML response."""

from functools import wraps

from flask import Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from hotline import inputs
from hotline.authz import public
from hotline.extensions import csrf


def signed_url():
    """The URL Twilio signed: the public base URL plus the raw path and query.

    Werkzeug's request.url decodes escapes and, behind a proxy, has another scheme and
    host, so it would not match what Twilio signed.
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        query = request.query_string.decode("latin-1")
        raw = request.path + (f"?{query}" if query else "")
    return current_app.config["PUBLIC_BASE_URL"] + raw


def signature_is_valid():
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(signed_url(), request.form, signature)


def twilio_webhook(view):
    """Refuse (403, nothing changed) any request not signed by Twilio with our auth token.

    A signed request's text is cleaned of what no stored text may hold (hotline.inputs) rather
    than refused: Twilio would retry a refusal and lose the caller's message after all."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not signature_is_valid():
            current_app.logger.warning("twilio webhook %s: bad or missing signature", request.path)
            abort(403)
        _clean_text()
        return view(*args, **{k: inputs.clean_text(v) if isinstance(v, str) else v for k, v in kwargs.items()})

    wrapper.cleans_text = True
    csrf.exempt(wrapper)
    return public(wrapper)


def _clean_text():
    """Swap the request's form and query for cleaned copies, once the signature has been checked
    on what Twilio actually sent."""
    for name in ("form", "args"):
        values = getattr(request, name)
        if not all(inputs.is_text(k) and inputs.is_text(v) for k, v in values.items(multi=True)):
            current_app.logger.warning("twilio webhook %s: control characters removed from %s", request.path, name)
            setattr(request, name, inputs.cleaned_multidict(values))


def twiml(response):
    """A TwiML VoiceResponse / MessagingResponse as text/xml."""
    return Response(str(response), mimetype="text/xml")
