"""Nothing secret or personal in a log line, whoever writes it.

A query string can carry a secret (Open311's `api_key` on GET) or personal data (`/search?q=` a
phone number), and any message can quote a phone number or an e-mail address (a library's
exception, a warning about a bad number). `install()` puts a record factory in front of the
logging module, so every record, from this app, werkzeug's request log, gunicorn's access log or
a library, is cleaned once as it is made: query values become `[redacted]`, phone, ID numbers and
e-mail addresses are cut by hotline.scrub, and the text of an attached exception too. Twilio
SIDs and hashes (hex) are left whole: they identify calls, not people.
"""

import logging
import re
import traceback

from hotline.scrub import scrub

REDACTED = "[redacted]"
# A query string: "?" right after a path, with at least one name=value in it.
_QUERY = re.compile(r"(?<=[^\s?])\?(?=[^\s\"'<>#?]*=)([^\s\"'<>#]*)")
_HEX = re.compile(r"\b(?:[A-Z]{2})?[0-9a-fA-F]{32,64}\b")
_FLAG = "_hotline_redacted"


def redact(text):
    """`text` with query values, phone and ID numbers and e-mail addresses taken out."""
    text = _QUERY.sub(_query, text)
    kept, last = [], 0
    for token in _HEX.finditer(text):
        if _is_hash(token.group()):
            kept += [scrub(text[last:token.start()]), token.group()]
            last = token.end()
    return "".join(kept) + scrub(text[last:])


def _is_hash(token):
    """A Twilio SID (two capitals and 32 hex) or a hex digest; all digits would be a number."""
    body = token[2:] if token[:2].isalpha() and token[:2].isupper() else token
    return re.search(r"[A-Fa-f]", body) is not None


def _query(match):
    pairs = match.group(1).split("&")
    return "?" + "&".join(f"{pair.split('=', 1)[0]}={REDACTED}" if "=" in pair else pair for pair in pairs)


def clean(record):
    """Redact a LogRecord in place: its message (formatted now) and any exception's text."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 (a bad format string is the logging module's to report)
        return record
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    return record


def install():
    """Clean every log record of this process from now on (once; later calls do nothing)."""
    current = logging.getLogRecordFactory()
    if getattr(current, _FLAG, False):
        return

    def factory(*args, **kwargs):
        return clean(current(*args, **kwargs))

    setattr(factory, _FLAG, True)
    logging.setLogRecordFactory(factory)
