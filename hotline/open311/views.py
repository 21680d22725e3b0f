"""The GeoReport v2 endpoints, each in .json and .xml.

Reading is open, as the spec has it (no api_key needed); an api_key sent with a read must be
valid, and then counts against that key's rate. Creating a request needs a valid key.
Requests are limited per key (the key's requests_per_minute) or, without a key, per address.
"""

from flask import Blueprint, current_app, request, url_for
from flask_babel import get_locale
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from hotline.authz import public
from hotline.extensions import db, limiter
from hotline.inputs import InputRefused
from hotline.open311 import formats, services
from hotline.open311.services import Open311Error

bp = Blueprint("open311", __name__)
FMT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CACHE = "hotline.open311_key"
CHANGESET = "2026-11-24T00:00:00Z"  # when this endpoint's description last changed


def _fmt():
    return (request.view_args or {}).get("fmt") or ("xml" if request.path.endswith(".xml") else "json")


def _reply(root, data, status=200):
    body, content_type = formats.render(_fmt(), root, data)
    return body, status, {"Content-Type": content_type}


def _error(code, description):
    body, content_type = formats.errors(_fmt(), code, description)
    return body, code, {"Content-Type": content_type}


@bp.errorhandler(Open311Error)
def _refused(exc):
    db.session.rollback()  # a refused request keeps nothing it may have begun
    return _error(exc.code, exc.description)


@bp.errorhandler(InputRefused)
def _bad_input(exc):
    """Bad input refused before the view (hotline.inputs), in GeoReport's error format."""
    db.session.rollback()  # a refused over-long value may still be pending
    return _error(exc.code, str(exc.description))


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    return _error(429, f"rate limit exceeded ({exc.description}); try again later")


def _key():
    """The request's api key (None when none was sent); Open311Error 403 when it is bad."""
    # Kept on the request itself: the limiter and the view both ask, and must get one answer.
    cache = request.environ
    if CACHE not in cache:
        plain = request.values.get("api_key") or None
        try:
            cache[CACHE] = services.key_for(plain) if plain else None
        except Open311Error as exc:
            cache[CACHE] = exc
    if isinstance(cache[CACHE], Open311Error):
        raise cache[CACHE]
    return cache[CACHE]


def _known_key():
    try:
        return _key()
    except Open311Error:
        return None  # the view refuses it; the limiter counts it against the address


def _rate():
    key = _known_key()
    per_minute = key.requests_per_minute if key else current_app.config["OPEN311_ANONYMOUS_PER_MINUTE"]
    return f"{max(per_minute, 1)} per minute"


def _rate_owner():
    key = _known_key()
    return f"open311-key:{key.id}" if key else f"open311-ip:{get_remote_address()}"


per_key = limiter.shared_limit(_rate, scope="open311", key_func=_rate_owner)


@bp.before_request
def _checks():
    """A jurisdiction other than ours is not found; a bad api_key is refused on every call."""
    wanted = current_app.config["OPEN311_JURISDICTION_ID"]
    given = request.values.get("jurisdiction_id")
    if wanted and given and given != wanted:
        raise Open311Error(404, f"jurisdiction_id {given} was not found")
    key = _key()
    if key is not None:
        services.mark_used(key)
        db.session.commit()


def _base_url():
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def _locale():
    return str(get_locale() or "zh")


@bp.route(f"/discovery.{FMT}")
@public
@per_key
def discovery(fmt):
    data = {
        "changeset": CHANGESET,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": "api keys are issued by the hotline's administrators",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": _base_url() + url_for(".discovery", fmt="json").rsplit("/", 1)[0],
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }
    return _reply("discovery", data)


@bp.route(f"/services.{FMT}")
@public
@per_key
def service_list(fmt):
    return _reply("services", [services.service_json(c, _locale()) for c in services.list_services()])


@bp.route(f"/services/<service_code>.{FMT}")
@public
@per_key
def service_definition(service_code, fmt):
    category = services.find_service(service_code)
    return _reply("service_definition", services.service_definition(category, _locale()))


@bp.route(f"/requests.{FMT}", methods=["POST"])
@public
@per_key
def create_request(fmt):
    key = _key()
    if key is None:
        raise Open311Error(403, "api_key was not provided")
    posted = formats.attribute_values(request.values.items(multi=True))
    ticket, _row = services.create_request(request.values, posted, key, current_app.config["DEFAULT_PHONE_REGION"])
    db.session.commit()
    created = services.created_json(ticket, current_app.config["OPEN311_SERVICE_NOTICE"])
    return _reply("service_requests", [created], 201)


def _requests_reply(found):
    config = current_app.config
    data = services.requests_json(found, _locale(), config["HOTLINE_TIMEZONE"], config["OPEN311_SERVICE_NOTICE"])
    return _reply("service_requests", data)


@bp.route(f"/requests.{FMT}")
@public
@per_key
def request_list(fmt):
    config = current_app.config
    found = services.search_requests(request.args, config["OPEN311_MAX_DAYS"], config["OPEN311_MAX_RESULTS"],
                                     _channels())
    return _requests_reply(found)


def _channels():
    return services.listed_channels(current_app.config["OPEN311_LISTED_CHANNELS"])


@bp.route(f"/requests/<service_request_id>.{FMT}")
@public
@per_key
def request_detail(service_request_id, fmt):
    return _requests_reply([services.find_request(service_request_id, _channels())])


@bp.route(f"/tokens/<token>.{FMT}")
@public
@per_key
def token(token, fmt):
    return _reply("service_requests", [services.token_json(token)])
