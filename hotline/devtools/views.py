"""Development-only pages: the call/SMS simulator, which plays Twilio for a newcomer.

Mounted at /dev only when DEV_TOOLS is true, and for admins only: the phone's inbox shows every
SMS sent to any number, and a simulated webhook acts as Twilio. The browser never signs anything: it posts the
webhook it wants to this app, which signs it with TWILIO_AUTH_TOKEN exactly as Twilio does
and sends it through the whole WSGI stack, so the signature check runs for real.
"""

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline import phones
from hotline.authz import roles_required
from hotline.console import words
from hotline.console.outbox import STATUS_LABELS
from hotline.extensions import db
from hotline.models import Contact, OutboxMessage, Role
from hotline.timeutil import to_local

bp = Blueprint("devtools", __name__)
DEV_ROLES = (Role.ADMIN,)

_MAX_PARAMS, _MAX_VALUE = 40, 2000
_URL_ATTRS = ("action", "waitUrl", "url")


@bp.route("/simulator")
@roles_required(*DEV_ROLES)
def simulator():
    return render_template(
        "devtools/simulator.html",
        hotline_number=current_app.config.get("TWILIO_NUMBER") or "+8610012315",
        queue_timeout=current_app.config.get("QUEUE_TIMEOUT_SECONDS", 120),
        account_sid="AC" + "0" * 32,
    )


@bp.route("/simulate", methods=["POST"])
@roles_required(*DEV_ROLES)
def simulate():
    data = request.get_json(silent=True) or {}
    path, params = data.get("path"), data.get("params")
    if not _acceptable(path, params):
        abort(400)
    response = signed_dispatch(path, params)
    answer = {"status": response.status_code, "path": path}
    if response.mimetype == "text/xml" and response.status_code == 200:
        answer["twiml"] = twiml_summary(response.get_data())
    return jsonify(answer)


@bp.route("/phone")
@roles_required(*DEV_ROLES)
def phone_state():
    """The simulated phone's inbox (outbox rows to it) and its current call."""
    try:
        number = phones.normalise(request.args.get("number", ""), current_app.config["DEFAULT_PHONE_REGION"])
    except phones.InvalidPhone:
        abort(400)
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == number).order_by(OutboxMessage.id.desc()).limit(30)
    )
    return jsonify(messages=[_message(row) for row in rows], call=_call(request.args.get("call", "")[:64]))


def signed_dispatch(path, params):
    """POST `params` to `path` with the X-Twilio-Signature Twilio would compute."""
    url = current_app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return current_app.test_client().post(
        path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def twiml_summary(xml):
    """What the caller would hear and what Twilio would do next, as small JSON."""
    root = ET.fromstring(xml)  # noqa: S314 (TwiML this app just produced)
    summary = {"says": [el.text or "" for el in root.iter("Say")], "verbs": [el.tag for el in root],
               "messages": [el.findtext("Body") or el.text or "" for el in root.iter("Message")]}
    for tag in ("Gather", "Enqueue", "Record", "Dial", "Redirect"):
        found = root.find(f".//{tag}")
        if found is not None:
            summary[tag.lower()] = _attrs(found)
    summary["leave"] = root.find("Leave") is not None
    summary["hangup"] = root.find("Hangup") is not None
    return summary


def _attrs(element):
    attrs = {key: _local_path(value) if key in _URL_ATTRS else value for key, value in element.attrib.items()}
    if element.tag == "Redirect":
        attrs["url"] = _local_path(element.text or "")
    number = element.find("Number")
    if number is not None:
        attrs["number"], attrs["numberUrl"] = number.text, _local_path(number.get("url", ""))
    return attrs


def _local_path(url):
    base = current_app.config["PUBLIC_BASE_URL"]
    return url[len(base):] if url.startswith(base + "/") else url


def _acceptable(path, params):
    return (
        isinstance(path, str) and path.startswith("/twilio/") and len(path) < 300 and ".." not in path
        and isinstance(params, dict) and len(params) <= _MAX_PARAMS
        and all(isinstance(k, str) and isinstance(v, str) and len(k) < 64 and len(v) <= _MAX_VALUE
                for k, v in params.items())
    )


def _message(row):
    """One text on the phone: its codes, and the words the page shows for them (the console's)."""
    local = to_local(row.created_at, current_app.config["HOTLINE_TIMEZONE"])
    return {"id": row.id, "body": row.body or "", "status": row.status.value, "purpose": row.purpose,
            "status_label": str(STATUS_LABELS.get(row.status, row.status.value)),
            "purpose_label": words.coded(row.purpose, "purpose") if row.purpose else "",
            "at": local.strftime("%H:%M:%S")}


def _call(sid):
    contact = db.session.scalar(select(Contact).where(Contact.sid == sid)) if sid else None
    if contact is None:
        return None
    return {
        "ticket": contact.ticket.number if contact.ticket else None,
        "queued": contact.queued_at is not None,
        "answered_by": contact.answered_by.display_name if contact.answered_at and contact.answered_by else None,
        "ended": contact.ended_at is not None,
        "held": contact.held_at is not None,
    }
