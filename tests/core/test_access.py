"""The route walk: every endpoint declares who may reach it, and each role, anonymous visitors
and unsigned Twilio requests get exactly that.

Generic over app.url_map, so routes added later are covered without touching this file.
Requests run outside any pushed app context, as in production, so nothing (such as the
user Flask-Login caches on `g`) carries from one request to the next.
"""

import pytest
from werkzeug.routing import IntegerConverter

from hotline import accounts, tickets
from hotline.extensions import db
from hotline.models import Channel, Department, Role, TicketKind
from tests.conftest import PASSWORD

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Reachable without signing in. A new entry here needs a reason: review before adding one.
PUBLIC_ENDPOINTS = {
    "auth.login",  # the sign-in page itself
    "auth.set_language",  # the language switch on the sign-in page
    "auth.healthz",  # load balancer probe; says nothing but "ok"
    "api.openapi_document",  # the API's published description
    # Open311 GeoReport v2 is a public API: reads show no personal data; filing needs an api_key.
    "open311.discovery",
    "open311.service_list",
    "open311.service_definition",
    "open311.create_request",
    "open311.request_list",
    "open311.request_detail",
    "open311.token",
    # The complainants' status page: case number + last four digits, rate-limited failures.
    "status.lookup",
    "status.stylesheet",
    # The knowledge base's published answers, linked from SMS answers: read-only, only what is
    # published and in force, no staff names; searches rate-limited per address.
    "knowledge_public.index",
    "knowledge_public.article",
}
TWILIO_PREFIX = "/twilio/"
API_PREFIX = "/api/"


@pytest.fixture
def world(app_factory):
    """An app with one account and one API token per role, and one case to point URLs at."""
    app = app_factory(PROPAGATE_TEST_ERRORS=False)
    with app.app_context():
        dept = Department(code="W01", name="Walk department")
        db.session.add(dept)
        tokens = {}
        for role in Role:
            user = accounts.create_user(
                f"walk-{role.value}", PASSWORD, role, department=dept if role == Role.DEPARTMENT else None
            )
            tokens[role], _ = accounts.create_token(user, "walk")
        caller = tickets.find_or_create_caller("+8613800138000")
        ticket = tickets.open_ticket(Channel.VOICE, caller=caller, kind=TicketKind.COMPLAINT, facts="walk")
        db.session.commit()
        values = {"number": ticket.number, "ticket_number": ticket.number, "code": "en"}
    return app, tokens, values


def _view(app, rule):
    return app.view_functions[rule.endpoint]


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _url(rule, values):
    """A URL for `rule` with plausible values for its variables."""
    filled = {}
    for name, converter in rule._converters.items():
        if name in values:
            filled[name] = values[name]
        elif isinstance(converter, IntegerConverter):
            filled[name] = 1
        elif getattr(converter, "items", None):  # <any(a, b):name>
            filled[name] = sorted(converter.items)[0]
        else:
            filled[name] = "x"
    return rule.build(filled, append_unknown=False)[1]


def _requests(app, values):
    """(rule, method, url) for every route and method a browser or client could use."""
    for rule in _rules(app):
        for method in sorted(rule.methods - SKIPPED_METHODS):
            yield rule, method, _url(rule, values)


def _client_for(app, role):
    client = app.test_client()
    response = client.post("/login", data={"username": f"walk-{role.value}", "password": PASSWORD})
    assert response.status_code == 302, f"walk-{role.value} could not sign in"
    return client


def _send(client, method, url, tokens=None, role=None):
    headers = {"Authorization": f"Bearer {tokens[role]}"} if tokens and url.startswith(API_PREFIX) else {}
    return client.open(url, method=method, headers=headers)


def _is_public(view):
    return getattr(view, "is_public", False)


def test_every_endpoint_declares_who_may_reach_it(world):
    app, _tokens, _values = world
    undeclared, empty, unexpected_public = [], [], []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        if not hasattr(view, "allowed_roles"):
            undeclared.append(endpoint)
        elif not _is_public(view) and not view.allowed_roles:
            empty.append(endpoint)
    for rule in _rules(app):
        public = _is_public(_view(app, rule)) and rule.endpoint not in PUBLIC_ENDPOINTS
        if public and not rule.rule.startswith(TWILIO_PREFIX):
            unexpected_public.append(f"{rule.endpoint} {rule.rule}")
    assert not undeclared, f"endpoints without @roles_required / @public: {sorted(undeclared)}"
    assert not empty, f"endpoints that allow no role at all: {sorted(empty)}"
    assert not unexpected_public, (
        f"public endpoints not in PUBLIC_ENDPOINTS (review, then list them with a reason): {unexpected_public}"
    )


def _refusal_offenders(app, client, role, tokens, values):
    """Routes closed to `role` that answer it with anything but 403; and how many were tried."""
    offenders, checked = [], 0
    for rule, method, url in _requests(app, values):
        view = _view(app, rule)
        if _is_public(view) or role in view.allowed_roles:
            continue
        checked += 1
        response = _send(client, method, url, tokens, role)
        if response.status_code != 403:
            offenders.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code}")
    return offenders, checked


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_is_refused_what_it_is_not_allowed(world, role):
    app, tokens, values = world
    offenders, checked = _refusal_offenders(app, _client_for(app, role), role, tokens, values)
    assert not offenders, f"{role.value} must get 403 from:\n  " + "\n  ".join(offenders)
    if role != Role.ADMIN:
        assert checked, f"nothing is closed to {role.value}? the walk found no refused route"


def test_the_walk_catches_a_view_that_declares_roles_but_lets_anyone_in(world):
    app, tokens, values = world

    def leaky(item_id):
        return "secret"

    leaky.allowed_roles = frozenset({Role.ADMIN})  # declared, but nothing enforces it
    app.add_url_rule("/leaky/<int:item_id>", "leaky", leaky, methods=["GET", "POST"])
    client = _client_for(app, Role.OPERATOR)
    offenders, _checked = _refusal_offenders(app, client, Role.OPERATOR, tokens, values)
    assert offenders == ["GET /leaky/1 (leaky) -> 200", "POST /leaky/1 (leaky) -> 200"]


def test_anonymous_visitors_are_sent_to_sign_in(world):
    app, _tokens, values = world
    client = app.test_client()
    offenders = []
    for rule, method, url in _requests(app, values):
        if _is_public(_view(app, rule)):
            continue
        response = client.open(url, method=method)
        if url.startswith(API_PREFIX):
            ok = response.status_code == 401
        else:
            ok = response.status_code == 302 and response.headers["Location"].startswith("/login")
        if not ok:
            offenders.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code} {response.location}")
    assert not offenders, "anonymous requests not refused (HTML: redirect to /login, API: 401):\n  " + "\n  ".join(
        offenders
    )


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"], ids=["missing", "empty", "wrong"])
def test_twilio_webhooks_refuse_unsigned_requests(world, signature):
    app, _tokens, values = world
    client = app.test_client()
    offenders = []
    webhooks = [(rule, method, url) for rule, method, url in _requests(app, values) if url.startswith(TWILIO_PREFIX)]
    for rule, method, url in webhooks:
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = client.open(url, method=method, data={"From": "+8613800138000", "CallSid": "CA1"}, headers=headers)
        if response.status_code != 403:
            offenders.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code}")
    assert not offenders, "Twilio webhooks answering without a valid signature:\n  " + "\n  ".join(offenders)


def test_a_signed_in_session_does_not_open_twilio_webhooks(world):
    app, _tokens, values = world
    client = _client_for(app, Role.ADMIN)
    for rule, method, url in _requests(app, values):
        if url.startswith(TWILIO_PREFIX):
            assert client.open(url, method=method).status_code == 403, rule.endpoint


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_allowed_roles_never_get_a_server_error_on_empty_input(world, role):
    """Empty forms and dummy ids are bad input: a 4xx or a re-shown form, never a 500."""
    app, tokens, values = world
    client = _client_for(app, role)
    offenders = []
    # Signing out last, so the walk keeps its session.
    walk = sorted(_requests(app, values), key=lambda item: item[0].endpoint == "auth.logout")
    for rule, method, url in walk:
        view = _view(app, rule)
        if _is_public(view) or role not in view.allowed_roles:
            continue
        try:
            status = _send(client, method, url, tokens, role).status_code
        except Exception as exc:  # noqa: BLE001  (report every crash, not only the first)
            status = repr(exc)
        if not isinstance(status, int) or status >= 500:
            offenders.append(f"{method} {url} ({rule.endpoint}) -> {status}")
    assert not offenders, f"server errors for {role.value}:\n  " + "\n  ".join(offenders)


def _stored_offenders(client, app, values, tokens=None, role=None):
    """GET routes whose answer a browser or proxy may keep (no `Cache-Control: no-store`)."""
    offenders = []
    for rule, method, url in _requests(app, values):
        if method != "GET" or url.startswith(TWILIO_PREFIX):
            continue
        response = _send(client, method, url, tokens, role)
        if response.mimetype in ("text/css", "application/javascript", "text/javascript"):
            continue  # a stylesheet or script, the same for everyone
        if "no-store" not in response.headers.get("Cache-Control", ""):
            offenders.append(f"GET {url} ({rule.endpoint}) -> {response.status_code} "
                             f"{response.headers.get('Cache-Control')!r}")
    return offenders


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_nothing_a_signed_in_user_or_token_gets_may_be_stored(world, role):
    """Every page, list, export and JSON answer to staff carries Cache-Control: no-store, allowed or refused."""
    app, tokens, values = world
    client = _client_for(app, role)
    offenders = _stored_offenders(client, app, values, tokens, role)
    assert not offenders, f"cacheable answers to {role.value}:\n  " + "\n  ".join(offenders)
    static = client.get("/static/hotline.css")
    assert static.status_code == 200 and "no-store" not in (static.headers.get("Cache-Control") or "")


def test_bearer_token_answers_are_not_stored_without_a_session(world):
    app, tokens, values = world
    client = app.test_client()
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{values['number']}", f"/api/v1/intake/tickets/{values['number']}"):
        response = client.get(path, headers={"Authorization": f"Bearer {tokens[Role.OPERATOR]}"})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
