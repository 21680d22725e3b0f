"""My tickets, search, the ticket page, revealing a number, notes, department confinement."""

import re

import pytest
from sqlalchemy import event, func, select

from hotline import tickets
from hotline.extensions import db
from hotline.models import AuditLog, Channel, Contact, Department, Direction, Role, TicketKind, TicketStatus


@pytest.fixture
def departments(app):
    east, west = Department(code="E1", name="东城所"), Department(code="W1", name="西城所")
    db.session.add_all([east, west])
    db.session.commit()
    return east, west


def test_my_tickets_lists_mine_with_open_ones_first(client, signed_in, create_ticket, make_user):
    me = signed_in(Role.OPERATOR)
    closed = create_ticket(phone="+8613800001111", assigned_to=me, summary="已结案")
    tickets.change_status(closed, TicketStatus.CLOSED)
    open_one = create_ticket(phone="+8613800002222", assigned_to=me, summary="处理中")
    create_ticket(phone="+8613800003333", assigned_to=make_user(), summary="别人的")
    db.session.commit()
    # The closed case is newer, yet the open one comes first.
    closed.created_at = open_one.created_at.replace(year=open_one.created_at.year + 1)
    db.session.commit()

    html = client.get("/my").get_data(as_text=True)
    assert "别人的" not in html
    assert html.index(open_one.number) < html.index(closed.number)


def test_search_by_number_phone_tail_and_words(client, signed_in, create_ticket):
    signed_in(Role.OPERATOR)
    a = create_ticket(phone="+8613800001234", facts="空调不制冷，商家拒绝退换")
    b = create_ticket(phone="+8613900005678", facts="手机屏幕碎了")

    def found(query, **filters):
        html = client.get("/search", query_string={"q": query, **filters}).get_data(as_text=True)
        return {t.number for t in (a, b) if t.number in html}

    assert found(a.number) == {a.number}
    assert found("5678") == {b.number}
    assert found("13800001234") == {a.number}
    assert found("不制冷") == {a.number}
    assert found("", kind="complaint") == {a.number, b.number}
    assert found("", kind="report") == set()
    assert found("", status="closed") == set()
    assert found("", status="open") == {a.number, b.number}
    assert client.get("/search?status=bogus&kind=bogus").status_code == 200
    assert client.get("/search?page=x").status_code == 400  # a page that is no number is said so (issue 13)


def test_a_case_filed_without_a_call_is_found_by_the_complainants_number_and_name(
        client, signed_in, create_ticket, departments, login, make_user):
    """Web and API cases have no calling number: the number and name the complainant gave are
    what the operator searches by. A department still finds no reporter by number or name."""
    east, _west = departments
    web = create_ticket(phone=None, channel=Channel.WEB, complainant_name="钱投诉", complainant_phone="+8613755556666",
                        facts="冰箱不制冷", department=east)
    report = create_ticket(phone=None, channel=Channel.WEB, kind=TicketKind.REPORT, complainant_name="孙举报",
                           complainant_phone="+8613755557777", confidential=True, facts="无证经营", department=east)

    def found(query):
        html = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        return {t.number for t in (web, report) if t.number in html}

    signed_in(Role.OPERATOR)
    assert found("13755556666") == {web.number} and found("钱投诉") == {web.number}
    assert found("137 5555 7777") == {report.number} and found("孙举报") == {report.number}
    row = client.get("/search", query_string={"q": "钱投诉"}).get_data(as_text=True)
    assert "钱投诉 <span class=\"mono muted\">137****6666</span>" in row  # who filed, in the list's caller column
    login(make_user(role=Role.DEPARTMENT, department=east))
    assert found("13755556666") == {web.number} and found("钱投诉") == {web.number}
    assert found("13755557777") == set() and found("孙举报") == set()


def test_search_pages_by_fifty_without_a_query_per_row(client, signed_in, create_ticket, app):
    me = signed_in(Role.OPERATOR)
    made = [create_ticket(phone=f"+86138000{i:05d}", facts=f"批量 {i}", assigned_to=me) for i in range(55)]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        first = client.get("/search?q=批量").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert sum(t.number in first for t in made) == 50
    assert 'id="page-next"' in first and 'id="page-prev"' not in first
    assert len(statements) < 15, statements
    second = client.get("/search?q=批量&page=2").get_data(as_text=True)
    assert sum(t.number in second for t in made) == 5
    assert made[0].number in second  # newest first, so the oldest is on the last page
    assert 'id="page-next"' not in second and 'id="page-prev"' in second


def test_ticket_page_shows_the_case_masked_caller_and_merged_timeline(client, signed_in, create_ticket, make_user):
    operator = signed_in(Role.OPERATOR)
    ticket = create_ticket(phone="+8613812345678", facts="买的空调用了两周就不制冷", demand="退货退款",
                           respondent_name="美的电器专卖店", assigned_to=operator)
    ticket.caller.name = "刘先生"
    other = create_ticket(phone="+8613812345678", facts="另一件事")
    db.session.add(Contact(channel=Channel.SMS, direction=Direction.INBOUND, ticket=ticket,
                           caller=ticket.caller, body="请尽快处理"))
    tickets.add_note(ticket, "已联系商家", make_user(role=Role.SUPERVISOR, username="boss"))
    tickets.change_status(ticket, TicketStatus.ACCEPTED, actor=operator)
    db.session.commit()

    html = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)

    for text in ["买的空调用了两周就不制冷", "退货退款", "美的电器专卖店", "刘先生", "138****5678",
                 "请尽快处理", "已联系商家", "boss", other.number, 'id="reveal-phone"']:
        assert text in html, text
    assert "+8613812345678" not in html and "13812345678" not in html
    # Timeline in time order: opened, SMS, note, status change.
    positions = [html.index(t) for t in ["请尽快处理", "已联系商家", 'ev-status']]
    assert positions == sorted(positions)


def test_reveal_shows_the_full_number_and_writes_an_audit_row(client, signed_in, create_ticket):
    operator = signed_in(Role.OPERATOR)
    ticket = create_ticket(phone="+8613812345678")
    response = client.post(f"/tickets/{ticket.number}/reveal-phone")
    assert response.status_code == 200
    assert "+8613812345678" in response.get_data(as_text=True)
    rows = db.session.scalars(select(AuditLog)).all()
    assert [(r.user_id, r.action, r.target_type, r.target_id) for r in rows] == [
        (operator.id, "reveal_phone", "ticket", ticket.number)
    ]
    # Reloading the page masks it again.
    assert "+8613812345678" not in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)


def test_a_department_reveals_the_number_of_a_complainant_who_wrote_in(client, signed_in, create_ticket, departments):
    """A complaint filed on the web has no calling number: the complainant's own is the one the
    department needs to mediate; it is masked until revealed, and the reveal is audited."""
    east, _west = departments
    clerk = signed_in(Role.DEPARTMENT, department=east)
    ticket = create_ticket(phone=None, channel=Channel.WEB, complainant_name="钱投诉",
                           complainant_phone="+8613755556666", department=east)
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "137****6666" in page and 'id="reveal-phone"' in page and "+8613755556666" not in page
    revealed = client.post(f"/tickets/{ticket.number}/reveal-phone").get_data(as_text=True)
    assert '<span class="mono revealed" data-testid="complainant-phone">+8613755556666</span>' in revealed
    rows = db.session.scalars(select(AuditLog)).all()
    assert [(r.user_id, r.action, r.target_id) for r in rows] == [(clerk.id, "reveal_phone", ticket.number)]


def test_roles_that_may_not_reveal_are_refused_and_no_audit_row(client, signed_in, create_ticket):
    signed_in(Role.ADMIN)
    ticket = create_ticket(phone="+8613812345678")
    assert 'id="reveal-phone"' not in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    response = client.post(f"/tickets/{ticket.number}/reveal-phone")
    assert response.status_code in (403, 404)  # admins do not even see the case (issue 13)
    assert "+8613812345678" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


def test_department_user_sees_only_own_department(client, signed_in, create_ticket, departments):
    east, west = departments
    signed_in(Role.DEPARTMENT, department=east)
    ours = create_ticket(phone="+8613800001111", facts="东城的案子", department=east)
    theirs = create_ticket(phone="+8613800001111", facts="西城的案子", department=west)
    unrouted = create_ticket(phone="+8613800002222", facts="还没转办的案子")

    assert client.get(f"/tickets/{ours.number}").status_code == 200
    for hidden in (theirs, unrouted):
        assert client.get(f"/tickets/{hidden.number}").status_code == 404
        assert client.post(f"/tickets/{hidden.number}/reveal-phone").status_code == 404
        assert client.post(f"/tickets/{hidden.number}/notes", data={"text": "x"}).status_code == 404
    results = client.get("/search?q=案子").get_data(as_text=True)
    assert ours.number in results and theirs.number not in results and unrouted.number not in results
    assert 'data-testid="no-tickets"' in client.get(f"/search?q={theirs.number}").get_data(as_text=True)
    # The caller's other cases leave out the other department's.
    assert theirs.number not in client.get(f"/tickets/{ours.number}").get_data(as_text=True)
    assert ours.number in client.get("/").get_data(as_text=True)
    # Their own department's complaint: they may reveal (mediation needs it), and it is audited.
    assert "+8613800001111" in client.post(f"/tickets/{ours.number}/reveal-phone").get_data(as_text=True)


def test_department_account_without_department_sees_nothing(client, signed_in, create_ticket):
    signed_in(Role.DEPARTMENT)
    ticket = create_ticket(facts="无部门")
    assert client.get(f"/tickets/{ticket.number}").status_code == 404
    assert ticket.number not in client.get("/search").get_data(as_text=True)


def test_add_note_appears_on_the_timeline(client, signed_in, create_ticket):
    operator = signed_in(Role.OPERATOR)
    ticket = create_ticket(kind=TicketKind.CONSULTATION)
    response = client.post(f"/tickets/{ticket.number}/notes", data={"text": "  已答复：七天无理由  "})
    assert response.status_code == 302
    html = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "已答复：七天无理由" in html and operator.display_name in html
    assert client.post(f"/tickets/{ticket.number}/notes", data={"text": ""}).status_code == 400


def test_an_answered_consultation_shows_the_answer_given(client, signed_in, create_ticket):
    signed_in(Role.OPERATOR)
    answer = "一般为一年，以说明书为准"
    ticket = create_ticket(kind=TicketKind.CONSULTATION, facts="三包期多久", answer=answer)
    html = client.get(f"/tickets/{ticket.number}", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert 'id="ticket-answer"' in html and answer in html
    assert "给来电人的答复" in html
    other = create_ticket(kind=TicketKind.COMPLAINT)
    assert 'id="ticket-answer"' not in client.get(f"/tickets/{other.number}").get_data(as_text=True)


def test_unknown_ticket_is_404(client, signed_in):
    signed_in(Role.SUPERVISOR)
    assert client.get("/tickets/20990101-00001").status_code == 404


def test_the_timeline_names_categories_and_kinds_rather_than_codes(client, make_user, login, create_ticket):
    from hotline import tickets as services
    from hotline.extensions import db
    from hotline.models import Category, Role, TicketKind
    from hotline.seeds import seed_categories

    seed_categories()
    login(make_user(role=Role.OPERATOR))
    ticket = create_ticket(kind=TicketKind.UNKNOWN)
    phones = db.session.scalar(db.select(Category).where(Category.code == "G02"))
    services.update_fields(ticket, {"category_id": phones.id, "kind": TicketKind.COMPLAINT})
    db.session.commit()
    import re

    # The two changes are one save: one entry, each change listed in its toggle.
    page = client.get(f"/tickets/{ticket.number}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    changes = " ".join(re.findall(r'<li class="ev ev-(?:field|save)".*?</div>', page, re.S))
    assert "Phones and electronics" in changes and "Complaint" in changes
    assert f"→ {phones.id}" not in changes and "complaint" not in changes


def test_an_answered_call_reads_in_the_call_until_it_ends_whatever_twilio_last_said(
        client, signed_in, create_ticket):
    """Twilio's last status of the caller's leg stayed "ringing" for the whole talk, so the
    timeline said 振铃中 beside 接听 while the call bar said 通话中."""
    from hotline.timeutil import now

    operator = signed_in(Role.OPERATOR)
    ticket = create_ticket(phone="+8613812345678")
    call = Contact(channel=Channel.VOICE, direction=Direction.INBOUND, ticket=ticket, caller=ticket.caller,
                   queued_at=now(), answered_at=now(), answered_by=operator, status="ringing",
                   queue_result="bridged")
    db.session.add(call)
    db.session.commit()
    state = re.compile(r'data-testid="call-state">([^<]*)<')
    assert state.search(client.get(f"/tickets/{ticket.number}").get_data(as_text=True)).group(1) == "已接通接线员 · 通话中"
    call.ended_at, call.status = now(), "completed"
    db.session.commit()
    assert state.search(client.get(f"/tickets/{ticket.number}").get_data(as_text=True)).group(1) == "已接通接线员 · 通话已结束"


@pytest.mark.parametrize(("kind", "word"), [(TicketKind.REPORT, "举报人"), (TicketKind.CONSULTATION, "来电人"),
                                            (TicketKind.COMPLAINT, "投诉人")])
def test_the_case_page_names_who_filed_it_by_the_kind_of_case(client, signed_in, create_ticket, kind, word):
    signed_in(Role.OPERATOR)
    ticket = create_ticket(kind=kind)
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert re.search(rf"<dt>{word}</dt>\s*<dd id=\"ticket-complainant\">", page)
