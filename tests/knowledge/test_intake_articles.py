"""The knowledge base on the intake form (issue 18.3 and the suggest part of 18.7): as the operator
types the caller's question the best articles appear beside it; one key (or, without JavaScript,
the article's button) puts the short answer into the reply; saving the consultation closes it as
answered, records which article answered it once, and, if asked, texts the caller the answer with
the article's public link and the case number, even after the caller texted 退订."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline import accounts, sms_texts, tickets
from hotline.extensions import db
from hotline.knowledge import answers, services
from hotline.models import (
    ArticleUse,
    Channel,
    Contact,
    Direction,
    OutboxMessage,
    OutboxStatus,
    Role,
    Ticket,
    TicketKind,
    TicketStatus,
)
from hotline.seeds import seed_categories
from hotline.timeutil import now
from intake import services as intake_services
from tests.api.conftest import CheckedClient
from tests.core.test_no_raw_codes import _enum_values, raw_words, visible_text
from tests.routing.desk_helpers import texts

CALLER = "+8613812345678"
QUESTION = "网上买的衣服不合身，七天之内能退货吗"
RETURNS_SHORT = "网购商品自收到之日起七日内可以无理由退货，定制、鲜活易腐等商品除外。"


@pytest.fixture
def kb(app, make_user):
    """Three published articles, one retired (never offered), categories for the form."""
    seed_categories()
    reviewer = make_user(Role.SUPERVISOR, username="rv01")

    def publish(slug, title, short, **fields):
        _article, version = services.create_article(
            slug, services.Content(title=title, short_answer=short, **fields), reviewer)
        return services.publish(version, reviewer)

    made = {
        "returns": publish("seven-day-returns", "网购七日无理由退货", RETURNS_SHORT, keywords="退货\n七日无理由\n网购",
                           phrasings="网上买的东西不想要了能退吗", law_name="消费者权益保护法", law_article="第二十五条"),
        "appliances": publish("appliance-guarantee", "家用电器三包", "七日内有性能故障可以退货，十五日内可以换货。",
                              keywords="三包\n冰箱\n空调", law_name="家用汽车产品修理更换退货责任规定"),
        "prepaid": publish("prepaid-cards", "预付卡商家关门怎么办", "可以向市场监管部门投诉，并保留预付卡和付款凭证。",
                           keywords="预付卡\n跑路\n关门"),
        "retired": publish("old-returns", "旧的退货说法", "已经不用的答复。", keywords="退货\n网购"),
    }
    services.retire(made["retired"], reviewer)
    db.session.commit()
    return made


@pytest.fixture
def operator(kb, make_user, login):
    user = make_user(role=Role.OPERATOR, username="op01")
    user.locale = "en"  # assertions read the English msgids; the zh screen has its own test
    db.session.commit()
    login(user)
    return user


def _call(operator, phone=CALLER, opted_out=False):
    """A case opened by the operator's call, not yet classified. phone=None: the number was withheld."""
    caller = tickets.find_or_create_caller(phone) if phone else None
    if caller is not None and opted_out:
        caller.opted_out_at = now() - timedelta(days=3)  # the caller texted 退订 earlier
    ticket = tickets.open_ticket(Channel.VOICE, caller=caller, kind=TicketKind.UNKNOWN)
    start = now() - timedelta(minutes=4)
    db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller, ticket=ticket,
                           from_number=phone or "anonymous", queued_at=start, answered_at=start,
                           answered_by=operator, ended_at=now() - timedelta(minutes=1)))
    db.session.commit()
    return ticket


def _post(client, ticket, **fields):
    data = {"version": str(ticket.version), "seen_event": str(intake_services.last_event_id(ticket)),
            "facts": QUESTION, **fields}
    return client.post(f"/intake/tickets/{ticket.number}", data={k: v for k, v in data.items() if v is not None})


def _uses(ticket):
    return db.session.scalar(select(func.count(ArticleUse.id)).where(ArticleUse.ticket_id == ticket.id))


def _messages(ticket):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()


def _fresh(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def _textarea(page, name):
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return found.group(1).strip() if found else None


def _hidden(page, name):
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


# --- the suggestion -------------------------------------------------------------------------------


def test_typing_the_question_shows_the_answering_article_first_with_its_key(client, operator, kb):
    ticket = _call(operator)
    response = client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": QUESTION})
    assert response.status_code == 200
    titles = texts(response, "kb-article")
    assert titles and titles[0].startswith("网购七日无理由退货")
    first = titles[0]
    assert RETURNS_SHORT in first and "消费者权益保护法 第二十五条" in first and "Alt+1" in first
    assert len(titles) <= 3 and not any("旧的退货说法" in t for t in titles)  # retired: never offered
    assert 'data-testid="suggestion"' in response.get_data(as_text=True)  # the classification stays
    # Without words to go on: no articles panel, no error.
    empty = client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": "  "})
    assert empty.status_code == 200 and 'data-testid="kb-articles"' not in empty.get_data(as_text=True)


def test_the_form_itself_shows_the_articles_for_the_facts_already_typed(client, operator, kb):
    ticket = _call(operator)
    response = _post(client, ticket, kind="consultation", answer="")  # refused: no answer yet
    assert response.status_code == 400
    assert texts(response, "kb-article")[0].startswith("网购七日无理由退货")


# --- choosing an article --------------------------------------------------------------------------


def test_the_article_button_without_javascript_fills_the_reply_and_keeps_what_was_typed(client, operator, kb):
    ticket = _call(operator)
    response = _post(client, ticket, kind="", answer="您好，", use_article=str(kb["returns"].id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _textarea(page, "answer") == f"您好，\n{RETURNS_SHORT}"
    assert _hidden(page, "article_id") == str(kb["returns"].id)
    assert QUESTION in _textarea(page, "facts")
    assert re.search(r'<option selected value="consultation">|<option value="consultation" selected', page)
    assert texts(response, "kb-chosen") == ["Answer from the knowledge base: 网购七日无理由退货"]
    # Nothing is saved by choosing: the operator still saves the consultation.
    assert _fresh(ticket).status == TicketStatus.NEW and _uses(ticket) == 0


def test_saving_closes_the_consultation_records_the_use_once_and_writes_the_timeline(client, operator, kb):
    ticket = _call(operator)
    response = _post(client, ticket, kind="consultation", answer=RETURNS_SHORT, article_id=str(kb["returns"].id))
    assert response.status_code == 302
    saved = _fresh(ticket)
    assert (saved.kind, saved.status, saved.answer) == (TicketKind.CONSULTATION, TicketStatus.ANSWERED, RETURNS_SHORT)
    use = db.session.scalar(select(ArticleUse).where(ArticleUse.ticket_id == ticket.id))
    assert (use.article_id, use.user_id, use.version, use.texted) == (kb["returns"].id, operator.id, 1, False)
    assert _messages(ticket) == []  # not asked to text
    case_page = client.get(f"/tickets/{ticket.number}")
    assert any("Answered with a knowledge article" in t and "网购七日无理由退货" in t
               for t in texts(case_page, "timeline-entry"))
    # A second press (a retried save, the API after the form) does not count twice.
    again = answers.answer_with(saved, kb["returns"], operator)
    db.session.commit()
    assert again.counted is False and _uses(ticket) == 1
    assert sum(e.type == "kb_answer" for e in _fresh(ticket).events) == 1


def test_an_article_chosen_later_for_an_answer_already_given_is_recorded(client, operator, kb):
    ticket = _call(operator)
    assert _post(client, ticket, kind="consultation", answer=RETURNS_SHORT).status_code == 302
    assert _uses(ticket) == 0  # answered in the operator's own words
    again = _fresh(ticket)
    # The same answer, now with the article that gives it: not "nothing was changed".
    response = _post(client, again, kind="consultation", answer=RETURNS_SHORT, article_id=str(kb["returns"].id))
    assert response.status_code == 302
    assert "Nothing was changed" not in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _uses(ticket) == 1 and _fresh(ticket).status == TicketStatus.ANSWERED


def test_texting_queues_one_sms_with_the_answer_link_and_case_number_even_after_unsubscribing(client, operator, kb):
    ticket = _call(operator, opted_out=True)
    response = _post(client, ticket, kind="consultation", answer=RETURNS_SHORT, article_id=str(kb["returns"].id),
                     text_answer="y")
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the answer and its link are texted to the caller" in flashed
    [message] = _messages(ticket)
    assert message.to == CALLER and message.purpose == "kb_answer"
    assert message.status == OutboxStatus.PENDING  # a reply to the caller's question, not a notice: 退订 does not stop it
    assert message.next_attempt_at <= now()  # sent at once, quiet hours or not
    assert message.body.startswith(RETURNS_SHORT)
    assert "详见：http://hotline.test/kb/seven-day-returns" in message.body and ticket.number in message.body
    assert sms_texts.segments(message.body) <= answers.MAX_SEGMENTS
    assert db.session.scalar(select(ArticleUse.texted).where(ArticleUse.ticket_id == ticket.id)) is True
    # Pressed again: still one text, one use.
    answers.answer_with(_fresh(ticket), kb["returns"], operator, text_caller=True)
    db.session.commit()
    assert len(_messages(ticket)) == 1 and _uses(ticket) == 1


def test_a_long_answer_is_cut_to_four_segments_and_keeps_link_and_number():
    long = "七日无理由退货的规定适用于网络、电视、电话、邮购等方式购买的商品。" * 12
    body = answers.answer_text(long, "https://12315.example.cn/kb/seven-day-returns", "20261204-00042")
    assert sms_texts.segments(body) == 4 and "…详见：https://12315.example.cn/kb/seven-day-returns" in body
    assert body.endswith("（工单号 20261204-00042）") and body.startswith("七日无理由退货的规定")
    short = answers.answer_text("可以退。", "https://x.cn/kb/a", "20261204-00042")
    assert short == "可以退。详见：https://x.cn/kb/a（工单号 20261204-00042）"


def test_a_withheld_number_gets_no_text_and_the_operator_is_told(client, operator, kb):
    ticket = _call(operator, phone=None)
    form = client.get(f"/intake/tickets/{ticket.number}")
    assert texts(form, "no-phone") == ["The caller's number is withheld or unknown: the answer cannot be texted."]
    assert re.search(r'<input[^>]*disabled[^>]*name="text_answer"|<input[^>]*name="text_answer"[^>]*disabled',
                     form.get_data(as_text=True))
    response = _post(client, ticket, kind="consultation", answer=RETURNS_SHORT, article_id=str(kb["returns"].id),
                     text_answer="y")
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No text was sent: the caller&#39;s number is withheld or unknown" in shown
    assert _messages(ticket) == [] and _uses(ticket) == 1
    assert _fresh(ticket).status == TicketStatus.ANSWERED


@pytest.mark.parametrize("bad", ["999999999", "abc", "retired", "-1", "99999999999999999999999"])
def test_a_bad_article_is_refused_and_nothing_typed_is_lost(client, operator, kb, bad):
    ticket = _call(operator)
    article_id = str(kb["retired"].id) if bad == "retired" else bad
    response = _post(client, ticket, kind="consultation", answer="我自己说的答复", article_id=article_id, text_answer="y")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The chosen knowledge article is no longer offered" in page
    assert _textarea(page, "answer") == "我自己说的答复" and QUESTION in _textarea(page, "facts")
    assert _hidden(page, "article_id") == ""  # the next save goes without it
    assert _fresh(ticket).status == TicketStatus.NEW and _uses(ticket) == 0 and _messages(ticket) == []
    button = _post(client, ticket, kind="consultation", answer="我自己说的答复", use_article=article_id)
    assert button.status_code == 400 and _textarea(button.get_data(as_text=True), "answer") == "我自己说的答复"


def test_an_article_makes_a_keyed_report_a_consultation_without_javascript_too(client, operator, kb):
    """The caller pressed the report key, then asked a question the operator answers from an
    article: the form comes back a consultation, as it does in the browser (Alt+1)."""
    ticket = _call(operator)
    page = _post(client, ticket, kind="report", answer="", use_article=str(kb["returns"].id))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<option selected value="consultation">|<option value="consultation" selected', html)
    assert RETURNS_SHORT in html


def test_a_complaint_ignores_a_chosen_article(client, operator, kb):
    """The article answers consultations only: a complaint saved with one left chosen records nothing."""
    ticket = _call(operator)
    response = _post(client, ticket, kind="complaint", article_id=str(kb["returns"].id), text_answer="y")
    assert response.status_code in (302, 400)
    assert _uses(ticket) == 0 and _messages(ticket) == []


# --- the API --------------------------------------------------------------------------------------


@pytest.fixture
def api_as(client, spec, make_user):
    def make(role=Role.OPERATOR):
        plain, _token = accounts.create_token(make_user(role=role), "test")
        db.session.commit()
        return CheckedClient(client, spec).as_(plain)

    return make


def test_suggest_returns_the_articles_as_the_document_says(api_as, kb):
    api = api_as()
    response = api.post("/api/v1/suggest", json={"text": QUESTION})  # CheckedClient: matches the document
    assert response.status_code == 200
    articles = response.json["articles"]
    assert 1 <= len(articles) <= 3
    assert articles[0] == {"id": kb["returns"].id, "title": "网购七日无理由退货", "short_answer": RETURNS_SHORT,
                           "score": articles[0]["score"]}
    assert articles[0]["score"] > 0 and kb["retired"].id not in [a["id"] for a in articles]
    assert "kind" in response.json and "category" in response.json
    assert api.post("/api/v1/suggest", json={"text": "zzzz"}).json["articles"] == []


def test_the_api_answers_a_consultation_with_an_article_and_texts_it(api_as, kb, make_user):
    api = api_as()
    caller_case = _call(make_user(Role.OPERATOR, username="op02"), opted_out=True)
    body = {"version": caller_case.version, "kind": "consultation", "facts": QUESTION, "answer": RETURNS_SHORT,
            "article_id": kb["returns"].id, "text_answer": True}
    response = api.open("PATCH", f"/api/v1/intake/tickets/{caller_case.number}", json=body)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "answered"
    assert _uses(caller_case) == 1
    [message] = _messages(caller_case)
    assert "详见：http://hotline.test/kb/seven-day-returns" in message.body and caller_case.number in message.body


def test_the_api_says_what_came_of_texting_the_answer(api_as, kb, make_user):
    api = api_as()
    case = _call(make_user(Role.OPERATOR, username="op03"))
    url = f"/api/v1/intake/tickets/{case.number}"
    body = {"kind": "consultation", "facts": QUESTION, "answer": RETURNS_SHORT, "article_id": kb["returns"].id}
    first = api.open("PATCH", url, json={**body, "version": case.version, "text_answer": True})
    assert first.status_code == 200 and first.json["text_answer_result"] == "queued"
    again = api.open("PATCH", url, json={**body, "version": first.json["version"], "text_answer": True})
    assert again.status_code == 200 and again.json["text_answer_result"] == "already_sent"
    assert len(_messages(case)) == 1
    # Not asked: not said; nor on a read.
    quiet = api.open("PATCH", url, json={**body, "version": again.json["version"], "demand": "想了解退货"})
    assert quiet.status_code == 200 and "text_answer_result" not in quiet.json
    assert "text_answer_result" not in api.get(url).json
    # A case from another channel has no number to text.
    created = api.post("/api/v1/intake/tickets", json={**body, "text_answer": True})
    assert created.status_code == 201 and created.json["text_answer_result"] == "no_phone"


@pytest.mark.parametrize("change", [
    {"article_id": 999999999},
    {"article_id": "1"},
    {"article_id": True},
    {"article_id": "retired"},
    {"kind": "report", "respondent_name": "某店", "article_id": "returns"},
    {"article_id": None, "text_answer": True},
])
def test_the_api_refuses_a_bad_article_with_422_and_saves_nothing(api_as, kb, change):
    api = api_as()
    ids = {"retired": kb["retired"].id, "returns": kb["returns"].id}
    change = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    body = {"kind": "consultation", "facts": QUESTION, "answer": RETURNS_SHORT, **change}
    response = api.post("/api/v1/intake/tickets", json=body)
    assert response.status_code == 422, response.json
    assert set(response.json["fields"]) & {"article_id", "text_answer"}
    assert db.session.scalar(select(func.count(ArticleUse.id))) == 0
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_the_openapi_document_describes_articles_and_article_id(api_as):
    doc = api_as().get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert set(schemas["Suggestion"]["properties"]["articles"]["items"]["properties"]) == {
        "id", "title", "short_answer", "score"}
    for name in ("IntakeNewCase", "IntakeCaseChanges"):
        assert {"article_id", "text_answer"} <= set(schemas[name]["properties"])
    result = schemas["IntakeCase"]["properties"]["text_answer_result"]
    assert result["enum"] == ["queued", "no_phone", "already_sent"]
    assert "text_answer_result" not in schemas["IntakeCase"]["required"]


# --- words on the Chinese screen ------------------------------------------------------------------


def test_the_chinese_screens_say_everything_in_words(client, operator, kb):
    operator.locale = "zh"
    db.session.commit()
    codes = _enum_values()
    ticket = _call(operator)
    panel = client.post(f"/intake/tickets/{ticket.number}/suggestion", data={"facts": QUESTION})
    assert raw_words(visible_text(panel.get_data(as_text=True)), codes) == []
    assert "知识库" in panel.get_data(as_text=True)
    chosen = _post(client, ticket, kind="", use_article=str(kb["returns"].id))
    assert raw_words(visible_text(chosen.get_data(as_text=True)), codes) == []
    assert "短信发送答复及链接给来电人" in chosen.get_data(as_text=True)
    refused = _post(client, ticket, kind="consultation", answer="答复", article_id="999999")
    assert refused.status_code == 400 and raw_words(visible_text(refused.get_data(as_text=True)), codes) == []
    saved = _post(client, ticket, kind="consultation", answer=RETURNS_SHORT, article_id=str(kb["returns"].id),
                  text_answer="y")
    case_page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "以知识条目答复" in case_page and "知识库答复" in case_page  # the timeline and the text's purpose
    # The text as sent carries the article's address, which is no word to translate.
    assert raw_words(visible_text(case_page.replace("http://hotline.test/kb/seven-day-returns", "")), codes) == []
    withheld = _call(operator, phone=None)
    assert raw_words(visible_text(client.get(f"/intake/tickets/{withheld.number}").get_data(as_text=True)), codes) == []


def test_without_javascript_the_find_button_shows_the_answers_and_saves_nothing(client, operator, kb):
    ticket = _call(operator)
    assert 'id="find-articles"' in client.get(f"/intake/tickets/{ticket.number}").get_data(as_text=True)
    response = _post(client, ticket, kind="consultation", answer="", find_articles="1")
    assert response.status_code == 200
    assert texts(response, "kb-article")[0].startswith("网购七日无理由退货")
    assert 'data-testid="form-errors"' not in response.get_data(as_text=True)  # not a save: nothing refused
    assert _fresh(ticket).status == TicketStatus.NEW
