"""The knowledge base (知识条目) and the canned replies (常用语).

An article's own row holds what callers and operators see: the text of its published version
(copied there at publication, so search and pages read one row). Every edit is a new
`ArticleVersion`; a draft is reviewed and published by a supervisor. `ArticleTerm` is the search
index (hotline.knowledge.search): the words of the published text with their weighted counts.
`ArticleUse` is one answer given with an article, for the supervisors' figures.
"""

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import enum_column
from hotline.timeutil import now


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"  # never published
    PUBLISHED = "published"
    RETIRED = "retired"  # withdrawn: no longer found or shown


class VersionState(enum.StrEnum):
    DRAFT = "draft"  # being written
    IN_REVIEW = "in_review"  # submitted to a supervisor
    PUBLISHED = "published"  # the one callers see now
    SUPERSEDED = "superseded"  # published once, replaced by a later version
    RETURNED = "returned"  # sent back by the reviewer, with a note


class ArticleContent:
    """The fields a version carries and the article shows once published."""

    title: Mapped[str] = mapped_column(String(200), default="")
    short_answer: Mapped[str] = mapped_column(Text, default="")  # what can be said in 30 s
    full_answer: Mapped[str] = mapped_column(Text, default="")
    law_name: Mapped[str] = mapped_column(String(200), default="")
    law_article: Mapped[str] = mapped_column(String(200), default="")
    law_date: Mapped[date | None] = mapped_column(Date)
    category_code: Mapped[str | None] = mapped_column(String(32))
    problem_type: Mapped[str | None] = mapped_column(String(32))
    keywords: Mapped[str] = mapped_column(Text, default="")  # one a line
    phrasings: Mapped[str] = mapped_column(Text, default="")  # how callers ask, one a line
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)


CONTENT_FIELDS = ("title", "short_answer", "full_answer", "law_name", "law_article", "law_date",
                  "category_code", "problem_type", "keywords", "phrasings", "valid_from", "valid_until")


class Article(ArticleContent, db.Model):
    __tablename__ = "knowledge_articles"
    # What search counts (live articles, their mean length) without reading the articles' text.
    __table_args__ = (Index("ix_knowledge_articles_live", "status", "valid_from", "valid_until", "term_count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[ArticleStatus] = enum_column(ArticleStatus, default=ArticleStatus.DRAFT, index=True)
    published_version: Mapped[int | None] = mapped_column(Integer)  # its number
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_due: Mapped[date | None] = mapped_column(Date, index=True)
    review_months: Mapped[int] = mapped_column(Integer, default=12)
    term_count: Mapped[int] = mapped_column(Integer, default=0)  # the indexed length, for ranking
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)

    owner = relationship("User")
    versions = relationship("ArticleVersion", back_populates="article", order_by="ArticleVersion.number",
                            cascade="all, delete-orphan")


class ArticleVersion(ArticleContent, db.Model):
    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = enum_column(VersionState, default=VersionState.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")

    article = relationship("Article", back_populates="versions")
    author = relationship("User", foreign_keys=[author_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


class ArticleTerm(db.Model):
    """One word of a published article and its weight (counts, the title's and keywords' more)."""

    __tablename__ = "knowledge_terms"
    # Covering: a question's rows are read from the index alone, never from the table nor the
    # articles' rows (10,000 articles: 3 ms a question instead of 30).
    __table_args__ = (Index("ix_knowledge_terms_term", "term", "article_id", "weight", "length"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id"), primary_key=True)
    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    length: Mapped[int] = mapped_column(Integer, default=1)  # the article's term_count, for BM25


class SearchWord(db.Model):
    """How many published articles hold a word: read before the index, so that a question's
    commonest words (in most articles, they barely rank) are never read row by row."""

    __tablename__ = "knowledge_words"

    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)


class ArticleUse(db.Model):
    """An answer given with an article: on a case's intake form, or texted to a caller."""

    __tablename__ = "knowledge_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id"), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    texted: Mapped[bool] = mapped_column(default=False)  # the answer was sent to the caller by SMS
    used_at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)

    article = relationship("Article")


class ReplyScope(enum.StrEnum):
    SMS = "sms"  # the console's reply to a caller's text
    DESK = "desk"  # a department's reply on its desk
    ANY = "any"


class CannedReply(db.Model):
    """A reply kept by supervisors, with variables such as {case_number}."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    scope: Mapped[ReplyScope] = enum_column(ReplyScope, default=ReplyScope.ANY)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by = relationship("User")
