"""A forward sent without a department (or to one that no longer takes cases) is refused in the
user's language, nothing is forwarded, and the instructions (转办意见) typed are kept:

- from the triage list: 422 with the list again, at the list's own address (its row forms post to
  /routing/triage, so the page the user ends on, its other controls and a reload still work);
- from the case page: 422 with the forward boxes again on a page of their own, at an address that
  also answers a GET, the box sent under the cursor with its instructions."""

import html
import re

import pytest
from sqlalchemy import select

from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import ClockKind, OutboxMessage, TicketEvent, TicketStatus
from tests.routing import rules_helpers
from tests.routing.rules_helpers import accepted, add_rule

world = rules_helpers.world
INSTRUCTIONS = "请先核实商家是否已退款，三日内联系消费者。"


@pytest.fixture
def waiting(world, create_ticket):
    """An accepted case in triage whose respondent an ASK rule names a department for."""
    add_rule(world["supervisor"], name="海淀商家", division="110108", department=world["departments"]["MS03"],
             action="ask")
    ticket = accepted(create_ticket, respondent_name="某电器行", respondent_division="110108", facts="空调不制冷")
    clocks.start_clock(ticket, ClockKind.FORWARD)
    world["operator"].locale = "zh"
    db.session.commit()
    return ticket


def not_forwarded(ticket):
    db.session.refresh(ticket)
    assert (ticket.status, ticket.department_id, ticket.forward_instructions) == (TicketStatus.ACCEPTED, None, None)
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all() == []
    events = db.session.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket.id)).all()
    assert not [e for e in events if "forward" in e], events


def row_of(page, number):
    start = page.index(f'data-number="{number}"')
    return page[start:page.index("</tr>", start)]


def value_of(markup, element_id=None, name=None):
    """The value attribute of the input with this id (or name), unescaped; None without one."""
    key = f'id="{element_id}"' if element_id else f'name="{name}"'
    tag = re.search(r"<input[^>]*" + re.escape(key) + r"[^>]*>", markup).group(0)
    found = re.search(r'\svalue="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


# --- the triage list --------------------------------------------------------------------------


def test_triage_forward_without_a_department_is_the_list_again_with_the_instructions(world, waiting, client,
                                                                                     login):
    login(world["operator"])
    before = client.get("/routing/triage").get_data(as_text=True)
    assert '<form method="post" action="/routing/triage"' in row_of(before, waiting.number)

    response = client.post("/routing/triage", data={"number": waiting.number, "department": "",
                                                     "instructions": INSTRUCTIONS})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "待分派队列" in page  # the triage page, in Chinese
    assert f"工单 {waiting.number} 未转办。请选择要转办的承办部门。" in page
    assert "Choose a department" not in page
    row = row_of(page, waiting.number)
    assert value_of(row, name="instructions") == INSTRUCTIONS
    assert "autofocus" in row and 'aria-describedby="triage-error"' in row
    assert " selected>" not in row  # as sent: no department
    not_forwarded(waiting)

    # The page the user is on works: its address answers a GET, the row forwards once chosen.
    assert client.get("/routing/triage").status_code == 200
    haidian = world["departments"]["MS03"]
    done = client.post("/routing/triage", data={"number": waiting.number, "department": haidian.id,
                                                 "instructions": INSTRUCTIONS})
    assert done.status_code == 302 and done.headers["Location"].endswith("/routing/triage")
    db.session.refresh(waiting)
    assert (waiting.status, waiting.department_id, waiting.forward_instructions) == (
        TicketStatus.FORWARDED, haidian.id, INSTRUCTIONS)
    assert "海淀市场监管所" in client.get("/routing/triage").get_data(as_text=True)  # the success flash


def test_triage_forward_to_a_closed_department_says_so_in_english_too(world, waiting, client, login):
    closed = world["departments"]["MS02"]
    closed.active = False
    world["operator"].locale = "en"
    db.session.commit()
    login(world["operator"])
    response = client.post("/routing/triage", data={"number": waiting.number, "department": closed.id,
                                                     "instructions": INSTRUCTIONS})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"Case {waiting.number} was not forwarded. This department does not take cases any more: choose another." in page
    assert value_of(row_of(page, waiting.number), name="instructions") == INSTRUCTIONS
    not_forwarded(waiting)


def test_triage_forward_of_an_unknown_case_is_not_found(world, waiting, client, login):
    login(world["operator"])
    assert client.post("/routing/triage", data={"department": ""}).status_code == 404
    assert client.post("/routing/triage", data={"number": "20990101-00001", "department": ""}).status_code == 404
    not_forwarded(waiting)


# --- the case page ----------------------------------------------------------------------------


def test_case_page_forward_without_a_department_is_refused_with_the_boxes_again(world, waiting, client, login):
    login(world["operator"])
    url = f"/routing/tickets/{waiting.number}/forward"
    response = client.post(url, data={"department": "", "instructions": INSTRUCTIONS})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"转办工单 {waiting.number}" in page and "某电器行" in page
    panel = page[page.index('id="forward-panel"'):]
    assert "请选择要转办的承办部门。" in panel
    assert value_of(panel, "forward-other-instructions") == INSTRUCTIONS
    assert value_of(panel, "forward-suggested-instructions") is None  # the box that was sent, not the other
    assert 'id="forward-other-department" required autofocus aria-invalid="true"' in panel
    assert 'id="forward-suggested-instructions" autofocus' not in panel  # one cursor: the field to fix
    not_forwarded(waiting)

    # The page's address answers a GET (language switch, reload); the case page is as before.
    assert client.get(url).status_code == 200
    again = client.get(f"/tickets/{waiting.number}").get_data(as_text=True)
    assert "请选择要转办的承办部门。" not in again and INSTRUCTIONS not in again
    done = client.post(url, data={"department": world["departments"]["MS03"].id, "instructions": INSTRUCTIONS})
    assert done.status_code == 302 and done.headers["Location"] == f"/tickets/{waiting.number}"
    db.session.refresh(waiting)
    assert (waiting.status, waiting.forward_instructions) == (TicketStatus.FORWARDED, INSTRUCTIONS)


def test_the_suggested_box_keeps_its_own_instructions(world, waiting, client, login):
    login(world["operator"])
    page = client.get(f"/tickets/{waiting.number}").get_data(as_text=True)
    assert 'id="forward-to-suggested"' in page
    world["departments"]["MS03"].active = False  # closed meanwhile
    db.session.commit()
    response = client.post(f"/routing/tickets/{waiting.number}/forward",
                           data={"department": world["departments"]["MS03"].id, "box": "suggested",
                                 "instructions": INSTRUCTIONS})
    assert response.status_code == 422
    not_forwarded(waiting)
    # The closed department suggests nothing now: the instructions wait in the other box.
    panel = response.get_data(as_text=True)
    panel = panel[panel.index('id="forward-panel"'):]
    assert "该部门已不再承办工单，请另选部门。" in panel
    assert value_of(panel, "forward-other-instructions") == INSTRUCTIONS


def test_long_instructions_are_kept_whole_and_the_limit_is_said(world, waiting, client, login):
    login(world["operator"])
    long_text = "字" * 2001  # over the 2,000 allowed: refused, and nothing of it lost
    response = client.post(f"/routing/tickets/{waiting.number}/forward",
                           data={"department": world["departments"]["MS03"].id, "instructions": long_text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请选择在用的承办部门；转办意见最多 2000 字。" in page
    assert value_of(page[page.index('id="forward-panel"'):], "forward-other-instructions") == long_text
    not_forwarded(waiting)


def test_a_case_that_is_not_waiting_says_so(world, create_ticket, client, login):
    login(world["operator"])
    new_case = create_ticket(facts="快递丢件")
    page = client.get(f"/routing/tickets/{new_case.number}/forward")
    assert page.status_code == 200
    assert "该工单不在待转办状态。" in page.get_data(as_text=True)
    assert 'id="forward-panel"' not in page.get_data(as_text=True)
    assert client.get("/routing/tickets/20990101-00001/forward").status_code == 404
