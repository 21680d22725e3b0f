"""Open311 services: api keys, our categories as GeoReport services, cases as service requests.

Services take plain arguments and return domain objects or plain dicts; they flush, the view
commits. A refused request raises Open311Error carrying the spec's HTTP code.
"""

import hashlib
import math
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hotline import audit, inputs, phones, tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import (
    OPEN_STATUSES,
    Category,
    CategoryGroup,
    Channel,
    Clock,
    ClockState,
    Open311Key,
    Open311Request,
    Ticket,
    TicketKind,
    TicketStatus,
)
from hotline.open311.formats import format_datetime, parse_datetime
from hotline.questions import questions_for
from hotline.scrub import scrub
from hotline.timeutil import now, to_local

SERVICE_GROUPS = (CategoryGroup.GOODS, CategoryGroup.SERVICES)
MAX_DESCRIPTION = 4000  # the spec's limit
MAX_ANSWER = 500
MAX_NAME = 120  # tickets.complainant_name
MAX_IDS = 100
YES_NO = [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]
DATATYPES = {"text": "string", "date": "datetime", "yesno": "singlevaluelist"}


class Open311Error(Exception):
    """A request the spec says to refuse, with its HTTP status and what to tell the client."""

    def __init__(self, code, description):
        super().__init__(description)
        self.code, self.description = code, description


# ---- api keys -----------------------------------------------------------------------------

def hash_key(plain):
    return hashlib.sha256(plain.encode()).hexdigest()


def list_keys():
    """Every api key, newest first."""
    return db.session.scalars(select(Open311Key).order_by(Open311Key.id.desc())).all()


def issue_key(actor, name, requests_per_minute, ip=None):
    """A new api key; returns (plain, key). Only its SHA-256 is stored."""
    plain = "o311_" + secrets.token_urlsafe(24)
    key = Open311Key(name=name, key_hash=hash_key(plain), prefix=plain[:10],
                     requests_per_minute=requests_per_minute, created_by_id=getattr(actor, "id", None))
    db.session.add(key)
    db.session.flush()
    audit.record(actor, "open311_key_created", "open311_key", key.id, ip=ip, prefix=key.prefix, name=name)
    return plain, key


def set_rate(actor, key, requests_per_minute, ip=None):
    """Change how many requests a minute the key may make, audited."""
    if key.requests_per_minute != requests_per_minute:
        audit.record(actor, "open311_key_rate", "open311_key", key.id, ip=ip,
                     before=key.requests_per_minute, after=requests_per_minute)
        key.requests_per_minute = requests_per_minute
        db.session.flush()
    return key


def revoke_key(actor, key, ip=None):
    """Revoke a key (idempotent), audited the first time."""
    if key.revoked_at is None:
        key.revoked_at = now()
        audit.record(actor, "open311_key_revoked", "open311_key", key.id, ip=ip, prefix=key.prefix)
        db.session.flush()
    return key


def key_for(plain):
    """The key for a plain api_key, or Open311Error 403 when unknown or revoked."""
    key = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == hash_key(plain))) if plain else None
    if key is None:
        raise Open311Error(403, "api_key is invalid" if plain else "api_key was not provided")
    if key.revoked_at is not None:
        raise Open311Error(403, "api_key was revoked")
    return key


def mark_used(key):
    """Keep the key's last use, at most once a minute so reads do not write on every call."""
    moment = now()
    if key.last_used_at is None or moment - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = moment
        db.session.flush()


# ---- services -----------------------------------------------------------------------------

def _service_query():
    return (select(Category).where(Category.group.in_(SERVICE_GROUPS), Category.parent_id.is_not(None),
                                   Category.active.is_(True)).options(selectinload(Category.parent)))


def list_services():
    """The categories a case can be filed under (goods and services classes), in the console's order."""
    return db.session.scalars(_service_query().order_by(Category.group, Category.position, Category.code)).all()


def find_service(code):
    """The active class with this service_code, or Open311Error 404."""
    category = db.session.scalar(_service_query().where(Category.code == code)) if code else None
    if category is None:
        raise Open311Error(404, f"service_code {code} was not found")
    return category


def service_json(category, locale):
    """One service as the spec lists it; every class has attributes (at least the problem type)."""
    return {
        "service_code": category.code,
        "service_name": category.name(locale),
        "description": f"{category.parent.name(locale)}: {category.name(locale)}",
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([category.name_zh, category.name_en, category.code])),
        "group": category.parent.name(locale),
    }


def _questions(category):
    """The intake form's own list: the category's live copy, else the defaults."""
    return questions_for(category)


def _problem_types():
    return db.session.scalars(
        select(Category).where(Category.group == CategoryGroup.PROBLEM, Category.parent_id.is_not(None),
                               Category.active.is_(True)).order_by(Category.position, Category.code)
    ).all()


def attributes(category, locale):
    """What the intake form asks for this class, as Open311 attribute definitions."""
    found = [{
        "variable": True, "code": "problem_type", "datatype": "singlevaluelist", "required": False,
        "datatype_description": None, "order": 1,
        "description": "What went wrong" if locale == "en" else "问题类型",
        "values": [{"key": p.code, "name": p.name(locale)} for p in _problem_types()],
    }]
    for order, question in enumerate(_questions(category), start=2):
        kind = question.get("type", "text")
        found.append({
            "variable": True, "code": question["code"], "datatype": DATATYPES.get(kind, "string"),
            "required": bool(question.get("required")),
            "datatype_description": "YYYY-MM-DD" if kind == "date" else None, "order": order,
            "description": question.get("en") if locale == "en" else question.get("zh") or question.get("en"),
            **({"values": YES_NO} if kind == "yesno" else {}),
        })
    return found


def service_definition(category, locale):
    return {"service_code": category.code, "attributes": attributes(category, locale)}


# ---- creating a request -------------------------------------------------------------------

def _coordinate(raw, name, limit):
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{name} must be a number between -{limit} and {limit}")
    return value


def _location(values):
    lat, long = values.get("lat"), values.get("long")
    if (lat is None) != (long is None):
        raise Open311Error(400, "lat and long must be given together")
    if lat is None and not values.get("address_string") and not values.get("address_id"):
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    if lat is None:
        return None, None
    return _coordinate(lat, "lat", 90), _coordinate(long, "long", 180)


def _answer(definition, value):
    if isinstance(value, list) or len(value) > MAX_ANSWER:
        return "must be one value of at most 500 characters"
    if "values" in definition and value not in {v["key"] for v in definition["values"]}:
        return "must be one of " + ", ".join(v["key"] for v in definition["values"])
    if definition["datatype"] == "datetime" and inputs.parse_date(value) is None:
        return "must be a date, YYYY-MM-DD"
    return None


def _answers(category, posted):
    """(problem type, question answers) from attribute[code] values, or Open311Error 400."""
    defined = {a["code"]: a for a in attributes(category, "en")}
    for code, value in posted.items():
        if code not in defined:
            raise Open311Error(400, f"attribute[{code}] is not an attribute of service_code {category.code}")
        problem = _answer(defined[code], value) if value != "" else None
        if problem:
            raise Open311Error(400, f"attribute[{code}] {problem}")
    missing = [code for code, a in defined.items() if a["required"] and not posted.get(code)]
    if missing:
        raise Open311Error(400, "required attribute missing: " + ", ".join(f"attribute[{c}]" for c in missing))
    answers = {code: value for code, value in posted.items() if code != "problem_type" and value}
    problem_code = posted.get("problem_type")
    problem = db.session.scalar(select(Category).where(Category.code == problem_code)) if problem_code else None
    return problem, answers or None


def _text(values, name, limit):
    value = (values.get(name) or "").strip()
    if len(value) > limit or "\x00" in value:
        raise Open311Error(400, f"{name} must be text of at most {limit} characters")
    return value or None


def _contact(values, phone_region):
    phone = _text(values, "phone", 40)
    if phone:
        try:
            phone = phones.normalise(phone, phone_region)
        except phones.InvalidPhone as exc:
            raise Open311Error(400, "phone is not a phone number") from exc
    email = _text(values, "email", 254)
    if email and not re.match(r"^[^@\s]+@[^@\s]+$", email):
        raise Open311Error(400, "email is not an email address")
    media_url = _text(values, "media_url", 1000)
    if media_url and not re.match(r"^https?://", media_url):
        raise Open311Error(400, "media_url must be an http or https URL")
    return phone, email, media_url


def _staff_note(o311):
    """Where the filer says the problem is, for the operator's timeline (never for a GET)."""
    parts = [f"address: {o311.address_string}" if o311.address_string else None,
             f"lat/long: {o311.lat}, {o311.long}" if o311.lat is not None else None,
             f"media: {o311.media_url}" if o311.media_url else None]
    return "Open311 request. " + "; ".join(p for p in parts if p)


def create_request(values, posted_attributes, key, phone_region):
    """Open a case from a POSTed service request: category from service_code, the description
    as its facts, attributes as the category's answers; the filer's details kept apart."""
    if not values.get("service_code"):
        raise Open311Error(400, "service_code was not provided")
    category = find_service(values["service_code"])
    lat, long = _location(values)
    description = _text(values, "description", MAX_DESCRIPTION)
    phone, email, media_url = _contact(values, phone_region)
    first, last = _text(values, "first_name", 120), _text(values, "last_name", 120)
    if len(first or "") + len(last or "") > MAX_NAME - 1:  # kept as "last first" in the case's name
        raise Open311Error(400, f"first_name and last_name together must be at most {MAX_NAME - 1} characters")
    problem, answers = _answers(category, posted_attributes)
    # Every value checked before anything is written: a refusal must leave nothing behind.
    address = _text(values, "address_string", 1000)
    device_id, account_id = _text(values, "device_id", 120), _text(values, "account_id", 120)
    caller = tickets.find_or_create_caller(phone) if phone else None
    name = " ".join(part for part in (last, first) if part) or None
    ticket = tickets.open_ticket(
        Channel.OPEN311, caller=caller, category_id=category.id, problem_type_id=getattr(problem, "id", None),
        facts=description, answers=answers, complainant_name=name, complainant_phone=phone,
    )
    o311 = Open311Request(
        ticket_id=ticket.id, key_id=key.id, token=secrets.token_urlsafe(16), service_code=category.code,
        address_string=address, lat=lat, long=long, first_name=first,
        last_name=last, email=email, device_id=device_id,
        account_id=account_id, media_url=media_url, attributes=posted_attributes or None,
    )
    db.session.add(o311)
    tickets.add_note(ticket, _staff_note(o311), None)
    db.session.flush()
    return ticket, o311


def created_json(ticket, notice):
    """The POST answer: realtime, so the case number and no token (the spec allows one of them)."""
    return {"service_request_id": ticket.number, "service_notice": notice, "account_id": None}


def token_json(token):
    """The case a token stands for, or Open311Error 404."""
    row = db.session.scalar(select(Open311Request).where(Open311Request.token == token)
                            .options(selectinload(Open311Request.ticket)))
    if row is None:
        raise Open311Error(404, f"token {token} was not found")
    return {"service_request_id": row.ticket.number, "token": row.token}


# ---- reading requests ---------------------------------------------------------------------

def _codes(raw):
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _date_range(start_raw, end_raw, max_days):
    try:
        start = parse_datetime(start_raw) if start_raw else None
        end = parse_datetime(end_raw) if end_raw else None
    except ValueError as exc:
        raise Open311Error(400, "start_date and end_date must be W3C datetimes, e.g. 2010-01-01T00:00:00Z") from exc
    span = timedelta(days=max_days)
    end = end or (start + span if start else now())
    start = start or end - span
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > span:
        raise Open311Error(400, f"start_date to end_date may not span more than {max_days} days")
    return start, end


def _statuses(raw):
    wanted = set(_codes(raw))
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed (comma separated)")
    return wanted


# Cases that came in by phone or SMS are never public, whatever OPEN311_LISTED_CHANNELS says.
NEVER_LISTED = frozenset({Channel.VOICE, Channel.SMS})


def listed_channels(configured):
    """The channels whose cases Open311 GETs may show (OPEN311_LISTED_CHANNELS, less phone
    and SMS): by default only Open311's own. A case number from any other channel is
    unknown to Open311, exactly like a number that does not exist."""
    known = {channel.value for channel in Channel}
    return sorted(Channel(c) for c in configured if c in known and Channel(c) not in NEVER_LISTED)


def _listed(stmt, channels):
    return stmt.where(Ticket.channel.in_(channels or [Channel.OPEN311]))


def search_requests(params, max_days, max_results, channels=(Channel.OPEN311,)):
    """The cases a GET requests.[format] asks for, newest first, at most `max_results`."""
    stmt = _listed(select(Ticket).options(selectinload(Ticket.category), selectinload(Ticket.department),
                                          selectinload(Ticket.referral)), channels)
    ids = _codes(params.get("service_request_id"))
    if ids:  # overrides every other filter, as the spec says
        return db.session.scalars(stmt.where(Ticket.number.in_(ids[:MAX_IDS])).order_by(Ticket.id.desc())).all()
    start, end = _date_range(params.get("start_date"), params.get("end_date"), max_days)
    stmt = stmt.where(Ticket.created_at >= start, Ticket.created_at <= end)
    codes = _codes(params.get("service_code"))
    if codes:
        stmt = stmt.join(Ticket.category).where(Category.code.in_(codes))
    statuses = _statuses(params.get("status"))
    if statuses == {"open"}:
        stmt = stmt.where(Ticket.status.in_(OPEN_STATUSES))
    elif statuses == {"closed"}:
        stmt = stmt.where(Ticket.status.not_in(OPEN_STATUSES))
    return db.session.scalars(stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(max_results)).all()


def find_request(number, channels=(Channel.OPEN311,)):
    """The listed case with this number, or Open311Error 404 (the same for any other case)."""
    ticket = db.session.scalar(_listed(select(Ticket).where(Ticket.number == number), channels)
                               .options(selectinload(Ticket.category), selectinload(Ticket.department),
                                        selectinload(Ticket.referral)))
    if ticket is None:
        raise Open311Error(404, f"service_request_id {number} was not found")
    return ticket


# ---- a case as a service request ----------------------------------------------------------

STATUS_NOTES = {
    TicketStatus.NEW: "Received; an operator will review it.",
    TicketStatus.ACCEPTED: "Accepted; it will be forwarded to the department responsible.",
    TicketStatus.FORWARDED: "Forwarded to the department responsible.",
    TicketStatus.IN_PROGRESS: "The department responsible is handling it.",
    TicketStatus.RESOLVED: "Handled; a result was recorded.",
    TicketStatus.ANSWERED: "Answered as a consultation.",
    TicketStatus.REFERRED: "Outside our duties: referred to another agency.",
    TicketStatus.REJECTED: "Not accepted.",
    TicketStatus.CLOSED: "Closed.",
}
RESULT_NOTES = {
    "mediated": "Mediation reached an agreement.",
    "mediation_failed": "Mediation did not reach an agreement; a court or arbitration remains open.",
    "terminated": "Mediation was terminated.",
    "case_opened": "An investigation was opened.",
    "case_not_opened": "No investigation was opened.",
}


def _status_notes(ticket):
    note = STATUS_NOTES[ticket.status]
    if ticket.result is not None and ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        note += " " + RESULT_NOTES.get(ticket.result.value, "")
    if ticket.status == TicketStatus.REJECTED and ticket.reject_ground is not None:
        # The ground only: the written reason may quote the complainant.
        note += f" Ground: {ticket.reject_ground.value.replace('_', ' ')}."
    return note.strip()


def _agency(ticket, locale):
    if ticket.department is not None:
        return ticket.department.name
    if ticket.referral is not None:
        agency = ticket.referral.agency_en if locale == "en" else ticket.referral.agency_zh
        return f"{agency} ({ticket.referral.hotline})" if ticket.referral.hotline else agency
    return None


def _private(ticket):
    """Cases whose content could point at who filed them: reports and confidential cases."""
    return ticket.kind == TicketKind.REPORT or ticket.confidential


def _due_dates(ticket_ids):
    rows = db.session.execute(
        select(Clock.ticket_id, Clock.due_at).where(Clock.ticket_id.in_(ticket_ids), Clock.state == ClockState.RUNNING)
    ).all()
    due = {}
    for ticket_id, due_at in rows:
        due[ticket_id] = min(due_at, due.get(ticket_id, due_at))
    return due


def _filed(ticket_ids):
    rows = db.session.scalars(select(Open311Request).where(Open311Request.ticket_id.in_(ticket_ids))).all()
    return {row.ticket_id: row for row in rows}


def requests_json(found, locale, tz_name, notice):
    """Cases as GeoReport service requests. No personal data: no name, phone, email, device or
    account, and not the filer's own location; a report's or confidential case's content stays in."""
    ids = [t.id for t in found]
    due, filed = _due_dates(ids), _filed(ids)

    def when(moment):
        return format_datetime(to_local(moment, tz_name))

    def one(ticket):
        row = filed.get(ticket.id)
        open_to_read = not _private(ticket)
        referral_notice = ticket.referral.caller_script if ticket.referral is not None else None
        return {
            "service_request_id": ticket.number,
            "status": "open" if ticket.is_open else "closed",
            "status_notes": _status_notes(ticket),
            "service_name": ticket.category.name(locale) if ticket.category else None,
            "service_code": ticket.category.code if ticket.category else None,
            # Only what the filer wrote for this API; a phone call's facts are the operator's notes.
            # The filer may have typed their own phone, e-mail or ID number: cut before it is public.
            "description": scrub(ticket.facts) if row is not None and open_to_read else None,
            "agency_responsible": _agency(ticket, locale),
            "service_notice": referral_notice or notice,
            "requested_datetime": when(ticket.created_at),
            "updated_datetime": when(ticket.updated_at),
            "expected_datetime": when(due.get(ticket.id) or clocks.acceptance_due_at(ticket)),
            # The business's address (not personal data); the filer's own location is never echoed.
            "address": ticket.respondent_address if open_to_read else None,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": row.media_url if row is not None and open_to_read else None,
        }

    return [one(ticket) for ticket in found]
