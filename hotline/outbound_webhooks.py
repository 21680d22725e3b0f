"""Outbound webhooks: signed JSON POSTs about cases, delivered through the outbox.

Events: ``case.created``, ``case.status_changed``, ``survey.answered``. Each event writes
one outbox row (channel ``webhook``) per active endpoint subscribed to it, in the
transaction of the change; the scheduler's ``webhook-dispatch`` job POSTs due rows and
retries failures with the outbox's backoff (OUTBOX_MAX_ATTEMPTS, OUTBOX_BACKOFF_SECONDS)
until the row is FAILED. Delivery is at least once: a receiver dedupes on the delivery id.

The request
    POST <url>
    Content-Type: application/json
    X-Hotline-Event: case.status_changed
    X-Hotline-Delivery: 123            (the outbox row's id; the same on every retry)
    X-Hotline-Timestamp: 1764000000    (Unix seconds when this attempt was signed)
    X-Hotline-Signature: sha256=<hex>

    <hex> = lowercase hex of HMAC-SHA256(key = the endpoint's secret as UTF-8 bytes,
            message = the timestamp header's ASCII digits + "." + the raw body bytes)

To verify, a receiver takes the raw body exactly as received (before any JSON parsing),
recomputes the HMAC with its secret, compares it with ``hmac.compare_digest``, and refuses
a timestamp more than a few minutes from its own clock (a replayed request carries an old
timestamp, and changing it breaks the signature). Any 2xx answer means delivered; anything
else, a timeout or a refused connection means try again later. Redirects are not followed.

The body is UTF-8 JSON with no personal data (no phone numbers, names, ID numbers or facts):
    {"event": "case.status_changed", "delivery_id": 123, "occurred_at": "2026-11-24T08:00:00Z",
     "case": {"number": "20261124-00042", "status": "forwarded", "kind": "complaint",
              "category": "A01", "department": {"code": "MS01", "name": "..."}, "referral": null},
     "from_status": "accepted", "to_status": "forwarded"}
``survey.answered`` adds ``"survey": {"score": 1-5, "channel": "sms"}``.

A row is signed when it is sent, with the endpoint's secret at that moment: after a secret
rotation, retries of older rows carry the new signature.
"""

import calendar
import hashlib
import hmac
import json
import logging
import secrets
import ssl
from collections import Counter
from urllib.parse import urlsplit

import urllib3
from flask import current_app
from sqlalchemy import select

from hotline import audit, events, outbox, timeutil, webhook_targets
from hotline.extensions import db
from hotline.models import OutboxChannel, OutboxMessage, OutboxStatus, WebhookEndpoint

log = logging.getLogger("hotline.outbound_webhooks")

CASE_CREATED = "case.created"
STATUS_CHANGED = "case.status_changed"
SURVEY_ANSWERED = "survey.answered"
EVENTS = (CASE_CREATED, STATUS_CHANGED, SURVEY_ANSWERED)
# An endpoint's fields, as the console's form and the API twin (hotline/admin/api.py) check them.
MAX_URL, MAX_DESCRIPTION = 500, 200
ENDPOINT_GONE = "endpoint deactivated: not sent"
REFUSED_PREFIX = "refused:"

# A URL webhooks may not go to; `.reason` says why (webhook_targets' reason codes).
InvalidWebhookURL = webhook_targets.RefusedTarget


# --- signing (what a receiver recomputes) --------------------------------------------------


def signature(secret, timestamp, body):
    """The X-Hotline-Signature value for `body` (bytes) signed at `timestamp` (int seconds)."""
    message = f"{timestamp}.".encode("ascii") + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def request_headers(message, secret, timestamp):
    """The headers of one delivery attempt."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "hotline-webhooks/1",
        "X-Hotline-Event": message.purpose,
        "X-Hotline-Delivery": str(message.id),
        "X-Hotline-Timestamp": str(timestamp),
        "X-Hotline-Signature": signature(secret, timestamp, message.body.encode("utf-8")),
    }


# --- endpoints (admin services) -------------------------------------------------------------


def check_url(url):
    """`url` stripped, or InvalidWebhookURL unless it may receive webhooks (a public https
    host, or a host in WEBHOOK_ALLOWED_HOSTS). The host name is not resolved here: its
    addresses are checked at each send, since DNS answers change."""
    return webhook_targets.check_url(url, _allowed_hosts()).url


def _allowed_hosts():
    return webhook_targets.normalise_hosts(current_app.config.get("WEBHOOK_ALLOWED_HOSTS", ()))


def new_secret():
    return secrets.token_urlsafe(32)


def register_endpoint(actor, url, events, description=None, ip=None):
    """A new active endpoint with a fresh secret (audited); the caller shows the secret once."""
    chosen = [event for event in EVENTS if event in set(events)]
    endpoint = WebhookEndpoint(
        url=check_url(url), description=description or None, events=chosen, active=True,
        secret=new_secret(), created_by_id=getattr(actor, "id", None),
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(actor, "webhook_created", "webhook_endpoint", endpoint.id, ip=ip, url=endpoint.url, events=chosen)
    return endpoint


def deactivate_endpoint(actor, endpoint, ip=None):
    """Stop sending to `endpoint` (idempotent); rows still queued for it will not go out."""
    if endpoint.active:
        endpoint.active = False
        audit.record(actor, "webhook_deactivated", "webhook_endpoint", endpoint.id, ip=ip, url=endpoint.url)
        db.session.flush()
    return endpoint


def rotate_secret(actor, endpoint, ip=None):
    """Give `endpoint` a new secret at once (audited); returns it."""
    endpoint.secret = new_secret()
    audit.record(actor, "webhook_secret_rotated", "webhook_endpoint", endpoint.id, ip=ip)
    db.session.flush()
    return endpoint.secret


def list_endpoints():
    return db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.id)).all()


def deliveries(endpoint, before=None, limit=50):
    """One page of the endpoint's delivery log, newest first (ids below `before`)."""
    query = select(OutboxMessage).where(OutboxMessage.webhook_endpoint_id == endpoint.id)
    if before:
        query = query.where(OutboxMessage.id < before)
    return db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()


# --- receivers of hotline.events ----------------------------------------------------------


def init_app(app):
    """Queue a delivery for each case event the subscriptions ask for."""
    events.ticket_created.connect(on_ticket_created, sender=app)
    events.status_changed.connect(on_status_changed, sender=app)
    events.survey_answered.connect(on_survey_answered, sender=app)


def on_ticket_created(_app, ticket, actor):
    _queue(CASE_CREATED, ticket)


def on_status_changed(_app, ticket, from_status, to_status, actor):
    _queue(STATUS_CHANGED, ticket, from_status=str(from_status), to_status=str(to_status))


def on_survey_answered(_app, survey):
    _queue(SURVEY_ANSWERED, survey.ticket, survey={"score": survey.score, "channel": survey.channel})


def _subscribers(event):
    # JSON lists cannot be searched the same way on SQLite and PostgreSQL; endpoints are few.
    # Rows (id, url, events), not ORM objects: every new case asks, and usually there are none.
    active = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))
    )
    return [endpoint for endpoint in active if event in (endpoint.events or ())]


def _queue(event, ticket, **extra):
    """One outbox row per subscribed endpoint, flushed with the change that caused it."""
    endpoints = _subscribers(event)
    if not endpoints:
        return []
    moment = timeutil.now()
    payload = {"event": event, "occurred_at": moment.isoformat(timespec="seconds") + "Z",
               "case": case_summary(ticket), **extra}
    rows = []
    for endpoint in endpoints:
        row = OutboxMessage(
            channel=OutboxChannel.WEBHOOK, webhook_endpoint_id=endpoint.id, to=endpoint.url, body="",
            purpose=event, ticket=ticket, status=OutboxStatus.PENDING, attempts=0, next_attempt_at=moment,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()  # the ids are the delivery ids, carried in the body too
    for row in rows:
        row.body = json.dumps({"delivery_id": row.id, **payload}, ensure_ascii=False, separators=(",", ":"))
    db.session.flush()
    return rows


def case_summary(ticket):
    """What a receiver learns about a case: codes and states, never personal data."""
    department, referral = ticket.department, ticket.referral
    return {
        "number": ticket.number,
        "status": str(ticket.status),
        "kind": str(ticket.kind),
        "category": ticket.category.code if ticket.category else None,
        "department": {"code": department.code, "name": department.name} if department else None,
        "referral": referral.key if referral else None,
    }


# --- the dispatcher -----------------------------------------------------------------------


def dispatch_due(now=None, batch=100):
    """Deliver due webhook rows of the outbox; returns counts by outcome.

    Commits like outbox.dispatch_due. The POST happens outside any transaction: on SQLite
    every transaction holds the write lock, and a slow receiver must not block the app.
    """
    moment = now or timeutil.now()
    counts = Counter(released=outbox.release_stale(moment))
    db.session.commit()
    for _ in range(batch):
        claimed = _claim_next(moment)
        if claimed is None:
            db.session.commit()
            break
        message_id, attempt = claimed
        db.session.commit()
        outcome = _record(message_id, attempt, moment)
        counts[outcome] += 1
        db.session.commit()
    return {outcome: n for outcome, n in counts.items() if n}


def _claim_next(moment):
    """Claim the oldest due webhook row; returns (id, what the POST needs) or None."""
    message = outbox.claim_next(moment, OutboxChannel.WEBHOOK)
    return None if message is None else (message.id, _attempt(message))


def _attempt(message):
    """The request for one claimed row (None when its endpoint was deactivated)."""
    endpoint = message.webhook_endpoint
    if endpoint is None or not endpoint.active:
        return None
    timestamp = calendar.timegm(timeutil.now().utctimetuple())
    return message.to, message.body.encode("utf-8"), request_headers(message, endpoint.secret, timestamp)


def _record(message_id, attempt, moment):
    """POST one claimed row and write the outcome on it."""
    if attempt is None:
        message = db.session.get(OutboxMessage, message_id)
        message.status, message.last_error = OutboxStatus.FAILED, ENDPOINT_GONE
        return "failed"
    url, body, headers = attempt
    config = current_app.config
    try:
        # Checked again at send time: the allowed hosts may have changed since registration.
        target = webhook_targets.check_url(url, _allowed_hosts())
        answer = webhook_targets.post(target, body, headers, timeout=config.get("WEBHOOK_TIMEOUT_SECONDS", 5),
                                      ca_bundle=config.get("WEBHOOK_CA_BUNDLE") or None)
    except webhook_targets.RefusedTarget as exc:
        log.warning("webhook %s refused before sending: %s", message_id, exc.reason)
        message = db.session.get(OutboxMessage, message_id)
        message.status, message.last_error = OutboxStatus.FAILED, refused_error(exc)
        return "refused"
    except (OSError, urllib3.exceptions.HTTPError) as exc:
        error = transport_error(exc)
        log.warning("webhook %s to %s failed: %s", message_id, _host(url), error)
        return outbox.retry_later(db.session.get(OutboxMessage, message_id), error, moment)
    message = db.session.get(OutboxMessage, message_id)
    message.provider_status, message.duration_ms = str(answer.status), answer.milliseconds
    if 200 <= answer.status < 300:
        message.status, message.sent_at, message.last_error = OutboxStatus.DELIVERED, moment, None
        return "delivered"
    log.warning("webhook %s to %s answered HTTP %s", message_id, _host(url), answer.status)
    # The status only: whatever the receiver wrote back is not ours to keep or show.
    return outbox.retry_later(message, f"HTTP {answer.status}", moment)


def _host(url):
    """What a log line names of a receiver: its host, never the path or query string, where a
    receiver's own key or a caller's case number may sit."""
    return urlsplit(url).hostname or "?"


def refused_error(exc):
    """The delivery log's text for a refused target: `refused:<reason> <detail>`."""
    return f"{REFUSED_PREFIX}{exc.reason} {exc.detail}".strip()[:300]


def transport_error(exc):
    """A short, body-free description of a failed connection."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionError):
        kind = "ConnectionError"
    elif isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        kind = "Timeout"
    elif isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError):
        kind = "SSLError"
    else:
        kind = "ConnectionError"
    return f"{kind}: {exc}"[:300]
