"""The staff's knowledge-base pages (/knowledge): the list and its search, an article with its
version history, writing a draft, and the review cycle's buttons (hotline.knowledge.services).

Who: operators, supervisors and admins read and write drafts; only supervisors and admins publish,
return, retire and mark an article reviewed (services.is_reviewer). Department staff have no
access: they work the cases forwarded to them and do not answer consultations; what callers may
read is on the public pages (/kb) anyway.

Two people editing one draft: the edit form carries a stamp of the draft it was opened on (a hash
of its number, state and text); a save whose stamp no longer matches gets 409 and the form again
with what was typed, and the other person's text is not overwritten.
"""

import hashlib
import re
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from hotline.authz import roles_required
from hotline.extensions import db
from hotline.forms import ConfirmForm, TypedDateField
from hotline.knowledge import links, search, services
from hotline.models import Article, ArticleStatus, ArticleVersion, Category, CategoryGroup, Role, VersionState

bp = Blueprint("knowledge", __name__)
STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
REVIEWERS = (Role.SUPERVISOR, Role.ADMIN)
LIST_LIMIT = 100  # rows the list shows; "showing N of M" says when there are more
SEARCH_LIMIT = 20
MAX_QUERY = 200  # characters of a search; longer is refused (the API answers 422)
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# --- words for codes -----------------------------------------------------------------------------


def status_labels():
    return {
        ArticleStatus.DRAFT: pgettext("article status", "Not yet published"),
        ArticleStatus.PUBLISHED: pgettext("article status", "Published"),
        ArticleStatus.RETIRED: pgettext("article status", "Retired"),
    }


def state_labels():
    return {
        VersionState.DRAFT: pgettext("version state", "Draft"),
        VersionState.IN_REVIEW: pgettext("version state", "Awaiting review"),
        VersionState.PUBLISHED: pgettext("version state", "Published"),
        VersionState.SUPERSEDED: pgettext("version state", "Replaced"),
        VersionState.RETURNED: pgettext("version state", "Returned"),
    }


def category_names():
    """code -> name in the screen's language, for every category (the same rows intake shows)."""
    locale = str(get_locale() or "zh")
    return {c.code: c.name(locale) for c in db.session.scalars(select(Category))}


def _category_choices(groups):
    locale = str(get_locale() or "zh")
    rows = db.session.scalars(
        select(Category).where(Category.group.in_(groups), Category.parent_id.is_not(None), Category.active)
        .order_by(Category.group, Category.position))
    return [SelectChoice("", _("(none)"))] + [SelectChoice(c.code, c.name(locale)) for c in rows]


def refusal(exc):
    """What a KnowledgeError says to the person who pressed the button."""
    code = str(exc)
    return {
        "slug-taken": _("Another article has this web address; choose another."),
        "in-review": _("This version is waiting for a supervisor; it can be edited once returned."),
        "not-a-draft": _("There is no draft to submit or publish."),
        "incomplete": _("A version needs a title and a short answer before it is submitted or published."),
        "not-a-reviewer": _("Only a supervisor may do this."),
        "not-in-review": _("Only a version waiting for review can be returned."),
        "not-published": _("Only a published article can be marked as reviewed."),
    }.get(code, _("This step is not possible now."))


def last_reviewed(article):
    """The day the article was last published or confirmed: services set the next review date
    `review_months` after it, so it is read back from there (no column of its own)."""
    if article.review_due is None:
        return None
    return article.review_due - timedelta(days=round(30.4 * article.review_months))


def stamp(article):
    """What an edit was opened on: the open draft's number, state and text (or the published
    version's number when there is no draft). Any save or step in between changes it."""
    version = services.open_version(article)
    if version is None:
        return f"p{article.published_version or 0}"
    text = "\x1f".join(str(getattr(version, f) or "") for f in services.CONTENT_FIELDS)
    digest = hashlib.sha256(f"{version.number}:{version.state.value}:{text}".encode()).hexdigest()[:16]
    return f"v{version.number}-{digest}"


@bp.context_processor
def _labels():
    return {"article_status_labels": status_labels(), "version_state_labels": state_labels(),
            "is_reviewer": services.is_reviewer(current_user), "last_reviewed": last_reviewed,
            "public_url": links.public_url}


# --- forms ---------------------------------------------------------------------------------------


def _lines(text):
    """One a line, blank lines and spaces dropped (keywords and phrasings)."""
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


class ArticleForm(FlaskForm):
    stamp = HiddenField()
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Give the article a title.")), Length(max=200, message=_l("At most %(max)d characters."))])
    short_answer = TextAreaField(_l("Short answer (what can be said in 30 seconds)"), validators=[
        Length(max=1000, message=_l("At most %(max)d characters."))])
    full_answer = TextAreaField(_l("Full answer"), validators=[
        Length(max=20000, message=_l("At most %(max)d characters."))])
    law_name = StringField(_l("Law or rule"), validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    law_article = StringField(_l("Article of the law"),
                              validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    law_date = TypedDateField(_l("Date of the law"), validators=[Optional()])
    category_code = SelectField(_l("Category"), validate_choice=True)
    problem_type = SelectField(_l("Problem type"), validate_choice=True)
    keywords = TextAreaField(_l("Keywords (one a line)"), filters=[_lines],
                             validators=[Length(max=4000, message=_l("At most %(max)d characters."))])
    phrasings = TextAreaField(_l("How callers ask (one a line)"), filters=[_lines],
                              validators=[Length(max=10000, message=_l("At most %(max)d characters."))])
    valid_from = TypedDateField(_l("Valid from"), validators=[Optional()])
    valid_until = TypedDateField(_l("Valid until"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_code.choices = _category_choices((CategoryGroup.GOODS, CategoryGroup.SERVICES))
        self.problem_type.choices = _category_choices((CategoryGroup.PROBLEM,))

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_("The end of validity is before its start."))

    def content(self):
        values = {f: getattr(self, f).data for f in services.CONTENT_FIELDS}
        for f in ("category_code", "problem_type"):
            values[f] = values[f] or None
        for f in ("short_answer", "full_answer", "law_name", "law_article", "keywords", "phrasings"):
            values[f] = (values[f] or "").strip()
        values["title"] = values["title"].strip()
        return services.Content(**values)


class NewArticleForm(ArticleForm):
    slug = StringField(_l("Web address"), filters=[lambda s: (s or "").strip().lower()], validators=[
        DataRequired(_l("Give the article a web address.")), Length(max=80, message=_l("At most %(max)d characters.")),
        Regexp(SLUG, message=_l("Lower-case letters, digits and single hyphens only, e.g. online-7day-return."))])


class ReturnForm(FlaskForm):
    note = TextAreaField(_l("What to change"), validators=[
        DataRequired(_l("Say what the author should change.")), Length(max=2000, message=_l("At most %(max)d characters."))])


# --- the list ------------------------------------------------------------------------------------

FILTERS = ("published", "draft", "in_review", "retired")


def filter_labels():
    return {"published": pgettext("article filter", "Published"),
            "draft": pgettext("article filter", "Not yet published"),
            "in_review": pgettext("article filter", "Awaiting review"),
            "retired": pgettext("article filter", "Retired")}


@bp.route("")
@roles_required(*STAFF)
def index():
    q = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    error, hits, rows, total = None, None, [], 0
    if len(q) > MAX_QUERY:
        error = _("A search may have at most %(max)d characters.", max=MAX_QUERY)
    elif q:
        hits = search.search(q, limit=SEARCH_LIMIT)
    else:
        stmt = select(Article)
        if status in ("published", "draft", "retired"):
            stmt = stmt.where(Article.status == ArticleStatus(status))
        elif status == "in_review":
            stmt = stmt.where(Article.id.in_(select(ArticleVersion.article_id)
                                             .where(ArticleVersion.state == VersionState.IN_REVIEW)))
        if category:
            stmt = stmt.where(Article.category_code == category)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = list(db.session.scalars(stmt.order_by(Article.updated_at.desc(), Article.id.desc()).limit(LIST_LIMIT)))
    waiting = db.session.scalar(select(func.count(func.distinct(ArticleVersion.article_id)))
                                .where(ArticleVersion.state == VersionState.IN_REVIEW))
    return render_template(
        "knowledge/articles.html", q=q, status=status, category=category, error=error, hits=hits, rows=rows,
        total=total, filters=filter_labels(), categories=_category_choices((CategoryGroup.GOODS, CategoryGroup.SERVICES)),
        category_names=category_names(), waiting=waiting, max_query=MAX_QUERY,
    ), (400 if error else 200)


# --- one article ---------------------------------------------------------------------------------


def _article(article_id):
    return db.get_or_404(Article, article_id)


@bp.route("/<int:article_id>")
@roles_required(*STAFF)
def article(article_id):
    return _article_page(_article(article_id))


def _article_page(article, return_form=None, status=200):
    versions = list(reversed(article.versions))
    return render_template(
        "knowledge/article.html", article=article, versions=versions, draft=services.open_version(article),
        category_names=category_names(), confirm_form=ConfirmForm(), return_form=return_form or ReturnForm(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new():
    form = NewArticleForm()
    if form.validate_on_submit():
        try:
            article, _version = services.create_article(form.slug.data, form.content(), current_user)
        except services.KnowledgeError as exc:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, refusal(exc)]
        else:
            db.session.commit()
            flash(_("Draft saved. Submit it for review when it is ready."), "success")
            return redirect(url_for("knowledge.article", article_id=article.id))
    status = 400 if form.is_submitted() else 200
    return render_template("knowledge/article_form.html", form=form, article=None, conflict=False), status


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(article_id):
    article = _article(article_id)
    source = services.open_version(article) or article
    form = ArticleForm(obj=None if request.method == "POST" else source)
    if request.method == "GET":
        form.stamp.data = stamp(article)
    locked = source is not article and source.state == VersionState.IN_REVIEW
    conflict = False
    if form.validate_on_submit():
        if form.stamp.data != stamp(article):
            # Someone saved or moved the draft since this form was opened: keep what was typed,
            # overwrite nothing, and say so. The new stamp lets a deliberate second save through.
            conflict = True
            form.stamp.data = stamp(article)
        else:
            try:
                services.save_draft(article, form.content(), current_user)
            except services.KnowledgeError as exc:
                db.session.rollback()
                flash(refusal(exc), "error")
                return redirect(url_for("knowledge.article", article_id=article.id))
            db.session.commit()
            flash(_("Draft saved. Submit it for review when it is ready."), "success")
            return redirect(url_for("knowledge.article", article_id=article.id))
    status = 409 if conflict else (400 if form.is_submitted() else 200)
    return render_template("knowledge/article_form.html", form=form, article=article, conflict=conflict,
                           locked=locked), status


def _step(article_id, action):
    """A review-cycle button: CSRF-checked, refusals said in words, then back to the article."""
    article = _article(article_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        message = action(article)
    except services.KnowledgeError as exc:
        db.session.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("knowledge.article", article_id=article.id)), 303
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("knowledge.article", article_id=article.id)), 303


def _open(article):
    version = services.open_version(article)
    if version is None:
        raise services.KnowledgeError("not-a-draft")
    return version


@bp.route("/<int:article_id>/submit", methods=["POST"])
@roles_required(*STAFF)
def submit(article_id):
    def act(article):
        services.submit(_open(article), current_user)
        return _("Submitted for review.")

    return _step(article_id, act)


@bp.route("/<int:article_id>/publish", methods=["POST"])
@roles_required(*REVIEWERS)
def publish(article_id):
    def act(article):
        services.publish(_open(article), current_user)
        return _("Published: callers and operators now see this version.")

    return _step(article_id, act)


@bp.route("/<int:article_id>/return", methods=["POST"])
@roles_required(*REVIEWERS)
def return_draft(article_id):
    article = _article(article_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            abort(400)
        return _article_page(article, return_form=form, status=400)
    try:
        services.return_draft(_open(article), current_user, form.note.data)
    except services.KnowledgeError as exc:
        db.session.rollback()
        flash(refusal(exc), "error")
    else:
        db.session.commit()
        flash(_("Returned to the author with your note."), "success")
    return redirect(url_for("knowledge.article", article_id=article.id)), 303


@bp.route("/<int:article_id>/retire", methods=["POST"])
@roles_required(*REVIEWERS)
def retire(article_id):
    def act(article):
        services.retire(article, current_user)
        return _("Retired: no longer found by search nor shown to callers.")

    return _step(article_id, act)


@bp.route("/<int:article_id>/reviewed", methods=["POST"])
@roles_required(*REVIEWERS)
def reviewed(article_id):
    def act(article):
        if article.status != ArticleStatus.PUBLISHED:
            raise services.KnowledgeError("not-published")
        services.reviewed(article, current_user)
        return _("Marked as reviewed; next review on %(day)s.", day=article.review_due.isoformat())

    return _step(article_id, act)
