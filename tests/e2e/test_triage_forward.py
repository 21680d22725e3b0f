"""In Chromium: an operator forwards a waiting case from the triage list in one click with
instructions (转办意见), and the department's staff read them first on their desk."""

import pytest

from hotline import accounts, tickets
from hotline.deadlines import clocks
from hotline.extensions import db
from hotline.models import ClockKind, Department, Role, TicketKind, TicketStatus
from hotline.seeds import seed_categories
from hotline.timeutil import now
from routing import services
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in_through_form

pytestmark = pytest.mark.e2e
INSTRUCTIONS = "请先核实商家是否已退款，三日内联系消费者。"


def _waiting_case(app):
    """A Haidian department, an ASK rule naming it, and an accepted case waiting in triage."""
    with app.app_context():
        seed_categories()
        haidian = Department(code="MS03", name="海淀市场监管所")
        db.session.add(haidian)
        db.session.flush()
        services.create_rule({"name": "海淀商家", "division": "110108", "department_id": haidian.id,
                              "action": "ask"}, None, "test")
        ticket = tickets.open_ticket("voice", caller=tickets.find_or_create_caller("+8613800138000"),
                                     kind=TicketKind.COMPLAINT, respondent_name="某电器行",
                                     respondent_division="110108", respondent_region="北京市海淀区",
                                     summary="空调不制冷，商家拒绝退货", facts="空调不制冷，商家拒绝退货")
        tickets.change_status(ticket, TicketStatus.ACCEPTED)
        ticket.accepted_at = now()
        clocks.start_clock(ticket, ClockKind.FORWARD)
        accounts.create_user("haidian", PASSWORD, Role.DEPARTMENT, department=haidian)
        db.session.commit()
        return ticket.number, haidian.id


def test_one_click_forward_with_instructions_reaches_the_departments_desk(live_server, browser_page, _chromium,
                                                                           browser_errors):
    number, haidian_id = _waiting_case(live_server.app)
    live_server.create_user(Role.OPERATOR, "op")


    page = sign_in_through_form(browser_page, live_server.url, "op")
    page.goto(f"{live_server.url}/routing/triage")
    row = page.locator(f'[data-testid="triage-row"][data-number="{number}"]')
    assert "海淀市场监管所" in row.locator('[data-testid="suggested"]').inner_text()
    assert row.locator("select[name=department] option:checked").inner_text().endswith("海淀市场监管所")
    page.screenshot(path="/tmp/triage_before.png", full_page=True)
    row.locator("input[name=instructions]").fill(INSTRUCTIONS)
    with page.expect_navigation():
        row.locator('[data-testid="forward"]').click()
    assert page.url.endswith("/routing/triage")
    assert page.locator(f'[data-number="{number}"]').count() == 0
    assert "海淀市场监管所" in page.locator(".flash, .flashes, [role=status], .notice").first.inner_text()

    context = _chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        desk = sign_in_through_form(context.new_page(), live_server.url, "haidian")
        desk.goto(f"{live_server.url}/desk")
        assert INSTRUCTIONS in desk.locator('[data-testid="desk-instructions"]').inner_text()
        desk.click(f'text="{number}"')
        first = desk.locator(".col-main > section").first
        assert first.get_attribute("id") == "desk-instructions" and INSTRUCTIONS in first.inner_text()
        desk.screenshot(path="/tmp/desk_instructions.png", full_page=True)
    finally:
        context.close()
    assert browser_errors == []


def test_a_forward_without_a_department_keeps_the_instructions_and_the_page_works(live_server, browser_page,
                                                                                  browser_errors):
    """The browser's own check (required) is bypassed, as an old browser or a lost option would:
    the server refuses, says why in Chinese, keeps the instructions, and leaves the user on a page
    whose controls work. The case page's box does the same, its select then under the cursor."""
    number, haidian_id = _waiting_case(live_server.app)
    live_server.create_user(Role.OPERATOR, "op")
    page = sign_in_through_form(browser_page, live_server.url, "op")
    page.goto(f"{live_server.url}/routing/triage")
    no_checks = "() => document.querySelectorAll('form').forEach(f => { f.noValidate = true; })"
    page.evaluate(no_checks)
    row = page.locator(f'[data-testid="triage-row"][data-number="{number}"]')
    row.locator("select[name=department]").select_option("")
    row.locator("input[name=instructions]").fill(INSTRUCTIONS)
    with page.expect_navigation() as navigation:
        row.locator('[data-testid="forward"]').click()
    assert navigation.value.status == 422
    assert page.url.endswith("/routing/triage")
    error = page.locator('[data-testid="forward-error"]')
    assert error.inner_text() == f"工单 {number} 未转办。请选择要转办的承办部门。"
    assert row.locator("input[name=instructions]").input_value() == INSTRUCTIONS
    assert page.evaluate("() => document.activeElement.name") == "department"  # the field to fix
    page.screenshot(path="/tmp/triage_refused.png", full_page=True)

    # Its other controls work: the language switch comes back to the list, not to a 405.
    with page.expect_navigation():
        page.click("#lang-en")
    assert page.url.endswith("/routing/triage") and page.locator("h1").inner_text() == "Triage queue"
    with page.expect_navigation():
        page.click("#lang-zh")

    # The case page's box: refused (422) onto the boxes' own page, the instructions kept, the
    # department select under the cursor; choosing one and Enter forwards.
    page.goto(f"{live_server.url}/tickets/{number}")
    page.evaluate(no_checks)
    page.fill("#forward-other-instructions", INSTRUCTIONS)
    with page.expect_navigation() as navigation:
        page.locator("#forward-other button[type=submit]").click()
    assert navigation.value.status == 422
    assert page.url.endswith(f"/routing/tickets/{number}/forward")
    assert page.locator('[data-testid="forward-error"]').inner_text() == "请选择要转办的承办部门。"
    assert page.locator("#forward-other-instructions").input_value() == INSTRUCTIONS
    assert page.evaluate("() => document.activeElement.id") == "forward-other-department"
    page.screenshot(path="/tmp/forward_refused.png", full_page=True)
    page.locator("#forward-other-department").select_option(str(haidian_id))
    page.keyboard.press("Tab")  # on to the kept instructions; Enter sends the form
    assert page.evaluate("() => document.activeElement.id") == "forward-other-instructions"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/tickets/{number}")
    assert "海淀市场监管所" in page.locator(".flash.success").inner_text()
    # Chromium logs the refusal's 422 itself; nothing else may go wrong.
    assert [e for e in browser_errors if "status of 422" not in e] == []
