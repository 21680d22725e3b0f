"""Canned replies (常用语): supervisors keep them; the console's SMS form and the department desk
offer those of their screen, filled for the case at hand; the API lists and fills them for what
the token's user may see."""

import re
from datetime import datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from hotline import sms_texts
from hotline.extensions import db
from hotline.knowledge import replies
from hotline.models import (
    AuditLog,
    CannedReply,
    Channel,
    Clock,
    ClockKind,
    ClockState,
    OutboxMessage,
    ReplyScope,
    Role,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import local_today, now
from intake.services import start_accept_clock
from tests.api.conftest import CheckedClient
from tests.conftest import PASSWORD
from tests.core.test_no_raw_codes import _enum_values, raw_words, visible_text
from tests.routing.desk_helpers import add_department, put_on_desk, texts

CALLER = "+8613812345678"
# 2026-03-01 23:59:59 in Beijing, as the database stores it (naive UTC): a clock's due moment.
DUE = datetime(2026, 3, 1, 15, 59, 59)


def _add(title, body, scope, position, active=True):
    reply = CannedReply(title=title, body=body, scope=scope, position=position, active=active)
    db.session.add(reply)
    db.session.commit()
    return reply


@pytest.fixture
def stock(app):
    """One reply per scope, and one not offered."""
    return {
        "sms": _add("受理告知", "案件{case_number}已登记，详询{hotline}。", ReplyScope.SMS, 1),
        "any": _add("转办告知", "案件{case_number}已转{department}办理，期限{due_date}。", ReplyScope.ANY, 2),
        "desk": _add("已联系商家", "已电话联系商家，案件{case_number}。", ReplyScope.DESK, 3),
        "off": _add("旧说法", "不再使用", ReplyScope.ANY, 4, active=False),
    }


@pytest.fixture
def dept(make_department):
    return make_department("D01", "东城区市场监管所")


@pytest.fixture
def forwarded(create_ticket, dept):
    """A complaint forwarded to D01, its mediation clock due on 2026-03-01."""
    ticket = put_on_desk(create_ticket(phone=CALLER, facts="冰箱不制冷"), dept, TicketStatus.IN_PROGRESS)
    db.session.add(Clock(ticket=ticket, kind=ClockKind.MEDIATION, state=ClockState.RUNNING,
                         started_at=now() - timedelta(days=1), due_at=DUE))
    db.session.commit()
    return ticket


def _signed_in(client, make_user, role, department=None):
    user = make_user(role=role, department=department)
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return user


def _token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


# --- management ---------------------------------------------------------------------------------


def test_a_supervisor_adds_edits_reorders_and_deactivates_with_csrf(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        supervisor = make_user(role=Role.SUPERVISOR, username="csrf-sup")
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": "csrf-sup", "password": PASSWORD, "csrf_token": _token(login)})

        form = client.get("/knowledge/replies/new").get_data(as_text=True)
        fields = {"title": "补充材料", "scope": "sms", "body": "请补充凭证，案件{case_number}。", "active": "y"}
        assert client.post("/knowledge/replies/new", data=fields).status_code == 400  # no token: refused
        assert db.session.scalar(select(CannedReply)) is None
        response = client.post("/knowledge/replies/new", data={**fields, "csrf_token": _token(form)})
        assert response.status_code == 302
        first = db.session.scalar(select(CannedReply))
        assert (first.title, first.scope, first.active, first.updated_by_id) == ("补充材料", ReplyScope.SMS, True, supervisor.id)

        form = client.get("/knowledge/replies/new").get_data(as_text=True)
        client.post("/knowledge/replies/new", data={"title": "办理时限", "scope": "any", "body": "期限{due_date}",
                                                    "active": "y", "csrf_token": _token(form)})
        second = db.session.scalar(select(CannedReply).where(CannedReply.title == "办理时限"))
        assert second.position > first.position

        page = client.get(f"/knowledge/replies/{first.id}").get_data(as_text=True)
        assert "请补充凭证" in page and re.search(r'<option (selected )?value="sms"( selected)?', page).group(0) != '<option value="sms"'
        client.post(f"/knowledge/replies/{first.id}", data={"title": "补充材料", "scope": "desk", "body": "请补充",
                                                            "active": "y", "csrf_token": _token(page)})
        db.session.refresh(first)
        assert (first.scope, first.body) == (ReplyScope.DESK, "请补充")

        listing = client.get("/knowledge/replies").get_data(as_text=True)
        assert client.post(f"/knowledge/replies/{second.id}/move", data={"step": "up"}).status_code == 400
        client.post(f"/knowledge/replies/{second.id}/move", data={"step": "up", "csrf_token": _token(listing)})
        assert [r.title for r in replies.list_for(None)] == ["办理时限", "补充材料"]
        top = client.post(f"/knowledge/replies/{second.id}/move", data={"step": "up", "csrf_token": _token(listing)},
                          follow_redirects=True).get_data(as_text=True)
        assert "已在最前" in top and [r.title for r in replies.list_for(None)] == ["办理时限", "补充材料"]

        client.post(f"/knowledge/replies/{first.id}/deactivate", data={"csrf_token": _token(listing)})
        db.session.refresh(first)
        assert first.active is False and [r.title for r in replies.list_for(None)] == ["办理时限"]

        actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "canned_reply")))
        assert actions == {"canned_reply.create", "canned_reply.update", "canned_reply.move", "canned_reply.deactivate"}


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT])
def test_operators_and_departments_cannot_manage_replies(client, make_user, stock, role, dept):
    _signed_in(client, make_user, role, dept if role == Role.DEPARTMENT else None)
    reply = stock["sms"]
    assert "/knowledge/replies" not in client.get("/my", follow_redirects=True).get_data(as_text=True)
    assert client.get("/knowledge/replies").status_code == 403
    assert client.get("/knowledge/replies/new").status_code == 403
    assert client.post("/knowledge/replies/new", data={"title": "x", "scope": "sms", "body": "x"}).status_code == 403
    assert client.post(f"/knowledge/replies/{reply.id}/deactivate").status_code == 403
    assert client.post(f"/knowledge/replies/{reply.id}/move", data={"step": "up"}).status_code == 403
    db.session.refresh(reply)
    assert reply.active and db.session.scalar(select(CannedReply).where(CannedReply.title == "x")) is None


def test_an_admin_may_manage_replies(client, make_user, stock):
    _signed_in(client, make_user, Role.ADMIN)
    assert client.get("/knowledge/replies").status_code == 200


def test_an_unknown_variable_is_refused_in_words_naming_the_allowed_ones(client, make_user):
    _signed_in(client, make_user, Role.SUPERVISOR)
    client.post("/lang/en")
    response = client.post("/knowledge/replies/new", data={
        "title": "错的", "scope": "sms", "body": "您好{name}，案件{case_number}，{ticket_no}", "active": "y"})
    assert response.status_code == 400
    (error,) = texts(response, "reply-error")
    refused, allowed = error.split("The variables")
    assert "{name}" in refused and "{ticket_no}" in refused and "{case_number}" not in refused
    assert all("{" + name + "}" in allowed for name in replies.VARIABLES)
    assert db.session.scalar(select(CannedReply)) is None

    client.post("/lang/zh")
    response = client.post("/knowledge/replies/new", data={"title": "错的", "scope": "sms", "body": "{name}"})
    (error,) = texts(response, "reply-error")
    assert "未知" in error and "{case_number}" in error


def test_the_service_refuses_what_the_form_refuses(app):
    with pytest.raises(replies.ReplyError) as refused:
        replies.create("标题", "{foo} {case_number} {bar}", "sms", None)
    assert refused.value.unknown == ("foo", "bar")
    with pytest.raises(replies.ReplyError):
        replies.create("标题", "长" * (replies.MAX_BODY + 1), "sms", None)
    with pytest.raises(replies.ReplyError):
        replies.create("  ", "正文", "sms", None)


@pytest.mark.parametrize("body", ["长" * (replies.MAX_BODY + 1)])
def test_a_too_long_body_is_refused_and_kept(client, make_user, body):
    _signed_in(client, make_user, Role.SUPERVISOR)
    response = client.post("/knowledge/replies/new", data={"title": "长", "scope": "sms", "body": body})
    assert response.status_code == 400 and body in response.get_data(as_text=True)
    assert texts(response, "reply-error")


# --- variables ----------------------------------------------------------------------------------


def test_render_fills_number_department_due_date_and_hotline_for_a_forwarded_case(app, forwarded):
    text = replies.render("案件{case_number}已转{department}，期限{due_date}，电话{hotline}。", forwarded)
    assert text == f"案件{forwarded.number}已转东城区市场监管所，期限2026-03-01，电话12315。"
    app.config["HOTLINE_NUMBER"] = "010-12315"
    assert replies.render("{hotline}", forwarded) == "010-12315"


def test_a_variable_without_a_value_reads_none_and_stray_braces_stay(app, create_ticket):
    # A consultation: no department, and no deadline (never accepted or not, no clock).
    ticket = create_ticket(phone=CALLER, kind=TicketKind.CONSULTATION)
    assert replies.render("{department}/{due_date}/{unknown}/{", ticket) == "（暂无）/（暂无）/{unknown}/{"
    assert replies.render("{department}", ticket, "en") == "(none)"


def test_the_nearest_running_clock_is_the_due_date(app, forwarded):
    db.session.add(Clock(ticket=forwarded, kind=ClockKind.NOTIFY_END, state=ClockState.MET,
                         started_at=now(), due_at=DUE - timedelta(days=20)))
    db.session.add(Clock(ticket=forwarded, kind=ClockKind.APPEAL, state=ClockState.RUNNING,
                         started_at=now(), due_at=DUE - timedelta(days=2)))
    db.session.commit()
    assert replies.render("{due_date}", forwarded) == "2026-02-27"


def test_an_undecided_case_s_due_date_is_its_acceptance_deadline_as_the_case_page_shows(
        client, make_user, calendar_2025, ticket_at, local):
    # Received Friday 26 September 2025: 7 working days on the calendar (Sunday 28 September and
    # Saturday 11 October worked, the National Day week off) end on Monday 13 October.
    texted = ticket_at(local(2025, 9, 26, 10, 0), phone=CALLER, channel=Channel.SMS, kind=TicketKind.UNKNOWN)
    assert replies.render("{due_date}", texted) == "2025-10-13"
    user = make_user(role=Role.OPERATOR)
    user.locale = "en"
    db.session.commit()
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    panel = client.get(f"/tickets/{texted.number}").get_data(as_text=True)
    panel = panel[panel.index('id="case-clocks"'):]
    assert 'data-state="pending"' in panel and "2025-10-13" in panel and "No time limit runs" not in panel
    # Once the case is saved as a complaint its accept clock runs, due the same day: one date everywhere.
    start_accept_clock(texted, user)
    db.session.commit()
    assert replies.render("{due_date}", texted) == "2025-10-13"
    panel = client.get(f"/tickets/{texted.number}").get_data(as_text=True)
    panel = panel[panel.index('id="case-clocks"'):]
    assert 'data-state="pending"' not in panel and 'data-state="running"' in panel and "2025-10-13" in panel


def test_defaults_are_seeded_once_and_only_into_an_empty_list(app):
    assert replies.seed_defaults() == len(replies.DEFAULTS)
    assert all(not replies.unknown_variables(body) for _t, _s, body in replies.DEFAULTS)
    filled = {"case_number": "20261114-00002", "due_date": "2026-03-01", "department": "东城区市场监督管理局",
              "hotline": "12315"}
    assert all(sms_texts.segments(body.format(**filled)) == 1 for _t, _s, body in replies.DEFAULTS)
    reply = db.session.scalar(select(CannedReply).order_by(CannedReply.id))
    reply.active = False
    assert replies.seed_defaults() == 0
    assert {ReplyScope.SMS, ReplyScope.DESK, ReplyScope.ANY} == {r.scope for r in replies.list_for(None)} | {reply.scope}


# --- the pickers --------------------------------------------------------------------------------


def _choices(response):
    page = response.get_data(as_text=True)
    picker = page.split('data-testid="reply-picker"')[1].split("</select>")[0]
    return dict(re.findall(r'<option value="(\d+)" data-text="([^"]*)"', picker))


def test_the_console_sms_form_offers_sms_and_any_replies_filled_for_the_case(client, make_user, stock, forwarded):
    _signed_in(client, make_user, Role.OPERATOR)
    response = client.get(f"/tickets/{forwarded.number}")
    offered = _choices(response)
    assert set(offered) == {str(stock["sms"].id), str(stock["any"].id)}
    assert offered[str(stock["any"].id)] == f"案件{forwarded.number}已转东城区市场监管所办理，期限2026-03-01。"
    assert 'src="/static/replies.js"' in response.get_data(as_text=True)


def test_a_picked_reply_is_sent_when_the_text_is_left_empty(client, make_user, stock, forwarded):
    _signed_in(client, make_user, Role.OPERATOR)
    response = client.post(f"/outbox/tickets/{forwarded.number}/reply",
                           data={"body": "", "canned_reply": str(stock["sms"].id)})
    assert response.status_code == 302
    message = db.session.scalar(select(OutboxMessage))
    assert message.body == f"案件{forwarded.number}已登记，详询12315。"


def test_insert_without_javascript_shows_the_filled_text_and_sends_nothing(client, make_user, stock, forwarded):
    _signed_in(client, make_user, Role.OPERATOR)
    response = client.post(f"/outbox/tickets/{forwarded.number}/reply",
                           data={"body": "您好，", "canned_reply": str(stock["any"].id), "insert_reply": "1"})
    assert response.status_code == 200
    body = response.get_data(as_text=True).split('id="sms-reply-body"')[1].split("</textarea>")[0]
    assert f"您好，\n案件{forwarded.number}已转东城区市场监管所办理" in body
    nothing_picked = client.post(f"/outbox/tickets/{forwarded.number}/reply",
                                 data={"body": "您好，", "canned_reply": "", "insert_reply": "1"})
    assert nothing_picked.status_code == 200
    assert db.session.scalar(select(OutboxMessage)) is None


def test_the_console_will_not_send_a_desk_or_inactive_reply(client, make_user, stock, forwarded):
    _signed_in(client, make_user, Role.OPERATOR)
    for reply in (stock["desk"], stock["off"]):
        response = client.post(f"/outbox/tickets/{forwarded.number}/reply", data={"body": "", "canned_reply": reply.id})
        assert response.status_code == 400
    assert client.post(f"/outbox/tickets/{forwarded.number}/reply",
                       data={"body": "", "canned_reply": "x' or 1=1"}).status_code == 400
    assert db.session.scalar(select(OutboxMessage)) is None


def test_the_desk_offers_desk_and_any_replies_and_records_the_picked_one(client, make_user, stock, forwarded, dept):
    _signed_in(client, make_user, Role.DEPARTMENT, dept)
    offered = _choices(client.get(f"/desk/tickets/{forwarded.number}"))
    assert set(offered) == {str(stock["desk"].id), str(stock["any"].id)}
    assert offered[str(stock["desk"].id)] == f"已电话联系商家，案件{forwarded.number}。"

    today = local_today(current_app.config["HOTLINE_TIMEZONE"]).isoformat()  # the case came in today
    step = {"kind": "business_contact", "on": today, "text": "", "canned_reply": str(stock["desk"].id)}
    inserted = client.post(f"/desk/tickets/{forwarded.number}/steps", data={**step, "insert_reply": "1"})
    assert inserted.status_code == 200 and "已电话联系商家" in inserted.get_data(as_text=True).split('id="step-text"')[1]
    unpicked = client.post(f"/desk/tickets/{forwarded.number}/steps",
                           data={**step, "text": "已联系", "canned_reply": "", "insert_reply": "1"})
    assert unpicked.status_code == 200 and db.session.scalar(select(TicketEvent.id).where(
        TicketEvent.type == "mediation_step")) is None
    assert client.post(f"/desk/tickets/{forwarded.number}/steps", data=step).status_code == 302
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.type == "mediation_step"))
    assert event.to_value == f"已电话联系商家，案件{forwarded.number}。"
    # An SMS-only reply is not the desk's to record.
    refused = client.post(f"/desk/tickets/{forwarded.number}/steps", data={**step, "canned_reply": stock["sms"].id})
    assert refused.status_code == 400


def test_no_picker_when_no_reply_is_active(client, make_user, forwarded):
    _signed_in(client, make_user, Role.OPERATOR)
    assert 'data-testid="reply-picker"' not in client.get(f"/tickets/{forwarded.number}").get_data(as_text=True)


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def api(client, spec):
    return CheckedClient(client, spec)


def test_the_api_lists_a_screens_active_replies(api, make_user, token_for, stock):
    operator = api.as_(token_for(make_user(Role.OPERATOR)))
    listed = operator.get("/api/v1/replies?scope=sms")
    assert listed.status_code == 200
    assert [r["title"] for r in listed.json["items"]] == ["受理告知", "转办告知"]
    assert listed.json["items"][0] == {"id": stock["sms"].id, "title": "受理告知",
                                       "body": "案件{case_number}已登记，详询{hotline}。", "scope": "sms"}
    assert [r["title"] for r in operator.get("/api/v1/replies?scope=desk").json["items"]] == ["转办告知", "已联系商家"]
    assert len(operator.get("/api/v1/replies").json["items"]) == 3
    bad = operator.get("/api/v1/replies?scope=any")
    assert bad.status_code == 422 and "scope" in bad.json["fields"]
    assert api.get("/api/v1/replies").status_code == 401


def test_the_api_fills_a_reply_for_a_case_the_user_may_see(api, make_user, token_for, stock, forwarded, dept):
    mine = api.as_(token_for(make_user(Role.DEPARTMENT, department=dept)))
    filled = mine.get(f"/api/v1/replies/{stock['any'].id}/render?case={forwarded.number}")
    assert filled.status_code == 200
    text = f"案件{forwarded.number}已转东城区市场监管所办理，期限2026-03-01。"
    assert filled.json == {"id": stock["any"].id, "case": forwarded.number, "text": text,
                           "characters": len(text), "segments": 1}

    other = api.as_(token_for(make_user(Role.DEPARTMENT, department=add_department("D02"))))
    assert other.get(f"/api/v1/replies/{stock['any'].id}/render?case={forwarded.number}").status_code == 404
    assert mine.get(f"/api/v1/replies/{stock['off'].id}/render?case={forwarded.number}").status_code == 404
    assert mine.get(f"/api/v1/replies/99999999999/render?case={forwarded.number}").status_code == 404
    assert mine.get(f"/api/v1/replies/abc/render?case={forwarded.number}").status_code == 404
    assert mine.get(f"/api/v1/replies/{stock['any'].id}/render").status_code == 422
    admin = api.as_(token_for(make_user(Role.ADMIN)))
    assert admin.get(f"/api/v1/replies/{stock['any'].id}/render?case={forwarded.number}").status_code == 403
    assert admin.get("/api/v1/replies").status_code == 200


def test_the_openapi_document_describes_the_replies(api):
    doc = api.get("/api/v1/openapi.json").json
    assert {"/replies", "/replies/{reply_id}/render"} <= set(doc["paths"])
    assert {"CannedReply", "RenderedReply"} <= set(doc["components"]["schemas"])


# --- words on the screen ------------------------------------------------------------------------


def test_the_chinese_pages_say_everything_in_words(client, make_user, stock, forwarded, dept):
    codes = _enum_values()
    _signed_in(client, make_user, Role.SUPERVISOR)
    client.post("/lang/zh")
    pages = ["/knowledge/replies", "/knowledge/replies/new", f"/tickets/{forwarded.number}"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200
        assert raw_words(visible_text(response.get_data(as_text=True)), codes) == [], url
    listing = client.get("/knowledge/replies")
    assert set(texts(listing, "reply-scope")) == {"短信", "部门工作台", "通用"}
    # The form's choices are the same lazy labels, read in the asker's language at each request.
    assert ">部门工作台</option>" in client.get("/knowledge/replies/new").get_data(as_text=True)
    assert 'href="/knowledge/replies"' in client.get("/my", follow_redirects=True).get_data(as_text=True)
    # An error names the variables (typed as is) in a Chinese sentence.
    refused = client.post("/knowledge/replies/new", data={"title": "错", "scope": "any", "body": "{foo}"})
    assert raw_words(visible_text(refused.get_data(as_text=True).replace("{foo}", "")), codes) == []
    client.post("/logout")
    _signed_in(client, make_user, Role.DEPARTMENT, dept)
    client.post("/lang/zh")
    desk = client.get(f"/desk/tickets/{forwarded.number}").get_data(as_text=True)
    assert 'data-testid="reply-picker"' in desk
    assert raw_words(visible_text(desk), codes) == []
