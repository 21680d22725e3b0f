"""The API under hostile bodies and query strings: every answer a 4xx that the OpenAPI document
describes, never a 500; a refused request changes nothing, an accepted create adds one case.

Bodies are generated from the document's own request schemas (tests/hostile.from_schema), each
field sometimes replaced by a value of the wrong type or a hostile size, so a field added to
the document is fuzzed without touching this file.
"""

import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from hotline import outbox, tickets
from hotline.api.openapi import document
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.knowledge import replies
from hotline.knowledge import services as knowledge
from hotline.models import (
    Article,
    ClockKind,
    Department,
    FollowUp,
    FollowUpStatus,
    OutboxStatus,
    ReferralEntry,
    Role,
    Ticket,
    TicketKind,
    TicketStatus,
)
from hotline.open311 import services as open311
from hotline.questions import seed_category_questions
from hotline.seeds import seed_categories
from hotline.timeutil import local_today, now
from intake import suggestion_rules
from routing import services as routing_services
from tests.conftest import new_department
from tests.hostile import (
    FAR_DATE,
    HUGE_INT,
    NUL,
    UNICODE_DIGITS,
    changed,
    from_schema,
    fuzz_settings,
    hostile_json,
    snapshot,
)

GOOD = {"phone": "13812345678", "kind": "complaint", "facts": "空调不制冷"}
COMPLAINT = {
    "kind": "complaint", "phone": "138 1234 1234", "name": "李四", "address": "北京市朝阳区某路1号",
    "respondent_name": "某电器店", "respondent_address": "北京市海淀区某街2号", "facts": "空调不制冷",
    "demand": "退货退款", "amount": 2999.5,
}
# Every operation of the document that takes a JSON body; a new one must be added here.
BODY_OPERATIONS = [
    ("post", "/tickets"), ("post", "/intake/tickets"), ("patch", "/intake/tickets/{number}"),
    ("post", "/intake/tickets/{number}/accept"), ("post", "/intake/tickets/{number}/reject"), ("post", "/suggest"),
    # a duplicate mark (of another case) and the identity check by SMS code (intake/api.py)
    ("post", "/intake/tickets/{number}/duplicate"), ("post", "/intake/tickets/{number}/otp/send"),
    ("post", "/intake/tickets/{number}/otp/verify"),
    ("post", "/tickets/{number}/forward"), ("post", "/tickets/{number}/refer"),
    # the referral page's call transfer (routing/api.py): refused 409 with no caller on the line
    ("post", "/tickets/{number}/transfer"),
    # the knowledge base (hotline/knowledge/api.py); an operator's return is a 403
    ("post", "/knowledge"), ("put", "/knowledge/{article_id}/draft"), ("post", "/knowledge/{article_id}/return"),
    # the case page's note and SMS reply (hotline/api/views.py), a callback visit's outcome (followup/api.py)
    ("post", "/tickets/{number}/notes"), ("post", "/tickets/{number}/sms"), ("post", "/callback-visits/{visit_id}/outcome"),
    # the visit page's call and voice survey (followup/api.py): their bodies are empty or {}
    ("post", "/callback-visits/{visit_id}/call"), ("post", "/callback-visits/{visit_id}/survey"),
    # the appeal and the department desk (routing/api.py): on a case in the state each acts on,
    # the desk's as the department holding it
    ("post", "/tickets/{number}/appeal"), ("post", "/desk/tickets/{number}/take-up"),
    ("post", "/desk/tickets/{number}/return"), ("post", "/desk/tickets/{number}/steps"),
    ("post", "/desk/tickets/{number}/result"),
    # "show full number" (hotline/api/views.py): its body is empty or {}
    ("post", "/tickets/{number}/reveal-phone"),
    # the callback list's "Done" (hotline/api/views.py): refused 409 with nothing waiting
    ("post", "/callback-requests/{number}/done"),
    # the block list (hotline/api/views.py), a supervisor's
    ("post", "/blocklist"),
    # a legal clock's pause and resume (followup/api.py), on a running, resp. paused, clock
    ("post", "/clocks/{clock_id}/pause"), ("post", "/clocks/{clock_id}/resume"),
    # accounts and API tokens (hotline/admin/api.py), as an admin, on a fresh operator's account
    ("post", "/admin/users"), ("patch", "/admin/users/{user_id}"), ("post", "/admin/users/{user_id}/password"),
    ("post", "/admin/tokens"),
    # Open311 api keys (hotline/admin/api.py), as an admin; a rate on a fresh key
    ("post", "/admin/open311/keys"), ("post", "/admin/open311/keys/{key_id}/rate"),
    # an outbound webhook endpoint (hotline/admin/api.py), as an admin
    ("post", "/admin/webhooks"),
    # departments and routing rules (routing/api.py), as a supervisor: on a fresh department or rule
    ("post", "/departments"), ("patch", "/departments/{department_id}"), ("post", "/routing-rules"),
    ("patch", "/routing-rules/{rule_id}"), ("post", "/routing-rules/{rule_id}/move"), ("post", "/routing-rules/try"),
    # the referral directory (routing/api.py), as a supervisor: on a fresh entry
    ("post", "/referral-entries"), ("patch", "/referral-entries/{entry_id}"),
    ("post", "/referral-entries/{entry_id}/active"),
    # where an address lies (routing/api.py): nothing is stored
    ("post", "/divisions/parse"),
    # keyword suggestion rules (intake/api.py), as a supervisor: on a fresh rule
    ("post", "/suggestion-rules"), ("patch", "/suggestion-rules/{rule_id}"),
    # canned replies (hotline/knowledge/reply_api.py), as a supervisor: on a fresh reply
    ("post", "/replies"), ("patch", "/replies/{reply_id}"), ("post", "/replies/{reply_id}/deactivate"),
    ("post", "/replies/{reply_id}/move"),
    # the working-day calendar (followup/api.py), as a supervisor
    ("put", "/calendar/{day}"),
    # the failed-messages page's Retry (hotline/api/views.py), as a supervisor, on a fresh failed SMS
    ("post", "/outbox/messages/{message_id}/retry"),
]
# Operations only a supervisor may use: fuzzed with a supervisor's token (an operator's is a 403).
SUPERVISED = {"/departments", "/departments/{department_id}", "/routing-rules", "/routing-rules/{rule_id}",
              "/routing-rules/{rule_id}/move", "/routing-rules/try", "/referral-entries", "/referral-entries/{entry_id}",
              "/referral-entries/{entry_id}/active", "/suggestion-rules", "/suggestion-rules/{rule_id}",
              "/replies", "/replies/{reply_id}", "/replies/{reply_id}/deactivate", "/replies/{reply_id}/move",
              "/calendar/{day}", "/outbox/messages/{message_id}/retry"}
# The state the case of a routing operation is in before the body is sent (a new report otherwise).
ROUTED_STATES = {
    "/tickets/{number}/appeal": TicketStatus.RESOLVED, "/desk/tickets/{number}/take-up": TicketStatus.FORWARDED,
    "/desk/tickets/{number}/return": TicketStatus.IN_PROGRESS, "/desk/tickets/{number}/steps": TicketStatus.IN_PROGRESS,
    "/desk/tickets/{number}/result": TicketStatus.IN_PROGRESS,
}
CREATES = {("post", "/tickets"), ("post", "/intake/tickets")}


@pytest.fixture
def world(app, as_role):
    seed_categories()
    seed_category_questions()
    db.session.commit()
    return as_role(Role.OPERATOR)


def _send(api, method, path, body):
    return api.open(method.upper(), "/api/v1" + path, data=json.dumps(body), content_type="application/json",
                    headers={"Accept-Language": "en"})


def _tickets():
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count(Ticket.id)))


# ---- the findings, one by one -----------------------------------------------------------------

# Raw JSON texts: Python's parser reads 1e400 as inf and accepts NaN and Infinity.
HOSTILE_AMOUNTS = ["1e308", "1e400", "-1e400", "NaN", "Infinity", str(10**400), "1e-400e", '"1e2"', "9999999999.995"]


@pytest.mark.parametrize("amount", HOSTILE_AMOUNTS)
@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/intake/tickets"])
def test_an_amount_no_column_holds_is_422_naming_amount(world, path, amount):
    body = json.dumps(GOOD if path.endswith("/tickets") and "intake" not in path else COMPLAINT)
    raw = body[:-1] + f', "amount": {amount}}}' if '"amount"' not in body else body.replace("2999.5", amount)
    response = world.post(path, data=raw, content_type="application/json")
    if amount == "1e-400e":  # not JSON at all
        assert response.status_code == 400
    else:
        assert response.status_code == 422, response.json
        assert "amount" in response.json["fields"]
    assert _tickets() == 0


@pytest.mark.parametrize("amount, stored", [("-0", 0), ("-0.0", 0), ("1e-300", 0), ("0.005", 0.01),
                                            ("9999999999.99", 9999999999.99)])
def test_amounts_at_the_edges_are_stored_as_cents(world, amount, stored):
    response = world.post("/api/v1/tickets", data=json.dumps(GOOD)[:-1] + f', "amount": {amount}}}',
                          content_type="application/json")
    assert response.status_code == 201, response.json
    assert response.json["amount"] == stored


@pytest.mark.parametrize("value", [NUL, "a\x00b", "\x0b", "\ud800", "ok\udfff"])
def test_text_that_is_not_text_is_422_naming_each_field(world, value):
    body = {**GOOD, "facts": value, "name": "李" + value}
    response = world.post("/api/v1/tickets", json=body)
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"facts", "name"}
    answers = world.post("/api/v1/intake/tickets", json={**COMPLAINT, "answers": {"q": value}})
    assert answers.status_code == 422 and "answers" in answers.json["fields"]
    assert _tickets() == 0


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b"])
def test_a_name_that_would_read_backwards_is_422_while_the_facts_keep_it(world, control):
    """U+202E in a name makes what follows read right to left: a shop or a person made to look like another."""
    body = {**GOOD, "name": "李" + control + "四", "respondent_name": control + "店电某"}
    response = world.post("/api/v1/tickets", json=body)
    assert response.status_code == 422 and set(response.json["fields"]) == {"name", "respondent_name"}
    assert _tickets() == 0
    kept = world.post("/api/v1/tickets", json={**GOOD, "facts": "复制来的文字" + control + "（原样）"})
    assert kept.status_code == 201 and control in kept.json["facts"]


@pytest.mark.parametrize("raw", ["[]", '"x"', "1", "null", "[" * 100_000, '{"facts": ' * 5000, b'{"facts": "\xff"}'])
def test_a_body_that_is_not_an_object_is_400(world, raw):
    for path in ("/api/v1/tickets", "/api/v1/intake/tickets"):
        assert world.post(path, data=raw, content_type="application/json").status_code == 400
    assert _tickets() == 0


@pytest.mark.parametrize("name, value", [
    ("page", HUGE_INT), ("page", "²"), ("page", "１"), ("page", "1_0"), ("page", "0"), ("per_page", "1e3"),
    ("created_from", FAR_DATE), ("created_to", "0001-01-01T00:00:00+23:59"), ("created_from", "2024-02-30"),
    ("text", "x" * 201),
])
def test_a_query_parameter_out_of_bounds_is_422_naming_it(world, name, value):
    response = world.get("/api/v1/tickets", query_string={name: value})
    assert response.status_code == 422, response.json
    assert set(response.json["fields"]) == {name}


@pytest.mark.parametrize("value", [NUL, "%00"])
def test_a_nul_in_the_query_is_422_naming_it(world, value):
    response = world.get("/api/v1/tickets?text=" + ("%00" if value == NUL else "%2500"))
    assert response.status_code == (422 if value == NUL else 200)
    if value == NUL:
        assert set(response.json["fields"]) == {"text"}


# ---- properties ------------------------------------------------------------------------------


def _resolve(schema, components):
    """The schema with every $ref to components/schemas written out."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _resolve(components[schema["$ref"].rsplit("/", 1)[-1]], components)
        return {key: _resolve(value, components) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolve(item, components) for item in schema]
    return schema


def _body_schema(method, path):
    doc = document()
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return _resolve(body, doc["components"]["schemas"])


def _base(method, path, ticket, other=None, account=None):
    """A body the operation accepts (or refuses only for the case's state): the simplest example;
    `other`: the case a duplicate mark names; `account`: the account an admin operation acts on."""
    version = {"version": ticket.version} if ticket else {}
    return {
        ("post", "/tickets"): GOOD, ("post", "/intake/tickets"): COMPLAINT,
        ("patch", "/intake/tickets/{number}"): {**version, "facts": "补充：商家不接电话"},
        ("post", "/intake/tickets/{number}/accept"): version,
        ("post", "/intake/tickets/{number}/reject"): {**version, "ground": "out_of_scope", "reason": "不属于受理范围"},
        ("post", "/suggest"): {"text": "空调不制冷"},
        ("post", "/intake/tickets/{number}/duplicate"): {**version, "of": other.number if other else ""},
        # The report has no number on the form to verify, and no code was sent: 409 not_needed / no_code.
        ("post", "/intake/tickets/{number}/otp/send"): {},
        ("post", "/intake/tickets/{number}/otp/verify"): {"code": "123456"},
        # Refused for the case's state (a new report is not forwarded) or an unknown target: 4xx.
        ("post", "/tickets/{number}/forward"): {"department": "MS03", "instructions": "请核查"},
        ("post", "/tickets/{number}/refer"): {"referral": "12300", "note": "属通信管理局受理"},
        ("post", "/tickets/{number}/transfer"): {"referral": "12300", "note": "转接通信管理局"},
        ("post", "/knowledge"): {"slug": "fuzz-returns", "title": "网购退货", "short_answer": "七天可退"},
        ("put", "/knowledge/{article_id}/draft"): {"short_answer": "七天内可以无理由退货"},
        ("post", "/knowledge/{article_id}/return"): {"note": "请补充运费说明"},
        ("post", "/tickets/{number}/notes"): {"text": "已联系商家"},
        ("post", "/tickets/{number}/sms"): {"body": "请补充购买凭证"},
        ("post", "/callback-visits/{visit_id}/outcome"): {"outcome": "not_reached", "note": "无人接听"},
        ("post", "/callback-visits/{visit_id}/call"): {}, ("post", "/callback-visits/{visit_id}/survey"): {},
        ("post", "/tickets/{number}/appeal"): {"channel": "voice", "reason": "商家没有按约定退款"},
        ("post", "/desk/tickets/{number}/take-up"): {},
        ("post", "/desk/tickets/{number}/return"): {"reason": "wrong_department", "explanation": "属西城区管辖"},
        # Today (the hotline's day): a step's date is from the day the case came in to today.
        ("post", "/desk/tickets/{number}/steps"): {"kind": "mediation", "date": local_today("Asia/Shanghai").isoformat(),
                                                   "text": "电话联系商家"},
        ("post", "/desk/tickets/{number}/result"): {"result": "mediated", "outcome": "refund", "amount": "100"},
        ("post", "/tickets/{number}/reveal-phone"): {},
        ("post", "/callback-requests/{number}/done"): {"note": "已回电"},
        ("post", "/blocklist"): {"phone": "13700000001", "reason": "反复骚扰"},
        ("post", "/clocks/{clock_id}/pause"): {"reason": "商品送检"},
        ("post", "/clocks/{clock_id}/resume"): {},
        ("post", "/admin/users"): {"username": "fuzz.user", "password": "amber-otter-lantern-42",
                                   "display_name": "模糊测试", "role": "operator"},
        ("patch", "/admin/users/{user_id}"): {"display_name": "王五"},
        ("post", "/admin/users/{user_id}/password"): {"password": "copper-heron-meadow-17"},
        ("post", "/admin/tokens"): {"owner": account.id if account else 0, "name": "网站表单"},
        ("post", "/admin/open311/keys"): {"name": "city app", "requests_per_minute": 60},
        ("post", "/admin/open311/keys/{key_id}/rate"): {"requests_per_minute": 120},
        ("post", "/admin/webhooks"): {"url": "https://hooks.example.com/hotline", "events": ["case.created"]},
        ("post", "/departments"): {"code": "FZ02", "name": "模糊测试二所", "categories": ["G01"]},
        ("patch", "/departments/{department_id}"): {"name": "模糊测试所（改名）", "active": False},
        ("post", "/routing-rules"): {"name": "海淀的空调", "division": "110108", "keywords": ["空调"],
                                     "department": "FZ01", "reason": "模糊测试"},
        ("patch", "/routing-rules/{rule_id}"): {"active": False, "reason": "模糊测试"},
        ("post", "/routing-rules/{rule_id}/move"): {"direction": "up", "reason": "模糊测试"},
        # The tester stores nothing: a sample with a draft of a new rule.
        ("post", "/routing-rules/try"): {"text": "空调不制冷", "region": "北京市海淀区中关村大街1号", "category": "G01",
                                         "draft": {"name": "海淀的空调", "division": "110108", "keywords": ["空调"]}},
        ("post", "/referral-entries"): {"key": "fuzz", "agency_zh": "某局", "agency_en": "Some bureau",
                                        "sms_text": "请致电该局（{number}）"},
        ("patch", "/referral-entries/{entry_id}"): {"caller_script": "请拨打该局热线。", "position": 3},
        ("post", "/referral-entries/{entry_id}/active"): {"active": False},
        ("post", "/divisions/parse"): {"address": "北京市海淀区中关村大街1号"},
        ("post", "/suggestion-rules"): {"target": "category", "value": "G09", "keywords": ["冒烟"], "weight": 2},
        ("patch", "/suggestion-rules/{rule_id}"): {"keywords": ["冒烟", "暖风机"], "active": False},
        ("post", "/replies"): {"title": "补充材料", "body": "请补充凭证，案件{case_number}。", "scope": "sms"},
        ("patch", "/replies/{reply_id}"): {"body": "请致电{hotline}。", "active": False},
        ("post", "/replies/{reply_id}/deactivate"): {},
        ("post", "/replies/{reply_id}/move"): {"direction": "up"},
        ("put", "/calendar/{day}"): {"working": False, "name": "台风停工"},
        ("post", "/outbox/messages/{message_id}/retry"): {},
    }[(method, path)]


@pytest.fixture
def admin_client(api, make_user, token_for):
    """A checked client of an admin: the admin operations act as one."""
    return api.as_(token_for(make_user(role=Role.ADMIN)))


@pytest.fixture
def supervisor(app, as_role):
    return as_role(Role.SUPERVISOR)


@pytest.fixture
def desk_clerk(app, as_role):
    """(department, a checked client of one of its users): the desk operations act as the department."""
    department = new_department("FZ01", "模糊测试所")
    return department, as_role(Role.DEPARTMENT, department)


def _routed_case(create_ticket, path, department):
    """A complaint walked to the state ROUTED_STATES names for `path`, at `department`."""
    ticket = create_ticket(facts="冰箱不制冷", respondent_name="某电器行", complainant_phone="+8613912345678")
    ticket.department = department
    for status in (TicketStatus.ACCEPTED, TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED):
        tickets.change_status(ticket, status)
        if status == ROUTED_STATES[path]:
            break
    db.session.commit()
    return ticket


def bodies(schema, base):
    """`base` with up to three fields changed to other schema-valid values, some also with one or
    two fields replaced by a hostile value or joined by an unknown one; sometimes no object at all."""
    props = schema.get("properties", {})
    valid = st.sampled_from(sorted(props)).flatmap(lambda name: st.tuples(st.just(name), from_schema(props[name])))
    # A body that takes no field (take-up's {}) has no other valid value than base.
    changes = st.lists(valid, max_size=3).map(dict) if props else st.just({})
    spoilt = st.lists(st.tuples(st.sampled_from([*sorted(props), "unknown_field"]), hostile_json),
                      min_size=1, max_size=2).map(dict)
    good = changes.map(lambda ch: {**base, **ch})
    bad = st.builds(lambda ch, sp: {**base, **ch, **sp}, changes, spoilt)
    # Chosen by index: one_of would flatten hostile_json's own branches and pick them most often.
    return st.sampled_from([good, good, bad, bad, hostile_json]).flatmap(lambda chosen: chosen)


def test_every_operation_with_a_body_is_fuzzed(app):
    documented = {(method, path) for path, ops in document()["paths"].items()
                  for method, op in ops.items()
                  if "application/json" in op.get("requestBody", {}).get("content", {})}
    assert documented == set(BODY_OPERATIONS)


@pytest.mark.parametrize("method, path", BODY_OPERATIONS, ids=[f"{m} {p}" for m, p in BODY_OPERATIONS])
@given(data=st.data())
@fuzz_settings(max_examples=40)
def test_any_body_is_a_described_answer_and_a_refusal_changes_nothing(world, desk_clerk, admin_client, supervisor,
                                                                     make_user, create_ticket, method, path, data):
    ticket = create_ticket(kind=TicketKind.REPORT, facts="某超市销售过期食品", respondent_name="某超市") \
        if "{number}" in path and path not in ROUTED_STATES else None
    if path in ROUTED_STATES:
        department, clerk = desk_clerk
        ticket = _routed_case(create_ticket, path, department)
        world = clerk if path.startswith("/desk/") else world
    # The case a duplicate mark names: another report, made before the snapshot.
    other = create_ticket(kind=TicketKind.REPORT, facts="某超市又卖过期食品", respondent_name="某超市") \
        if path.endswith("/duplicate") else None
    # The account an admin operation acts on (or names as a token's owner): a fresh operator's.
    account = make_user() if path.startswith("/admin/") else None
    world = admin_client if path.startswith("/admin/") else world
    before = snapshot()
    body = data.draw(bodies(_body_schema(method, path), _base(method, path, ticket, other, account)), label="body")
    if "{article_id}" in path:
        # A fresh draft per example (examples share the database): its own slug.
        slug = f"fuzz-{db.session.scalar(db.select(db.func.count(Article.id)))}"
        article, _version = knowledge.create_article(slug, knowledge.Content(title="预付卡退款"), None)
        db.session.commit()
        before = snapshot()
        path = path.replace("{article_id}", str(article.id))
    if "{visit_id}" in path:
        # A scheduled visit of a fresh case per example.
        ticket = create_ticket(facts="空调不制冷")
        visit = FollowUp(ticket=ticket, status=FollowUpStatus.SCHEDULED, reason="handled", due_at=now(), attempts=0)
        db.session.add(visit)
        db.session.commit()
        before = snapshot()
        path = path.replace("{visit_id}", str(visit.id))
    if "{clock_id}" in path:
        # A mediation clock of a fresh case per example: running to pause, paused to resume.
        clock = clocks.start_clock(create_ticket(facts="空调不制冷"), ClockKind.MEDIATION)
        if path.endswith("/resume"):
            clocks.pause_clock(clock, "商品送检", None)
        db.session.commit()
        before = snapshot()
        path = path.replace("{clock_id}", str(clock.id))
    if "{user_id}" in path:
        path = path.replace("{user_id}", str(account.id))
    if "{key_id}" in path:
        # An Open311 key per example, issued before the snapshot.
        _plain, key = open311.issue_key(None, "city app", 30)
        db.session.commit()
        before = snapshot()
        path = path.replace("{key_id}", str(key.id))
    if path in SUPERVISED:
        world = supervisor
    if "{department_id}" in path:
        department = new_department(f"FZD{db.session.scalar(db.select(db.func.count(Department.id)))}", "模糊测试所")
        before = snapshot()
        path = path.replace("{department_id}", str(department.id))
    if "{reply_id}" in path:
        # A fresh reply per example, after another so it can move up.
        for title in ("先", "后"):
            reply = replies.create(title, "案件{case_number}", "any", None)
        db.session.commit()
        before = snapshot()
        path = path.replace("{reply_id}", str(reply.id))
    path = path.replace("{day}", "2025-10-10")
    if "{message_id}" in path:
        message = outbox.queue_sms("+8613800138000", "工单调解结果", "result", legal=True)
        message.status, message.attempts, message.last_error = OutboxStatus.FAILED, 5, "undelivered:30003"
        db.session.commit()
        before = snapshot()
        path = path.replace("{message_id}", str(message.id))
    if path == "/suggestion-rules/{rule_id}":
        rule = suggestion_rules.save_rule(None, None, {"target": "kind", "value": "report", "keywords": "举报"})
        db.session.commit()
        before = snapshot()
        path = path.replace("{rule_id}", str(rule.id))
    if "{rule_id}" in path:
        # A fresh rule per example, below another so it can move up.
        for name in ("先试", "后试"):
            rule = routing_services.create_rule({"name": name, "keywords": "空调"}, None, "模糊测试")
        db.session.commit()
        before = snapshot()
        path = path.replace("{rule_id}", str(rule.id))
    if "{entry_id}" in path:
        count = db.session.scalar(db.select(db.func.count(ReferralEntry.id)))
        entry = ReferralEntry(key=f"fuzz-{count}", agency_zh="某局", agency_en="Some bureau")
        db.session.add(entry)
        db.session.commit()
        before = snapshot()
        path = path.replace("{entry_id}", str(entry.id))
    response = _send(world, method, path.replace("{number}", ticket.number if ticket else ""), body)
    assert response.status_code < 500
    event(f"status {response.status_code}")
    after = snapshot()
    if response.status_code >= 400:
        assert not changed(before, after), f"{response.status_code} {response.json} changed the database"
    elif (method, path) in CREATES:
        assert after["tickets"] - before["tickets"] == 1
    else:
        assert after["tickets"] == before["tickets"]


list_queries = st.dictionaries(
    st.sampled_from(["status", "kind", "category", "department", "phone", "created_from", "created_to", "text",
                     "page", "per_page"]),
    st.one_of(st.sampled_from([HUGE_INT, FAR_DATE, "2024-01-01", "new,closed", "1", "200", "0012", *UNICODE_DIGITS]),
              st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)),
    max_size=4,
)


@given(query=list_queries)
@fuzz_settings(max_examples=40)
def test_any_list_query_is_a_described_answer(world, query):
    response = world.get("/api/v1/tickets", query_string=query, headers={"Accept-Language": "en"})
    assert response.status_code in (200, 400, 422), response.json
