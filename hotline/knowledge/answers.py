"""Answering a consultation with an article: on the intake form, or through the intake API.

`answer_with` records which article answered the case (once per case and article: a second press
of the key, a double-submitted form or a retried API call never counts twice in the supervisors'
figures), writes the answer on the case's timeline, and, when the operator asks, texts the caller
the short answer with the article's public page and the case number.

The text is a reply to the caller's own question, not a notice: it goes out even to a number that
texted 退订 (the purpose is in SMS_REPLY_PURPOSES) and at once, quiet hours or not
(SMS_URGENT_PURPOSES). The number comes from hotline.access.notice_phone, like every text about a
case; a withheld or unreadable number means no text, and the caller of `answer_with` hears so.
Services flush; the caller commits.
"""

from dataclasses import dataclass

from sqlalchemy import select

from hotline import access, inputs, outbox, sms_texts
from hotline.extensions import db
from hotline.knowledge import links, search
from hotline.knowledge.services import record_use
from hotline.models import Article, ArticleUse
from hotline.tickets import record_event

PURPOSE = "kb_answer"
EVENT = "kb_answer"
# What came of asking to text the answer: sent to the outbox, no number to text, texted before.
TEXT_RESULTS = ("queued", "no_phone", "already_sent")
MAX_SEGMENTS = 4  # a longer text costs the hotline more than the answer is worth: the link has the rest
LINK = "详见：{url}"
ELLIPSIS = "…"
SUGGESTED = 3


@dataclass
class Answered:
    use: ArticleUse
    counted: bool  # a new use (False: this case was already answered with this article)
    message: object = None  # the OutboxMessage texted, if any
    text_result: str | None = None  # when texting was asked: one of TEXT_RESULTS

    @property
    def no_phone(self):
        """Texting was asked, but the case has no number to text."""
        return self.text_result == "no_phone"


def suggested(question, limit=SUGGESTED):
    """The articles that best answer `question` (published and valid only), as search finds them."""
    question = (question or "").strip()
    return search.search(question, limit=limit) if question else []


def suggested_json(question, limit=SUGGESTED):
    """The same, as POST /api/v1/suggest returns them."""
    return [{"id": hit.article.id, "title": hit.article.title, "short_answer": hit.article.short_answer,
             "score": hit.score} for hit in suggested(question, limit)]


def offered_article(article_id):
    """The article with this id if callers may be answered with it now (published, in validity),
    else None: a retired, draft or expired article is never sent to a caller."""
    found = inputs.parse_int(article_id, 1)  # ASCII digits within the id column, else no article
    if found is None:
        return None
    return db.session.scalar(select(Article).where(Article.id == found, search.is_live()))


def answer_text(short_answer, url, number, max_segments=MAX_SEGMENTS):
    """The SMS: the short answer, cut (with …) so that the whole text, link and case number
    included, costs at most `max_segments` segments as sms_texts.segments counts them."""
    answer = " ".join((short_answer or "").split())
    tail = LINK.format(url=url)

    def body(text):
        return sms_texts.with_case_number(f"{text}{tail}" if text else tail, number)

    if sms_texts.segments(body(answer)) <= max_segments:
        return body(answer)
    low, high = 0, len(answer)  # the longest cut that fits: segments grow with the length
    while low < high:
        middle = (low + high + 1) // 2
        if sms_texts.segments(body(answer[:middle].rstrip() + ELLIPSIS)) <= max_segments:
            low = middle
        else:
            high = middle - 1
    return body(answer[:low].rstrip() + ELLIPSIS if low else "")


def answer_with(ticket, article, user, text_caller=False):
    """Record that `article` answered `ticket` and, if asked, text the caller the answer."""
    use = db.session.scalar(select(ArticleUse).where(ArticleUse.ticket_id == ticket.id,
                                                     ArticleUse.article_id == article.id).limit(1))
    counted = use is None
    if counted:
        use = record_use(article, user, ticket, texted=False)
        record_event(ticket, EVENT, user, to_value=article.title,
                     data={"article_id": article.id, "version": article.published_version})
    result = Answered(use=use, counted=counted)
    if not text_caller:
        db.session.flush()
        return result
    if use.texted:  # texted once already: a second press sends nothing more
        result.text_result = "already_sent"
        db.session.flush()
        return result
    phone = access.notice_phone(ticket)
    if phone is None:
        result.text_result = "no_phone"
        db.session.flush()
        return result
    body = answer_text(article.short_answer, links.public_url(article), ticket.number)
    result.message = outbox.queue_sms(phone, body, PURPOSE, ticket=ticket, actor=user)
    result.text_result = "queued"
    use.texted = True
    record_event(ticket, "notice", user, to_value=body,
                 data={"purpose": PURPOSE, "outbox_id": result.message.id,
                       "status": result.message.status.value})
    db.session.flush()
    return result
