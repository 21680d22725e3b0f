"""The route sweep: every GET route each role may reach, called with hostile query strings and
path values, answers below 500; and the plain findings of the hostile-input review.

Generic over app.url_map. The query names tried on a route are the ones it actually reads:
a first, plain request records every name the view asks request.args for.
"""

import re
from collections import defaultdict
from urllib.parse import quote

import pytest
from flask import Request, has_request_context, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from hotline import accounts, inputs, tickets
from hotline.extensions import db
from hotline.models import Channel, Department, Role, SuggestionRule, Ticket, TicketKind
from tests.conftest import PASSWORD
from tests.hostile import HUGE_INT, LONG, NUL, RAW_BYTES

HOSTILE_QUERY = [HUGE_INT, "²", NUL, LONG, "9999-12-31"]
HOSTILE_PATH = {"int": [HUGE_INT, "²", "٣"], "text": ["%00", quote(LONG), "%FF", "..%2F..%2Fetc"]}
_read = defaultdict(set)


class _Recording(ImmutableMultiDict):
    """Query arguments that remember which names the view asked for."""

    def _note(self, key):
        if has_request_context() and request.endpoint:
            _read[request.endpoint].add(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (Werkzeug's signature)
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class _RecordingRequest(Request):
    parameter_storage_class = _Recording


@pytest.fixture
def world(app_factory):
    app = app_factory(PROPAGATE_TEST_ERRORS=False, DEV_TOOLS=True)
    app.request_class = _RecordingRequest
    with app.app_context():
        dept = Department(code="W01", name="Walk department")
        db.session.add(dept)
        tokens = {}
        for role in Role:
            user = accounts.create_user(f"walk-{role.value}", PASSWORD, role,
                                        department=dept if role == Role.DEPARTMENT else None)
            tokens[role], _ = accounts.create_token(user, "walk")
        caller = tickets.find_or_create_caller("+8613800138000")
        ticket = tickets.open_ticket(Channel.VOICE, caller=caller, kind=TicketKind.COMPLAINT, facts="walk",
                                     department=dept)
        db.session.commit()
        number = ticket.number
    return app, tokens, number


def _client(app, role):
    client = app.test_client()
    if role is not None:
        assert client.post("/login", data={"username": f"walk-{role.value}", "password": PASSWORD}).status_code == 302
    return client


def _reachable(app, role):
    """GET rules `role` may reach (None: anonymous, the public ones)."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if getattr(view, "is_public", False) or (role is not None and role in view.allowed_roles):
            yield rule


_VARIABLE = re.compile(r"<(?:[^>]*:)?(\w+)>")


def _paths(rule, number):
    """The rule's path with plausible values, and with each variable made hostile in turn."""
    plain, variants = {}, []
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            plain[name], hostile = "1", HOSTILE_PATH["int"]
        elif getattr(converter, "items", None):  # <any(json, xml):fmt>
            plain[name], hostile = sorted(converter.items)[0], []
        else:
            plain[name], hostile = number, HOSTILE_PATH["text"]
        variants += [{**plain, name: value} for value in hostile]

    def fill(values):
        return _VARIABLE.sub(lambda m: values.get(m.group(1), plain.get(m.group(1), "")), rule.rule)

    return fill(plain), [fill({**plain, **variant}) for variant in variants]


def _sweep(app, client, role, tokens, number, only=None):
    failures, sent = [], 0
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role is not None else {}
    for rule in _reachable(app, role):
        if only and rule.endpoint != only:
            continue
        base, hostile_paths = _paths(rule, number)
        plain = client.get(base, headers=headers)
        sent += 1
        if plain.status_code >= 500:
            failures.append(f"GET {base} -> {plain.status_code}")
        names = sorted(_read[rule.endpoint]) or ["page"]  # routes that read nothing still get one junk name
        # Every name the view reads set to the same hostile value at once: one request per value
        # keeps the sweep to seconds (report pages take a second each on a busy machine).
        queries = ["&".join(f"{name}={quote(value, safe='')}" for name in names) for value in HOSTILE_QUERY]
        queries += ["&".join(f"{name}={RAW_BYTES[0]}" for name in names)]
        queries += ["&".join(f"{name}={quote(HUGE_INT)}&{name}=1" for name in names)]  # repeated names
        for url in [f"{base}?{query}" for query in queries] + hostile_paths:
            try:
                status = client.get(url, headers=headers).status_code
            except Exception as exc:  # noqa: BLE001 (an error page that fails too is still a 5xx)
                status = f"raised {type(exc).__name__}"
            sent += 1
            if not isinstance(status, int) or status >= 500:
                failures.append(f"GET {url[:160]} -> {status}")
    return failures, sent


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_every_get_route_answers_hostile_queries_below_500(world, role):
    app, tokens, number = world
    failures, sent = _sweep(app, _client(app, role), role, tokens, number)
    assert not failures, f"{len(failures)} of {sent} hostile requests answered 5xx:\n  " + "\n  ".join(failures)
    assert sent > 20


def test_the_sweep_reads_the_names_views_ask_for(world):
    """The recorder sees what a list view reads, or the sweep would try nothing useful."""
    app, tokens, number = world
    _client(app, Role.SUPERVISOR).get("/search?q=x")
    assert {"q", "page"} <= _read["console.search"]


def test_the_sweep_catches_a_view_that_fails_on_a_huge_page(world):
    app, tokens, number = world

    def fragile():
        return str(db.session.get(Ticket, int(request.args.get("page", "1"))))

    fragile.allowed_roles = frozenset({Role.SUPERVISOR})
    app.add_url_rule("/fragile", "fragile", fragile)
    failures, _sent = _sweep(app, _client(app, Role.SUPERVISOR), Role.SUPERVISOR, tokens, number, only="fragile")
    assert any(f.startswith("GET /fragile?page=") for f in failures), failures


# ---- the findings, one by one -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/search", "/my", "/", "/desk", "/reports/cases/list?figure=cases.received",
                                  "/reports/calls/list"])
def test_a_page_no_list_has_is_400_with_a_message(app, make_user, login, client, path):
    role = Role.DEPARTMENT if path in ("/", "/desk") else Role.SUPERVISOR
    dept = Department(code="P01", name="Page department")
    db.session.add(dept)
    db.session.commit()
    login(make_user(role, department=dept if role == Role.DEPARTMENT else None))
    for page in (HUGE_INT, "²", "١", "1_0", "0"):
        response = client.get(path + ("&" if "?" in path else "?") + "page=" + quote(page))
        assert response.status_code == 400, page
        message = response.get_data(as_text=True)
        assert 'data-testid="error-message"' in message and "page" in message


def test_a_refusal_on_a_chinese_page_names_the_argument_in_words(app, make_user, login, client):
    """Not by its English name in the address ("page 须为…", found 2026-12-06); the API keeps the name."""
    from tests.core.test_no_raw_codes import raw_words, visible_text

    login(make_user(Role.SUPERVISOR))
    for path, words in (("/search?page=" + HUGE_INT, "页码须为1至100000之间的整数"),
                        ("/reports/calls/list?hour=99", "小时须为0至23之间的整数"),
                        ("/search?q=a%01", "提交的某一项含有非文本字符")):
        response = client.get(path, headers={"Accept-Language": "zh"})
        text = visible_text(response.get_data(as_text=True))
        assert response.status_code == 400, path
        assert words in text.replace(" ", ""), text
        assert not raw_words(text, {"page", "hour", "q"}), path


@pytest.mark.parametrize("query", ["figure=backlog&dim=department&key=", "figure=cases.received&dim=department&key=",
                                   "figure=cases.received&dim=category&key=", "figure=followup.callback_visits&dim=operator&key="])
def test_a_drill_down_key_that_is_no_id_is_404(app, make_user, login, client, query):
    login(make_user(Role.SUPERVISOR))
    for key in (HUGE_INT, "²", "1_0", "-1"):
        assert client.get("/reports/cases/list?" + query + quote(key)).status_code == 404, key


def test_an_id_no_column_holds_is_404(app, make_user, login, client):
    login(make_user(Role.ADMIN))
    for path in ("/evidence/99999999999999999999", "/admin/users/4294967296/edit", "/admin/users/%C2%B2/edit",
                 "/admin/webhooks/99999999999999999999/deliveries"):
        assert client.get(path).status_code == 404, path


def test_a_nul_anywhere_in_a_web_request_is_400_naming_where(app, make_user, login, client):
    login(make_user(Role.SUPERVISOR))
    for path in ("/search?q=%00", "/login?next=a%00b", "/status/?number=%01", "/search?q%00=x",
                 "/open311/v2/services.json?jurisdiction_id=%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "NUL" in response.get_data(as_text=True) or "控制字符" in response.get_data(as_text=True)
    for path in ("/tickets/%00", "/intake/tickets/%00", "/desk/tickets/a%01", "/open311/v2/services/%00.json",
                 "/api/v1/tickets/%00"):  # was a 500 on PostgreSQL; a name with a NUL names nothing
        assert client.get(path).status_code == 404, path


def test_a_nul_in_a_posted_form_is_400_and_stores_nothing(app, make_user, login, client, create_ticket):
    ticket = create_ticket()
    login(make_user(Role.OPERATOR))
    response = client.post(f"/tickets/{ticket.number}/notes", data={"text": "备注\x00"})
    assert response.status_code == 400
    db.session.expire_all()
    assert not [e for e in ticket.events if e.type == "note"]


def test_a_report_range_out_of_the_calendar_is_refused_with_a_message(app, make_user, login, client):
    login(make_user(Role.SUPERVISOR))
    for query in ("start=9999-12-31&end=9999-12-31", "start=0001-01-01&end=0001-01-01", "end=2024-02-30",
                  "start=２０２４-01-32"):  # full-width digits are read (a Chinese input method's), day 32 is not
        assert client.get("/reports/cases?" + query).status_code == 200  # the form, saying what is wrong
        assert client.get("/referrals/appeals?" + query).status_code == 400
        assert client.get("/reports/calls/list?" + query).status_code == 400


def test_a_text_too_long_for_its_column_is_refused_on_every_database(app, create_ticket):
    """SQLite would keep it and PostgreSQL fail with a 500; the flush refuses it on both."""
    ticket = create_ticket()
    ticket.respondent_region = "区" * 101
    with pytest.raises(inputs.TooLong) as refused:
        db.session.flush()
    assert (refused.value.table, refused.value.column, refused.value.limit) == ("tickets", "respondent_region", 100)
    db.session.rollback()


def test_a_suggestion_rule_without_a_target_is_a_form_error(app, make_user, login, client):
    login(make_user(Role.SUPERVISOR))
    for target in (None, "nonsense"):
        data = {"value": "G01", "weight": "1", "position": "0", "save": "1", **({"target": target} if target else {})}
        response = client.post("/intake/rules/new", data=data)
        assert response.status_code == 200  # the form again; was a 500: the value was checked against no target
    assert db.session.scalar(db.select(db.func.count(SuggestionRule.id))) == 0


def test_a_report_download_of_a_range_that_cannot_be_read_is_refused_saying_why(app, make_user, login, client):
    """Not the default week under a file name the supervisor did not ask for."""
    login(make_user(Role.SUPERVISOR))
    client.post("/lang/en")
    for url in ("/reports/cases?start=2026-02-30&format=csv", "/reports/calls?start=2026-12-31&end=2026-01-01&format=csv",
                "/reports/cases/list?figure=cases.received&start=2026-02-30&format=csv"):
        response = client.get(url)
        assert response.status_code == 400 and "text/csv" not in response.content_type, url
        assert "not a date" in response.get_data(as_text=True) or "after the end date" in response.get_data(as_text=True)
    assert "not a date" in client.get("/reports/calls/list?figure=answered&start=2026-02-30").get_data(as_text=True)
