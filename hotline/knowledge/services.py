"""Writing, reviewing and publishing articles; recording the answers given with them.

The cycle: anyone on the hotline's staff writes a draft (a new article, or a new version of a
published one); the author submits it; a supervisor publishes it or returns it with a note. On
publication the version's text is copied to the article's row, the previous published version is
marked superseded, the next review date is set and the search index rebuilt for that article.
Retiring takes an article out of search and out of the public pages; its versions stay. Every
step is in the audit trail. Services flush; the caller commits.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from hotline import audit
from hotline.extensions import db
from hotline.knowledge import search
from hotline.models import (
    Article,
    ArticleStatus,
    ArticleUse,
    ArticleVersion,
    Role,
    VersionState,
)
from hotline.models.knowledge import CONTENT_FIELDS
from hotline.timeutil import now

DEMO_ARTICLES = Path(__file__).parent / "data" / "articles.json"
OPEN_STATES = (VersionState.DRAFT, VersionState.RETURNED, VersionState.IN_REVIEW)


class KnowledgeError(ValueError):
    """A step the article's state does not allow; the message is shown to the user."""


@dataclass
class Content:
    """What a version holds (all fields optional but the title)."""

    title: str
    short_answer: str = ""
    full_answer: str = ""
    law_name: str = ""
    law_article: str = ""
    law_date: date | None = None
    category_code: str | None = None
    problem_type: str | None = None
    keywords: str = ""
    phrasings: str = ""
    valid_from: date | None = None
    valid_until: date | None = None

    @classmethod
    def of(cls, row):
        return cls(**{f: getattr(row, f) for f in CONTENT_FIELDS})


def is_reviewer(user):
    return user is not None and user.role in (Role.SUPERVISOR, Role.ADMIN)


def open_version(article):
    """The version being written or reviewed, if any (one at a time per article)."""
    return next((v for v in reversed(article.versions) if v.state in OPEN_STATES), None)


def published(article):
    return next((v for v in article.versions if v.state == VersionState.PUBLISHED), None)


def create_article(slug, content, author, review_months=12):
    if db.session.scalar(select(Article.id).where(Article.slug == slug)) is not None:
        raise KnowledgeError("slug-taken")
    article = Article(slug=slug, status=ArticleStatus.DRAFT, owner_id=getattr(author, "id", None),
                      review_months=review_months, title=content.title)
    db.session.add(article)
    db.session.flush()
    version = _new_version(article, content, author)
    audit.record(author, "knowledge.create", "article", article.id, version=version.number)
    return article, version


def save_draft(article, content, author):
    """Write `content` into the article's open draft, or start a new version from it."""
    version = open_version(article)
    if version is not None and version.state == VersionState.IN_REVIEW:
        raise KnowledgeError("in-review")
    if version is None:
        version = _new_version(article, content, author)
    else:
        _copy(content, version)
        version.state = VersionState.DRAFT
        version.author_id = getattr(author, "id", None)
    audit.record(author, "knowledge.draft", "article", article.id, version=version.number)
    db.session.flush()
    return version


def submit(version, user):
    if version.state not in (VersionState.DRAFT, VersionState.RETURNED):
        raise KnowledgeError("not-a-draft")
    _require_complete(version)
    version.state = VersionState.IN_REVIEW
    audit.record(user, "knowledge.submit", "article", version.article_id, version=version.number)
    db.session.flush()
    return version


def publish(version, reviewer, today=None):
    """A supervisor publishes a draft (theirs or one submitted to them)."""
    if not is_reviewer(reviewer):
        raise KnowledgeError("not-a-reviewer")
    if version.state not in OPEN_STATES:
        raise KnowledgeError("not-a-draft")
    _require_complete(version)
    article = version.article
    previous = published(article)
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
    version.state = VersionState.PUBLISHED
    version.reviewed_by_id = reviewer.id
    version.reviewed_at = now()
    _copy(Content.of(version), article)
    article.status = ArticleStatus.PUBLISHED
    article.published_version = version.number
    article.published_at = version.reviewed_at
    article.review_due = (today or now().date()) + timedelta(days=round(30.4 * article.review_months))
    db.session.flush()
    search.index_article(article)
    audit.record(reviewer, "knowledge.publish", "article", article.id, version=version.number)
    db.session.flush()
    return article


def return_draft(version, reviewer, note):
    if not is_reviewer(reviewer):
        raise KnowledgeError("not-a-reviewer")
    if version.state != VersionState.IN_REVIEW:
        raise KnowledgeError("not-in-review")
    version.state = VersionState.RETURNED
    version.review_note = (note or "").strip()
    version.reviewed_by_id = reviewer.id
    version.reviewed_at = now()
    audit.record(reviewer, "knowledge.return", "article", version.article_id, version=version.number)
    db.session.flush()
    return version


def retire(article, reviewer):
    if not is_reviewer(reviewer):
        raise KnowledgeError("not-a-reviewer")
    article.status = ArticleStatus.RETIRED
    search.index_article(article)
    audit.record(reviewer, "knowledge.retire", "article", article.id)
    db.session.flush()
    return article


def reviewed(article, reviewer, today=None):
    """A supervisor confirms a published article is still right: the next review is due later."""
    if not is_reviewer(reviewer):
        raise KnowledgeError("not-a-reviewer")
    article.review_due = (today or now().date()) + timedelta(days=round(30.4 * article.review_months))
    audit.record(reviewer, "knowledge.reviewed", "article", article.id)
    db.session.flush()
    return article


def record_use(article, user, ticket=None, texted=False):
    """One answer given with `article` (the intake form's, or a text to the caller)."""
    use = ArticleUse(article_id=article.id, version=article.published_version,
                     ticket_id=getattr(ticket, "id", None), user_id=getattr(user, "id", None),
                     texted=texted)
    db.session.add(use)
    db.session.flush()
    return use


def load_articles(path=DEMO_ARTICLES, author=None, reviewer=None):
    """Create and publish the articles of a JSON file (the demo's), skipping slugs that exist.

    The file is the project's own (data/articles.json): a list of objects with a slug, the content
    fields, "law": {"name", "article", "date"} and "review_months"."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    existing = set(db.session.scalars(select(Article.slug)))
    added = 0
    for row in rows:
        if row["slug"] in existing:
            continue
        law = row.get("law") or {}
        content = Content(
            title=row["title"], short_answer=row["short_answer"], full_answer=row["full_answer"],
            law_name=law.get("name", ""), law_article=law.get("article", ""),
            law_date=date.fromisoformat(law["date"]) if law.get("date") else None,
            category_code=row.get("category"), problem_type=row.get("problem_type"),
            keywords="\n".join(row.get("keywords", ())), phrasings="\n".join(row.get("phrasings", ())),
        )
        article, version = create_article(row["slug"], content, author, row.get("review_months", 12))
        if reviewer is not None:
            publish(version, reviewer)
        else:  # no reviewer to name (a fresh deployment's loader): published as the system
            _publish_as_system(version)
        added += 1
    return added


def _publish_as_system(version):
    article = version.article
    version.state = VersionState.PUBLISHED
    version.reviewed_at = now()
    _copy(Content.of(version), article)
    article.status = ArticleStatus.PUBLISHED
    article.published_version = version.number
    article.published_at = version.reviewed_at
    article.review_due = now().date() + timedelta(days=round(30.4 * article.review_months))
    db.session.flush()
    search.index_article(article)
    audit.record(None, "knowledge.publish", "article", article.id, version=version.number)


def _require_complete(version):
    if not (version.title or "").strip() or not (version.short_answer or "").strip():
        raise KnowledgeError("incomplete")


def _new_version(article, content, author):
    number = 1 + max((v.number for v in article.versions), default=0)
    version = ArticleVersion(article=article, number=number, state=VersionState.DRAFT,
                             author_id=getattr(author, "id", None))
    _copy(content, version)
    db.session.add(version)
    db.session.flush()
    return version


def _copy(content, target):
    for field in CONTENT_FIELDS:
        setattr(target, field, getattr(content, field))
