"""One save is one timeline entry: the fields it changed listed, the changes behind a toggle, people
by name (issue 16.3)."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from hotline import tickets
from hotline.console.services import group_saves, timeline
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, Role
from hotline.timeutil import clock_at, now


def test_one_save_of_many_fields_is_one_entry_naming_the_people(client, signed_in, create_ticket, make_user):
    me = signed_in(Role.OPERATOR)
    colleague = make_user(Role.OPERATOR)
    colleague.display_name = "张接线员"
    ticket = create_ticket()
    before = len(timeline(ticket))
    tickets.update_fields(ticket, {"summary": "空调不制冷", "demand": "退货退款", "amount": "3999",
                                   "assigned_to_id": colleague.id}, actor=me)
    db.session.commit()

    entries = timeline(ticket)
    assert len(entries) == before + 1
    save = entries[-1]
    assert save.kind == "save" and [e.field for e in save.changes] == ["summary", "demand", "amount", "assigned_to_id"]

    client.post("/lang/zh")
    html = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert 'data-changes="4"' in html
    # The owner has the case details' word (接线员), not the departments' (承办).
    assert "修改了 4 项信息" in html and "摘要、诉求、涉及金额、接线员" in html
    assert "<dt>接线员</dt>" in html and "承办人" not in html
    # The assignee by name, never by id.
    assert "张接线员" in html and f"→ {colleague.id}<" not in html


def test_a_lone_change_and_changes_of_other_moments_or_people_stay_apart(app, create_ticket, make_user):
    first, second = make_user(Role.OPERATOR), make_user(Role.SUPERVISOR)
    ticket = create_ticket()
    start = now()
    with freeze_time(start):
        tickets.update_fields(ticket, {"summary": "一"}, actor=first)
    with freeze_time(start + timedelta(seconds=1)):
        tickets.update_fields(ticket, {"demand": "二"}, actor=second)
    with freeze_time(start + timedelta(minutes=5)):
        tickets.update_fields(ticket, {"facts": "三", "demand": "四"}, actor=second)
    db.session.commit()

    kinds = [(e.kind, len(e.changes or [])) for e in timeline(ticket) if e.kind != "contact"][-3:]
    assert kinds == [("event", 0), ("event", 0), ("save", 2)]
    assert group_saves([]) == []


def test_the_case_opens_its_timeline_even_when_its_text_came_a_moment_before(app, create_ticket):
    # A text is recorded, then the case it opens, within the same second: the page shows seconds,
    # so "created" must come first; a call from a second before really came first and stays so.
    second = datetime(2026, 3, 2, 1, 0, 0)
    with clock_at(second + timedelta(microseconds=700_000)):
        ticket = create_ticket(channel=Channel.SMS)
    for at, body in ((second + timedelta(microseconds=200_000), "冰箱坏了"),
                     (second - timedelta(seconds=1), "在吗")):
        db.session.add(Contact(channel=Channel.SMS, direction=Direction.INBOUND, caller=ticket.caller,
                               ticket=ticket, from_number=ticket.caller.phone, body=body, created_at=at))
    db.session.commit()
    order = [e.item.type if e.kind == "event" else e.item.body for e in timeline(ticket)]
    assert order == ["在吗", "created", "冰箱坏了"]
