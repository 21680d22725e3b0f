"""What supervisors learn from the knowledge base: the figures of /reports/knowledge.

Three named queries, each bounded, each the single source of its table and of its CSV:

- `uses_per_article(first, after)`: answers given with each article in [first, after) (naive UTC,
  the bounds `reporting.utc_bounds` gives for a report's local dates), of which texted, last used.
- `gaps(first, after)`: consultations closed as answered in the period with no answer recorded
  from an article, grouped by similar wording (`group_gaps`).
- `attention(today)`: published articles a supervisor must act on today (review due, validity
  ended, ending within 30 days, or not yet begun), each with what to do. Not period-bounded: it is
  the state of the base on the day the report is read.

docs/KNOWLEDGE.md, "What supervisors learn", says how each is counted.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from hotline.extensions import db
from hotline.knowledge import search
from hotline.models import Article, ArticleStatus, ArticleUse, Ticket, TicketKind, TicketStatus

GAP_LIMIT = 2000  # gaps read per report at most, newest first; the page says when it is reached
# Two gaps join a group when the Jaccard overlap of their key words with the group's first
# question's is at least this. Measured on the 714 labelled callers' questions
# (data/questions.jsonl), pairs of questions: at 0.25, 84 % of the pairs it joins are about the
# same article and 0.02 % of pairs about different articles are joined; 0.2 joins wrong pairs 3
# times as often (69 % right), 0.3 hardly joins anything. A wrong group hides a gap behind
# another, so the threshold leans to precision: a missed pair only shows as two rows.
GROUP_THRESHOLD = 0.25
EXPIRY_WARNING_DAYS = 30
# A consultation answered on the spot is ANSWERED, later maybe CLOSED; one REFERRED elsewhere was
# out of the hotline's remit, not a question the knowledge base failed to answer.
ANSWERED_STATUSES = (TicketStatus.ANSWERED, TicketStatus.CLOSED)


@dataclass
class ArticleUses:
    article: Article
    uses: int
    texted: int
    last_used: datetime  # naive UTC


@dataclass
class Gap:
    ticket_id: int
    number: str
    question: str
    closed_at: datetime
    words: frozenset


@dataclass
class GapGroup:
    representative: Gap  # the newest question of the group, the one the others were compared to
    members: list = field(default_factory=list)  # newest first, the representative included

    @property
    def count(self):
        return len(self.members)

    @property
    def numbers(self):
        return [g.number for g in self.members]


@dataclass
class Gaps:
    groups: list  # biggest first
    total: int  # gaps read (at most GAP_LIMIT)
    capped: bool  # more gaps than GAP_LIMIT closed in the period: only the newest were read


@dataclass
class Attention:
    article: Article
    reason: str  # "review", "expired", "expiring", "not_yet_valid"
    since: object  # the date that makes it due


def uses_per_article(first, after):
    """[ArticleUses] of the articles answered with in [first, after), most used first."""
    texted = func.sum(func.cast(ArticleUse.texted, db.Integer))
    rows = db.session.execute(
        select(Article, func.count(ArticleUse.id), texted, func.max(ArticleUse.used_at))
        .join(ArticleUse, ArticleUse.article_id == Article.id)
        .where(ArticleUse.used_at >= first, ArticleUse.used_at < after)
        .group_by(Article.id)
    ).all()
    out = [ArticleUses(article, n, int(t or 0), last) for article, n, t, last in rows]
    return sorted(out, key=lambda r: (-r.uses, r.article.title, r.article.id))


def question_of(ticket_facts, ticket_summary):
    """What the caller asked, as the intake form wrote it: the facts, else the summary."""
    return (ticket_facts or "").strip() or (ticket_summary or "").strip()


def key_words(text):
    """The words two questions are compared by: the search's own jieba words of two characters or
    more (its character pairs left out: every question shares some, and they swamp the overlap),
    widened by the search's callers' words (跑路 → 关门), so 商家跑路 and 店关门 meet."""
    text = search.normalise(text)
    out = set()
    for word in search._jieba().cut_for_search(text):
        word = word.strip()
        if len(word) >= 2 and word not in search._STOP and search._WORD.search(word):
            out.add(word[:search.MAX_TERM])
    table = search.synonyms()
    for word in list(out):
        out.update(table.get(word, ()))
    return frozenset(out)


def jaccard(a, b):
    return len(a & b) / len(a | b) if a and b else 0.0


def group_gaps(gaps, threshold=GROUP_THRESHOLD):
    """Greedy grouping, newest first: each gap joins the group whose first question it overlaps
    most (Jaccard of key words >= threshold), else starts a group. Compared to the first question
    only, so a group cannot drift from its subject one near-neighbour at a time. An index from word
    to groups keeps it to the groups sharing a word (2,000 gaps in well under a second)."""
    groups, by_word = [], {}
    for gap in gaps:
        candidates = {i for word in gap.words for i in by_word.get(word, ())}
        best, best_score = None, 0.0
        for i in sorted(candidates):  # sorted: on a tie the older group (first made) wins
            score = jaccard(gap.words, groups[i].representative.words)
            if score >= threshold and score > best_score:
                best, best_score = i, score
        if best is None:
            groups.append(GapGroup(gap, [gap]))
            for word in gap.words:
                by_word.setdefault(word, []).append(len(groups) - 1)
        else:
            groups[best].members.append(gap)
    return sorted(groups, key=lambda g: (-g.count, -g.representative.closed_at.timestamp(), g.representative.number))


def gaps(first, after, limit=GAP_LIMIT):
    """Consultations closed as answered in [first, after) with no ArticleUse, grouped."""
    used = exists().where(ArticleUse.ticket_id == Ticket.id)
    rows = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.facts, Ticket.summary, Ticket.closed_at)
        .where(Ticket.kind == TicketKind.CONSULTATION, Ticket.status.in_(ANSWERED_STATUSES),
               Ticket.closed_at >= first, Ticket.closed_at < after, ~used)
        .order_by(Ticket.closed_at.desc(), Ticket.id.desc())
        .limit(limit + 1)
    ).all()
    capped = len(rows) > limit
    items = []
    for ticket_id, number, facts, summary, closed_at in rows[:limit]:
        question = question_of(facts, summary)
        items.append(Gap(ticket_id, number, question, closed_at, key_words(question)))
    return Gaps(group_gaps(items), len(items), capped)


REASON_ORDER = ("expired", "review", "expiring", "not_yet_valid")


def attention(today):
    """[Attention] of the published articles to act on as of `today` (local date); an article with
    two reasons is listed once per reason, as each asks for its own step."""
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    articles = db.session.scalars(
        select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.title, Article.id)
    ).all()
    out = []
    for article in articles:
        if article.valid_until is not None and article.valid_until < today:
            out.append(Attention(article, "expired", article.valid_until))
        elif article.valid_until is not None and article.valid_until <= soon:
            out.append(Attention(article, "expiring", article.valid_until))
        if article.review_due is not None and article.review_due <= today:
            out.append(Attention(article, "review", article.review_due))
        if article.valid_from is not None and article.valid_from > today:
            out.append(Attention(article, "not_yet_valid", article.valid_from))
    return sorted(out, key=lambda a: (REASON_ORDER.index(a.reason), a.since, a.article.title, a.article.id))
