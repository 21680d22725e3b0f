"""Finding articles for a question asked in Chinese, on the deployment's own database.

Method: words, not characters. A text is cut by jieba (a kept segmenter) in its search mode, which
also yields the shorter words inside a long one (会员卡 → 会员, 会员卡), plus the domain words the
hotline uses (data/words.txt: 七日无理由, 三包, 退一赔三, ...). A published article's words go to
`knowledge_terms` with a weight: the number of times each occurs, the title, keywords and callers'
phrasings counting more than the body. A question is cut the same way, its words widened by a
small list of the words callers use for the articles' words (data/synonyms.json: 跑路 → 关门), and
articles are ranked by BM25 over those rows: two indexed queries on one table, the same SQL on
SQLite and PostgreSQL, no search service of its own. Why not FTS5 or pg_trgm: neither segments
Chinese, and two-character words (退货, 三包, 赔偿) are exactly what must match; zhparser is not
in a stock PostgreSQL. docs/KNOWLEDGE.md has the measured figures (bench/knowledge_search.py).

Only published articles inside their validity are indexed or found.
"""

import json
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, delete, func, insert, select

from hotline.extensions import db
from hotline.models import Article, ArticleStatus, ArticleTerm, SearchWord

DATA = Path(__file__).parent / "data"
FIELD_WEIGHTS = {"title": 3.0, "keywords": 3.0, "phrasings": 2.0, "short_answer": 1.0,
                 "full_answer": 0.5, "law_name": 0.5}
K1 = 2.0  # chosen on the dev questions (1.2 to 2: top-3 the same, top-1 a point better)
B = 0.5  # length normalisation; articles differ in length mostly by their full answer
MAX_QUERY_TERMS = 48
ROW_BUDGET = 6000  # index rows read per question at most (but always the rarest word's)
MAX_TERM = 40  # the column's width
SYNONYM_WEIGHT = 0.6  # a word the caller did not say counts less than one they did

_STOP_WORDS = (
    "的 了 吗 呢 吧 啊 呀 么 我 你 他 她 它 们 我们 你们 他们 是 在 有 和 与 或 也 就 都 还 又 把 被 给 "
    "让 对 向 从 到 这 那 这个 那个 什么 怎么 怎么办 怎样 如何 可以 能 能不能 可不可以 请问 一下 一个 "
    "个 就是 但是 而且 因为 所以 如果 然后 现在 已经 没有 不 没 要 想 说 问 里 上 下 后 前 之 等 "
    "及 其 该 此 为 以 于 并 而 被 将 会 可 应 应当 应该"
)
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")

_lock = threading.Lock()
_ready = False
_synonyms = None


def _jieba():
    """jieba with the hotline's words added, set up once per process (its dictionary takes ~1 s)."""
    global _ready
    import jieba

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(60)
                for line in (DATA / "words.txt").read_text(encoding="utf-8").splitlines():
                    word = line.strip()
                    if word and not word.startswith("#"):
                        jieba.add_word(word, freq=2000)
                _ready = True
    return jieba


def synonyms():
    global _synonyms
    if _synonyms is None:
        table = json.loads((DATA / "synonyms.json").read_text(encoding="utf-8"))
        _synonyms = {normalise(k): v for k, v in table.items() if not k.startswith("_")}
    return _synonyms


def normalise(text):
    return unicodedata.normalize("NFKC", text or "").lower()


def words(text):
    """The searchable words of `text`, repeats kept: jieba's words, then every pair of adjacent
    Chinese characters (the pairs catch what the segmenter cut differently in the question and the
    article: 不合身 / 合身, 退款 / 退了款)."""
    text = normalise(text)
    out = []
    for word in _jieba().cut_for_search(text):
        word = word.strip()
        if not word or word in _STOP or not _WORD.search(word):
            continue
        out.append(word[:MAX_TERM])
    for run in _CJK_RUN.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def article_terms(article):
    """word -> weight for an article's text (the fields its row holds)."""
    weights = {}
    for field, factor in FIELD_WEIGHTS.items():
        for word in words(getattr(article, field) or ""):
            weights[word] = weights.get(word, 0.0) + factor
    return weights


def index_article(article):
    """Replace the article's rows in the index by its current text; none unless it is published."""
    old = list(db.session.scalars(select(ArticleTerm.term).where(ArticleTerm.article_id == article.id)))
    db.session.execute(delete(ArticleTerm).where(ArticleTerm.article_id == article.id))
    _count_words(old, -1)
    if article.status != ArticleStatus.PUBLISHED:
        article.term_count = 0
        return 0
    weights = article_terms(article)
    article.term_count = max(1, round(sum(weights.values())))
    if weights:
        db.session.execute(insert(ArticleTerm), [
            {"article_id": article.id, "term": term, "weight": round(weight, 3), "length": article.term_count}
            for term, weight in weights.items()
        ])
        _count_words(list(weights), +1)
    return len(weights)


def _count_words(terms, step):
    """Add `step` to each word's number of articles: one upsert, atomic on both databases."""
    if not terms:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(SearchWord).values([{"term": t, "articles": max(step, 0)} for t in terms])
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[SearchWord.term], set_={"articles": SearchWord.articles + step}))


def query_terms(question):
    """word -> how much it counts in the question: the caller's words 1, their synonyms less."""
    terms = {}
    table = synonyms()
    for word in words(question):
        terms[word] = 1.0
    for word in list(terms):
        for other in table.get(word, ()):
            terms.setdefault(other, SYNONYM_WEIGHT)
    # Phrases a caller says that jieba cuts apart ("不想要" is 不 + 想要): looked up in the text.
    text = normalise(question)
    for phrase, others in table.items():
        if len(phrase) > 1 and phrase not in terms and phrase in text:
            for other in others:
                terms.setdefault(other, SYNONYM_WEIGHT)
    return dict(list(terms.items())[:MAX_QUERY_TERMS])


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    matched: tuple[str, ...]  # the question's words the article holds, strongest first


def search(question, limit=3, today=None):
    """The published, valid articles that best answer `question`, best first (at most `limit`)."""
    terms = query_terms(question)
    if not terms:
        return []
    live = is_live(today)
    # count(*), not count(id): the live index holds every column this reads (index-only scan).
    total, mean_length = db.session.execute(
        select(func.count(), func.avg(Article.term_count)).select_from(Article).where(live)
    ).one()
    if not total:
        return []
    mean_length = float(mean_length or 1)
    # The question's words, rarest first, until their rows would pass ROW_BUDGET: the commonest
    # words (in most articles) add little to any score and would cost the most rows to read.
    spread = sorted(db.session.execute(
        select(SearchWord.term, SearchWord.articles)
        .where(SearchWord.term.in_(list(terms)), SearchWord.articles > 0)
    ).all(), key=lambda row: (row[1], row[0]))
    chosen, budget = [], ROW_BUDGET
    for term, count in spread:
        if chosen and count > budget:
            break
        chosen.append(term)
        budget -= count
    if not chosen:
        return []
    # BM25 summed by the database from the words' index alone (it holds weight and length): a
    # question's rows (up to ROW_BUDGET) never cross into Python, only the best articles do. A
    # word's document frequency is its number of published articles. Only published articles have
    # rows; those outside their validity (few) are left out by id.
    articles_with = dict(spread)
    factor = case({term: terms[term] * _idf(total, articles_with[term]) for term in chosen},
                  value=ArticleTerm.term, else_=0.0)
    norm = K1 * (1 - B + B * ArticleTerm.length / mean_length)
    score = func.sum(factor * ArticleTerm.weight * (K1 + 1) / (ArticleTerm.weight + norm)).label("score")
    out_of_date = select(Article.id).where(Article.status == ArticleStatus.PUBLISHED, _outside_validity(today))
    best = db.session.execute(
        select(ArticleTerm.article_id, score)
        .where(ArticleTerm.term.in_(chosen), ArticleTerm.article_id.not_in(out_of_date))
        .group_by(ArticleTerm.article_id)
        .order_by(score.desc(), ArticleTerm.article_id)
        .limit(limit)
    ).all()
    if not best:
        return []
    articles = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_([a for a, _ in best])))}
    matched = {}
    for article_id, term, weight, length in db.session.execute(
        select(ArticleTerm.article_id, ArticleTerm.term, ArticleTerm.weight, ArticleTerm.length)
        .where(ArticleTerm.article_id.in_(list(articles)), ArticleTerm.term.in_(chosen))
    ):
        part = terms[term] * _idf(total, articles_with[term]) * weight * (K1 + 1) / (
            weight + K1 * (1 - B + B * length / mean_length))
        matched.setdefault(article_id, []).append((part, term))
    return [Hit(articles[a], round(float(points), 3),
                tuple(t for _, t in sorted(matched.get(a, ()), reverse=True)))
            for a, points in best if a in articles]


def _idf(total, articles_with):
    return math.log(1 + (total - articles_with + 0.5) / (articles_with + 0.5))


def is_live(today=None):
    """The condition of an article offered to anyone: published and inside its validity."""
    today = today or _today()
    return (
        (Article.status == ArticleStatus.PUBLISHED)
        & ((Article.valid_from.is_(None)) | (Article.valid_from <= today))
        & ((Article.valid_until.is_(None)) | (Article.valid_until >= today))
    )


def _outside_validity(today=None):
    """Not yet valid or no longer valid (each an index range, unlike the negation of is_live)."""
    today = today or _today()
    return (Article.valid_from > today) | (Article.valid_until < today)


def _today():
    from hotline.timeutil import now

    return now().date()
