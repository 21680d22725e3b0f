"""The knowledge base on the intake form, in the browser: the articles follow the caller's question as
it is typed, Alt+1 puts the best one's short answer into the reply, a Space ticks "text the caller",
Ctrl+Enter closes the consultation as answered with one text queued. Without JavaScript the
article's button does the same through a plain form post.

Screenshots (Chinese and English, 1440 and 1280 px) go to KB_INTAKE_SCREENSHOTS (default:
<tmp>/shots-kb-intake) to look at by eye."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import ArticleUse, OutboxMessage, Ticket, User
from tests.e2e.test_intake_form import open_call_case

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("KB_INTAKE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "shots-kb-intake")
QUESTION = "网上买的衣服不合身，七天之内能退货吗，运费谁出"
CALLER = "+8613912340001"


@pytest.fixture
def world(live_server):
    """The demo's articles, published, and an operator."""
    from hotline.knowledge import services
    from intake import classifier

    classifier.get()  # trained before the first suggestion, as a deployment warms it up
    with live_server.app.app_context():
        services.load_articles()
        db.session.commit()
    live_server.create_user("operator", "kbop")
    return live_server


def shot(page, name, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def stored(live_server, number):
    with live_server.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        uses = db.session.scalars(select(ArticleUse).where(ArticleUse.ticket_id == ticket.id)).all()
        texts = db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        return ticket.status.value, ticket.answer, [u.texted for u in uses], [(m.purpose, m.to, m.body) for m in texts]


def type_question(page):
    page.locator("#kind").select_option("consultation")
    page.locator("#facts").click()
    page.locator("#facts").press_sequentially(QUESTION, delay=15)
    articles = page.locator('#live-suggestion [data-testid="kb-article"]')
    expect(articles.first).to_be_visible(timeout=20_000)
    return articles


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_alt_1_answers_the_consultation_and_texts_the_caller(world, browser_page, browser_errors, sign_in, locale):
    page = browser_page
    number = open_call_case(world, CALLER, "kbop")
    with world.app.app_context():  # the operator's own language, as set on their profile
        db.session.scalar(select(User).where(User.username == "kbop")).locale = locale
        db.session.commit()
    sign_in(page, "kbop")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{world.url}/intake/tickets/{number}")
    articles = type_question(page)
    first_short = articles.first.locator("[data-short-answer]").inner_text().strip()
    first_id = articles.first.get_attribute("data-article-id")
    expect(articles.first.locator("kbd")).to_have_text("Alt+1")
    for width in (1440, 1280):
        shot(page, f"form-articles-{locale}", width)

    # The second article first, then the operator changes their mind: its answer is replaced.
    page.keyboard.press("Alt+2")
    second_short = articles.nth(1).locator("[data-short-answer]").inner_text().strip()
    expect(page.locator("#answer")).to_have_value(second_short)
    page.keyboard.press("Alt+1")
    expect(page.locator("#answer")).to_have_value(first_short)
    expect(page.locator("#article_id")).to_have_value(first_id)
    expect(page.locator("#kind")).to_have_value("consultation")
    expect(page.locator('[data-testid="kb-chosen"]')).to_be_visible()
    expect(articles.first).to_have_class(re.compile(r"\bchosen\b"))
    page.locator("#text_answer").focus()
    page.keyboard.press("Space")
    expect(page.locator("#text_answer")).to_be_checked()
    for width in (1440, 1280):
        shot(page, f"form-chosen-{locale}", width)

    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
    expect(page.locator(".flash.success")).to_contain_text(number)
    for width in (1440, 1280):
        shot(page, f"case-answered-{locale}", width)
    status, answer, uses, texts = stored(world, number)
    assert status == "answered" and answer == first_short and uses == [True]
    [(purpose, to, body)] = texts
    assert (purpose, to) == ("kb_answer", CALLER) and "/kb/" in body and number in body
    assert browser_errors == []


def test_without_javascript_the_article_button_fills_the_reply(world, _chromium, sign_in):
    """The same through plain form posts: the button brings the form back filled, then Save."""
    context = _chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                    locale="zh-CN")
    try:
        page = context.new_page()
        number = open_call_case(world, "+8613912340002", "kbop")
        sign_in(page, "kbop")
        page.goto(f"{world.url}/intake/tickets/{number}")
        page.locator("#kind").select_option("consultation")
        page.locator("#facts").fill(QUESTION)
        page.locator("#answer").fill("您好。")
        with page.expect_navigation():  # nothing follows the typing: one post shows the answers, saving nothing
            page.locator("#find-articles").click()
        assert stored(world, number)[0] == "new"
        button = page.locator('[data-testid="kb-article"] button').first
        with page.expect_navigation():
            button.click()
        answer = page.locator("#answer").input_value()
        assert answer.startswith("您好。\n") and len(answer) > 10
        expect(page.locator("#facts")).to_have_value(QUESTION)
        shot(page, "form-nojs-chosen-zh", 1280)
        with page.expect_navigation():
            page.locator("#save-case").click()
        expect(page).to_have_url(re.compile(f"/tickets/{number}$"))
        status, saved_answer, uses, texts = stored(world, number)
        # A textarea posts its lines with CRLF, as browsers send them.
        assert status == "answered" and saved_answer.replace("\r\n", "\n") == answer
        assert uses == [False] and texts == []
    finally:
        context.close()
