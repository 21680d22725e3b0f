"""Whole journeys at the keyboard (issue 15, point 9): a call or a text arrives the way Twilio
delivers it (signed webhooks), the operator, signed in on the console, sets themself available
and answers; from there to the disposition only the keyboard is used (typed text, Tab, Enter and
the shortcuts the pages list), never the mouse. Each journey checks what the operator sees and
what the caller gets (the outbox), and leaves screenshots of its key screens (Chinese, 1440 px)
in JOURNEY_SCREENSHOTS (default: <tmp>/hotline-keyboard-journeys) to look at by eye.

    complaint    accepted and forwarded (the demo's routing rules pick the department)
    consultation answered on the spot, the case closed as answered
    referral     a carrier's billing complaint, out of scope: referred to 12300 with its facts kept
    sms          a text becomes a case, completed and accepted
"""

import os
import re
import secrets
import tempfile
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.extensions import db
from hotline.models import ArticleUse, Contact, OutboxMessage, Survey, Ticket
from tests.e2e.conftest import POLL_TIMEOUT_MS

pytestmark = pytest.mark.e2e

SHOTS = Path(
    os.environ.get("JOURNEY_SCREENSHOTS") or Path(tempfile.gettempdir()) / "hotline-keyboard-journeys"
)
OPERATOR_PHONE = "+8613911112222"
MAX_TABS = 40  # bounded: a control further than this from the cursor is a failure, not a loop
SUGGESTION_TIMEOUT_MS = 10_000  # typing stops, 400 ms, then the suggestion is asked for


class Keys:
    """The operator's keyboard: every key pressed goes through here and is counted."""

    def __init__(self, page):
        self.page, self.count, self.tabs = page, 0, 0

    def type(self, text):
        self.page.keyboard.type(text)
        self.count += len(text)

    def press(self, key, times=1):
        for _ in range(times):
            self.page.keyboard.press(key)
            self.count += 1

    def focused(self, selector):
        return self.page.evaluate(
            "s => Boolean(document.activeElement && document.activeElement.matches(s))", selector
        )

    def tab_to(self, selector, back=False):
        """Tab (Shift+Tab) until the cursor is on `selector`."""
        for _ in range(MAX_TABS):
            if self.focused(selector):
                return
            self.press("Shift+Tab" if back else "Tab")
            self.tabs += 1
        raise AssertionError(f"{selector} not reached in {MAX_TABS} tabs")


@pytest.fixture
def hotline(live_server):
    """The demo's world (Beijing, its departments and routing rules, the referral directory,
    the suggestion rules), open round the clock, and an operator with a phone to ring.

    The suggestion model is trained first, as a deployment does at start-up (SUGGEST_WARM_UP):
    trained lazily, inside the first suggestion request, it holds SQLite's write lock for
    seconds and the form's other requests (draft, call poll) fail with "database is locked"."""
    from hotline.demo import seed_demo
    from intake import classifier

    classifier.get()  # once per process

    live_server.app.config.update(OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True, HOME_DIVISION="110000")
    with live_server.app.app_context():
        seed_demo(n_cases=0)
        db.session.commit()
    live_server.create_user("operator", "op1", phone=OPERATOR_PHONE, display_name="赵接线员")
    return live_server


def twilio(live_server, path, params):
    """POST a webhook to the live server signed as Twilio signs it; returns the body."""
    url = live_server.url + path
    signature = RequestValidator(live_server.app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert response.status_code in (200, 204), response.text
    return response.text


def call_in(live_server, phone, menu_key):
    """A call rings the hotline and the caller presses `menu_key` (1 complaint, 3 consultation)."""
    sid = "CA" + secrets.token_hex(16)
    twiml = twilio(live_server, "/twilio/voice", {"CallSid": sid, "From": phone, "To": "+8610012315"})
    assert "<Gather" in twiml
    twiml = twilio(live_server, "/twilio/voice/menu", {"CallSid": sid, "From": phone, "Digits": menu_key})
    assert "<Enqueue" in twiml
    return sid


def text_in(live_server, phone, body):
    twilio(
        live_server,
        "/twilio/sms",
        {"MessageSid": "SM" + secrets.token_hex(16), "From": phone, "To": "+8610012315", "Body": body},
    )


def shot(page, name):
    """The whole page as the operator would scroll through it (from the top: a full-page shot of a
    scrolled page draws the sticky top bar across the middle). Scrolling moves no focus."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_console(page, sign_in):
    """Signed in, on the console at 1440 px; the keyboard takes over from here."""
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, "op1")
    expect(page.locator("#queue-panel")).to_be_visible()
    return Keys(page)


def become_available(keys):
    """The availability list in the top bar: Home picks the first choice (available), Enter saves
    it (a keyboard choice waits for Enter, so stepping through the list posts nothing on the way)."""
    page = keys.page
    keys.tab_to("#availability")
    keys.press("Home")
    with page.expect_navigation():
        keys.press("Enter")
    expect(page.locator("#availability")).to_have_value("available")


def stays_focused_through_a_refresh(keys, selector):
    """The queue refreshes every 3 s while the operator looks: the cursor is still where they put it."""
    page = keys.page
    for _ in range(2):  # two polls: each answered 304 while the queue is unchanged, or rebuilt in place
        with page.expect_response(lambda r: "/queue/panel" in r.url, timeout=POLL_TIMEOUT_MS):
            pass
    expect(page.locator(selector)).to_be_focused()


def answer_next(keys, shot_name, by_tab=False):
    """The waiting call shows in the queue; Alt+N (as the queue says), or Tab to "Answer next"
    and Enter: the case pops."""
    page = keys.page
    expect(page.locator('[data-testid="waiting-call"]')).to_have_count(1, timeout=POLL_TIMEOUT_MS)
    shot(page, shot_name)
    if by_tab:
        keys.tab_to('[data-testid="answer-next"]')
        stays_focused_through_a_refresh(keys, '[data-testid="answer-next"]')
        with page.expect_navigation():
            keys.press("Enter")
        return
    expect(page.locator('[data-testid="answer-next-key"]')).to_have_text("Alt+N 接听等待最久的来电。")
    with page.expect_navigation():
        keys.press("Alt+n")


def case_of(live_server, sid):
    """The number of the case the call (CallSid) opened."""
    with live_server.app.app_context():
        return db.session.scalar(select(Contact).where(Contact.sid == sid)).ticket.number


def outbox(live_server, number):
    """(purpose, to, body) of every SMS queued for the case, oldest first."""
    with live_server.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return [
            (m.purpose, m.to, m.body)
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
            )
        ]


def stored(live_server, number):
    """What the case holds now, as plain values."""
    with live_server.app.app_context():
        t = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return {
            "status": t.status.value,
            "kind": t.kind.value,
            "facts": t.facts,
            "answer": t.answer,
            "complainant_name": t.complainant_name,
            "respondent_name": t.respondent_name,
            "category": t.category.code if t.category else None,
            "department": t.department.name if t.department else None,
            "referral": t.referral.key if t.referral else None,
            "surveys": db.session.scalar(select(func.count(Survey.id)).where(Survey.ticket_id == t.id)),
        }


# ---- complaint: accepted and forwarded -----------------------------------------------------


def test_a_called_in_complaint_is_filed_accepted_and_forwarded_by_keyboard(
    hotline, browser_page, browser_errors, sign_in
):
    page = browser_page
    keys = open_console(page, sign_in)
    become_available(keys)
    sid = call_in(hotline, "+8613812345678", "1")
    # The long way once (Tab to "Answer next"): the queue's refresh keeps the cursor there.
    answer_next(keys, "complaint-0-queue", by_tab=True)
    number = case_of(hotline, sid)
    expect(page).to_have_url(re.compile(f"/intake/tickets/{number}$"))
    expect(page.locator("#kind")).to_have_value("complaint")  # the caller pressed 1
    expect(page.locator('[data-testid="call-bar"]')).to_have_attribute("data-state", re.compile("^live:"))
    # The cursor is in the first empty field (the name): type, Enter to the next.
    expect(page.locator("#complainant_name")).to_be_focused()
    keys.type("王小明")
    keys.press("Enter")
    expect(page.locator("#complainant_address")).to_be_focused()
    keys.type("北京市朝阳区建国路88号")
    keys.tab_to("#facts")
    keys.type("11月20日在京东某电器旗舰店买的冰箱，用了三天就不制冷，联系商家要求退货，商家不同意。")
    keys.press("Tab")
    keys.type("退货退款")
    expect(page.locator('#live-suggestion [data-testid="suggestion"]')).to_contain_text(
        "家用电器", timeout=SUGGESTION_TIMEOUT_MS
    )
    keys.press("Alt+a")
    expect(page.locator("#category")).to_have_value("G01")
    keys.tab_to("#respondent_name")
    keys.type("某电器旗舰店")
    keys.tab_to("#online")
    keys.press("Space")
    keys.tab_to("#platform")
    keys.type("京东")
    keys.press("Enter")
    keys.type("某电器旗舰店")
    keys.press("Enter")
    keys.type("JD20261120001")
    shot(page, "complaint-1-intake-form")
    with page.expect_navigation():
        keys.press("Control+Enter")
    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator("#accept-case")).to_be_focused()
    shot(page, "complaint-2-saved")
    with page.expect_navigation():
        keys.press("Enter")
    status = page.locator("#ticket-status")
    if page.locator("#forward-suggested-instructions").count():
        expect(page.locator("#forward-suggested-instructions")).to_be_focused()
        with page.expect_navigation():
            keys.press("Enter")
    expect(status).to_have_class(re.compile(r"\bstatus-forwarded\b"))
    expect(status).to_have_text("已转办")
    department = stored(hotline, number)["department"]
    expect(page.locator("#ticket-details")).to_contain_text(department)
    shot(page, "complaint-3-forwarded")

    case = stored(hotline, number)
    assert case["status"] == "forwarded" and case["department"]
    sent = outbox(hotline, number)
    assert [p for p, _to, _b in sent] == ["accept_notice", "forwarded"]
    assert all(to == "+8613812345678" for _p, to, _b in sent)
    assert number in sent[0][2] and "受理" in sent[0][2]
    assert number in sent[1][2] and case["department"] in sent[1][2]  # who handles it now
    print(f"complaint: {keys.count} keys, {keys.tabs} of them Tab")
    assert browser_errors == []


# ---- consultation: answered on the spot ------------------------------------------------------


def test_a_called_in_consultation_is_answered_and_closed_by_keyboard(
    hotline, browser_page, browser_errors, sign_in
):
    from followup import surveys

    page = browser_page
    keys = open_console(page, sign_in)
    become_available(keys)
    sid = call_in(hotline, "+8613987654321", "3")  # 3: a consultation
    answer_next(keys, "consultation-0-queue")
    number = case_of(hotline, sid)
    # The call pops the form of its case, the kind the caller chose, the cursor on the question.
    expect(page).to_have_url(re.compile(f"/intake/tickets/{number}$"))
    expect(page.locator("#kind")).to_have_value("consultation")
    expect(page.locator("#complainant_name")).to_be_hidden()  # a consultation asks nobody's identity
    expect(page.locator("#facts")).to_be_focused()
    keys.type("请问网上买的衣服不喜欢，七天无理由退货的运费应该由谁出？")
    expect(page.locator('#live-suggestion [data-testid="suggestion"]')).to_be_visible(
        timeout=SUGGESTION_TIMEOUT_MS
    )
    keys.press("Alt+a")
    expect(page.locator("#kind")).to_have_value("consultation")
    # The knowledge base answers it: the best article is first, and Alt+1 puts its short answer
    # into the reply (no typing of the answer, and the same answer every operator gives).
    best = page.locator('#live-suggestion [data-testid="kb-article"]').first
    expect(best).to_contain_text("运费")
    keys.press("Alt+1")
    expect(page.locator("#answer")).to_have_value(re.compile("运费"))
    shot(page, "consultation-1-intake-form")
    with page.expect_navigation():
        keys.press("Control+Enter")

    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator(".flash.success")).to_contain_text(number)
    status = page.locator("#ticket-status")
    expect(status).to_have_class(re.compile(r"\bstatus-answered\b"))
    expect(status).to_have_text("已答复")
    expect(page.locator("#ticket-kind")).to_have_text("咨询")
    expect(page.locator("#ticket-facts")).to_contain_text("七天无理由退货")
    expect(page.locator("#ticket-answer")).to_contain_text("运费")
    expect(page.locator("#timeline")).to_contain_text("以知识条目答复")
    expect(page.locator("#accept-case")).to_have_count(0)  # nothing left to decide
    shot(page, "consultation-2-answered")

    case = stored(hotline, number)
    assert case["status"] == "answered" and case["kind"] == "consultation"
    assert "运费" in case["answer"]
    with hotline.app.app_context():
        (used,) = db.session.scalars(select(ArticleUse).join(Ticket).where(Ticket.number == number))
        assert used.article.slug == "return-shipping-cost" and not used.texted
    # The caller heard the answer on the phone: no SMS repeats it. What the domain promises an
    # answered consultation is one satisfaction survey, which the surveys job texts.
    assert outbox(hotline, number) == []
    assert case["surveys"] == 1
    with hotline.app.app_context():
        surveys.send_due()
        db.session.commit()
    ((purpose, to, body),) = outbox(hotline, number)
    assert (purpose, to) == ("survey", "+8613987654321")
    assert number in body
    print(f"consultation: {keys.count} keys, {keys.tabs} of them Tab")
    assert browser_errors == []


# ---- out of scope: a carrier's billing, referred to 12300 ------------------------------------

CARRIER_FACTS = "我的中国移动手机号每个月话费多扣二十多元，查了是开通了我没订购的增值业务，已经打10086投诉过，半个多月没有答复。"


def test_a_carriers_billing_complaint_is_referred_to_12300_by_keyboard(
    hotline, browser_page, browser_errors, sign_in
):
    from followup import surveys

    page = browser_page
    keys = open_console(page, sign_in)
    become_available(keys)
    sid = call_in(hotline, "+8613700001111", "1")
    answer_next(keys, "referral-0-queue")
    number = case_of(hotline, sid)
    expect(page).to_have_url(re.compile(f"/intake/tickets/{number}$"))
    expect(page.locator("#complainant_name")).to_be_focused()
    keys.type("李桂英")
    keys.tab_to("#facts")
    keys.type(CARRIER_FACTS)
    keys.press("Tab")
    keys.type("退还多扣的话费")
    suggestion = page.locator('#live-suggestion [data-testid="suggestion"]')
    expect(suggestion).to_contain_text("12300", timeout=SUGGESTION_TIMEOUT_MS)
    keys.press("Alt+a")
    expect(page.locator("#category")).to_have_value("S04")
    keys.tab_to("#respondent_name")
    keys.type("中国移动北京公司")
    shot(page, "referral-1-intake-form")
    expect(page.locator(".tickethead .keys")).to_contain_text("Alt+R 告知其他渠道")
    with page.expect_navigation():
        keys.press("Alt+r")  # out of scope: refer the caller, what is typed goes along

    # The referral page: the suggested agency first and chosen, what is kept listed.
    entry = page.locator('[data-testid="referral-entry"][data-key="12300"]')
    expect(entry.locator('[data-testid="suggested"]')).to_be_visible()
    expect(entry.locator('input[type="radio"]')).to_be_checked()
    expect(entry).to_contain_text("工业和信息化部电信用户申诉受理中心")
    expect(entry).to_contain_text("12300")
    kept = page.locator("#kept-with-referral")
    for typed in ("李桂英", "中国移动北京公司", "增值业务", "退还多扣的话费"):
        expect(kept).to_contain_text(typed)
    shot(page, "referral-2-refer-page")
    # The chosen agency has the cursor (the page says so): Enter refers and sends the SMS.
    expect(entry.locator('input[type="radio"]')).to_be_focused()
    expect(page.locator('[data-testid="refer-keys"]')).to_contain_text("Enter 告知并发送短信")
    with page.expect_navigation():
        keys.press("Enter")

    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator(".flash.success")).to_contain_text("工业和信息化部电信用户申诉受理中心")
    status = page.locator("#ticket-status")
    expect(status).to_have_class(re.compile(r"\bstatus-referred\b"))
    expect(page.locator("#ticket-referral")).to_contain_text("12300")
    expect(page.locator("#ticket-facts")).to_contain_text("增值业务")
    expect(page.locator("#ticket-complainant")).to_contain_text("李桂英")
    expect(page.locator("#ticket-respondent")).to_contain_text("中国移动北京公司")
    shot(page, "referral-3-referred")

    case = stored(hotline, number)
    assert case["status"] == "referred" and case["referral"] == "12300"
    assert case["facts"] == CARRIER_FACTS
    assert case["complainant_name"] == "李桂英" and case["respondent_name"] == "中国移动北京公司"
    # The caller's SMS names the agency and its number; no survey says a referred case "已办理完毕".
    with hotline.app.app_context():
        surveys.send_due()
        db.session.commit()
    ((purpose, to, body),) = outbox(hotline, number)
    assert (purpose, to) == ("referral", "+8613700001111")
    assert "工信部电信用户申诉受理中心" in body and "12300" in body and number in body
    assert case["surveys"] == 0
    with hotline.app.app_context():
        to_caller = db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.to == "+8613700001111")
        ).all()
    assert not any("已办理完毕" in b for b in to_caller)
    print(f"referral: {keys.count} keys, {keys.tabs} of them Tab")
    assert browser_errors == []


# ---- a text: the SMS complaint ----------------------------------------------------------------

SMS_FACTS = "我在海淀区中关村大街1号的某某手机店买的手机是翻新机，店家不承认。"
SMS_MORE = "发票上写的是全新机，花了3999元。"


def test_a_texted_complaint_is_completed_and_accepted_by_keyboard(
    hotline, browser_page, browser_errors, sign_in
):
    page = browser_page
    keys = open_console(page, sign_in)
    phone = "+8615811112222"
    text_in(hotline, phone, SMS_FACTS)
    with hotline.app.app_context():
        number = db.session.scalar(select(Ticket.number).order_by(Ticket.id.desc()).limit(1))
    text_in(hotline, phone, f"CX{number}")  # the caller asks how the case stands: a command
    text_in(hotline, phone, SMS_MORE)  # and adds to it: joins the same case

    # The text is in the queue's new SMS cases: Tab to it, Enter opens the case.
    link = page.locator('[data-testid="sms-ticket"] a', has_text=number)
    expect(link).to_be_visible(timeout=POLL_TIMEOUT_MS)
    shot(page, "sms-0-queue")
    keys.tab_to(f'[data-testid="sms-ticket"] a[href$="{number}"]')
    stays_focused_through_a_refresh(keys, f'[data-testid="sms-ticket"] a[href$="{number}"]')
    with page.expect_navigation():
        keys.press("Enter")
    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    shot(page, "sms-1-case")
    expect(page.locator("#open-intake-form")).to_be_focused()  # not classified yet: the form is next
    with page.expect_navigation():
        keys.press("Enter")
    expect(page).to_have_url(re.compile(f"/intake/tickets/{number}$"))
    facts = page.locator("#facts")
    expect(page.locator("#kind")).to_be_focused()
    keys.press("ArrowDown")  # the first kind: complaint
    expect(page.locator("#kind")).to_have_value("complaint")
    expect(facts).to_have_value(f"{SMS_FACTS}\n{SMS_MORE}")  # the texts, not the CX command
    expect(page.locator("#complainant_phone")).to_have_value("158****2222")
    keys.tab_to("#complainant_name")
    keys.type("陈建国")
    keys.press("Enter")
    keys.type("北京市海淀区学院路30号")
    keys.tab_to("#demand")
    keys.type("退一赔三")
    expect(page.locator('#live-suggestion [data-testid="suggestion"]')).to_contain_text("通讯及电子产品")
    keys.press("Alt+a")  # the suggestion from the texted facts: phones, counterfeit
    expect(page.locator("#category")).to_have_value("G02")
    expect(page.locator("#kind")).to_have_value("complaint")
    keys.tab_to("#respondent_name")
    keys.type("某某手机店")
    keys.press("Enter")
    keys.type("北京市海淀区中关村大街1号")
    shot(page, "sms-2-intake-form")
    with page.expect_navigation():
        keys.press("Control+Enter")
    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator("#accept-case")).to_be_focused()
    with page.expect_navigation():
        keys.press("Enter")
    # Accepted, and the demo's rule for Haidian businesses forwards it at once.
    status = page.locator("#ticket-status")
    expect(status).to_have_class(re.compile(r"\bstatus-forwarded\b"))
    expect(page.locator("#ticket-details")).to_contain_text("海淀市场监管所")
    expect(page.locator("#ticket-facts")).to_contain_text("翻新机")
    expect(page.locator("#ticket-facts")).not_to_contain_text("CX")
    shot(page, "sms-3-accepted")

    case = stored(hotline, number)
    assert case["status"] == "forwarded" and case["kind"] == "complaint"
    assert case["department"] == "海淀市场监管所"
    assert case["category"] == "G02" and case["complainant_name"] == "陈建国"
    assert case["facts"].replace("\r\n", "\n") == f"{SMS_FACTS}\n{SMS_MORE}"  # a form posts CRLF
    sent = outbox(hotline, number)
    purposes = [p for p, _to, _b in sent]
    # The caller got: the acknowledgement, the status they asked for, the "added to your case",
    # then the acceptance and forwarding notices; all to the number that texted.
    assert purposes == ["ack", "status", "ack", "accept_notice", "forwarded"]
    assert all(to == phone for _p, to, _b in sent)
    assert "已收到" in sent[0][2] and number in sent[0][2]
    assert "已于" in sent[3][2] and "受理" in sent[3][2] and number in sent[3][2]
    assert "海淀市场监管所" in sent[4][2]
    print(f"sms: {keys.count} keys, {keys.tabs} of them Tab")
    assert browser_errors == []
