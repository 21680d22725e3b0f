"""The knowledge base under /api/v1: published articles found by a question (ranked as the intake
form ranks them) or read by id, and the write twins of the staff pages' buttons (a new draft, a
draft's text, submit, publish, return, retire, reviewed) with the same roles
(hotline.knowledge.views). PATHS and SCHEMAS are this API's part of the OpenAPI document.

A draft's PUT may carry `base`, the `stamp` the client read: when someone else saved or moved the
draft since, the answer is 409 and nothing is written, as on the edit page.
"""


from flask import Blueprint, g, jsonify, request
from flask_babel import force_locale

from hotline import inputs
from hotline.extensions import db
from hotline.knowledge import links, search, services, views
from hotline.models import Article, ArticleStatus, Category, CategoryGroup
from hotline.rest import (
    AUTH_ERRORS,
    MAYBE_STRING,
    STRING,
    ValidationFailed,
    api_roles,
    error_response,
    json_content,
    json_object,
    nullable,
    obj,
    ref,
    response_ref,
)

bp = Blueprint("knowledge_api", __name__)
MAX_QUERY = views.MAX_QUERY
NOT_FOUND = "no such published article"
TEXT_LIMITS = {"title": 200, "short_answer": 1000, "full_answer": 20000, "law_name": 200, "law_article": 200,
               "keywords": 4000, "phrasings": 10000}
DATES = ("law_date", "valid_from", "valid_until")


@bp.errorhandler(ValidationFailed)
def _validation_failed(exc):
    return error_response(422, "validation failed", exc.message, fields=exc.fields)


def _category(code):
    if not code:
        return None
    row = db.session.scalar(db.select(Category).where(Category.code == code))
    return {"code": code, "label": row.name("zh") if row else code}


def summary_json(article):
    return {"id": article.id, "title": article.title, "short_answer": article.short_answer,
            "category": _category(article.category_code), "url": links.public_url(article)}


def article_json(article):
    reviewed = views.last_reviewed(article)
    return {
        **summary_json(article),
        "slug": article.slug, "full_answer": article.full_answer,
        "law": {"name": article.law_name, "article": article.law_article,
                "date": article.law_date.isoformat() if article.law_date else None},
        "problem_type": _category(article.problem_type),
        "keywords": [k for k in article.keywords.splitlines() if k.strip()],
        "valid_from": _day(article.valid_from), "valid_until": _day(article.valid_until),
        "version": article.published_version, "last_reviewed": _day(reviewed), "review_due": _day(article.review_due),
    }


def state_json(article):
    """Where an article is in the review cycle (the answer of every write)."""
    draft = services.open_version(article)
    return {
        "id": article.id, "slug": article.slug, "title": article.title, "status": article.status.value,
        "published_version": article.published_version, "review_due": _day(article.review_due),
        "stamp": views.stamp(article),
        "draft": None if draft is None else {
            "number": draft.number, "state": draft.state.value, "title": draft.title,
            "review_note": draft.review_note or None,
        },
    }


def _day(value):
    return value.isoformat() if value else None


def _live_article(article_id):
    found = inputs.parse_int(article_id, 1)  # ASCII digits that fit the id column, else no article
    if found is None:
        return None
    return db.session.scalar(db.select(Article).where(Article.id == found, search.is_live()))


def _any_article(article_id):
    found = inputs.parse_int(article_id, 1)
    return None if found is None else db.session.get(Article, found)


# --- reading -------------------------------------------------------------------------------------


@bp.get("/knowledge")
@api_roles(*views.STAFF)
def list_articles():
    q = request.args.get("q", "").strip()
    if not q:
        raise ValidationFailed({"q": "required: the question, in the caller's words"}, "invalid query parameter: q")
    if len(q) > MAX_QUERY:
        raise ValidationFailed({"q": f"at most {MAX_QUERY} characters"}, "invalid query parameter: q")
    limit = inputs.parse_int(request.args.get("limit", "5"), 1, 20)  # ASCII digits only: not "²"
    if limit is None:
        raise ValidationFailed({"limit": "a whole number from 1 to 20"}, "invalid query parameter: limit")
    hits = search.search(q, limit=limit)
    return jsonify(items=[{**summary_json(h.article), "score": h.score} for h in hits])


@bp.get("/knowledge/<article_id>")
@api_roles(*views.STAFF)
def get_article(article_id):
    article = _live_article(article_id)
    if article is None:
        return error_response(404, "Not Found", NOT_FOUND)
    return jsonify(article_json(article))


# --- writing: the console's buttons ---------------------------------------------------------------


def _content(body, base=None):
    """services.Content from a JSON body (missing fields: `base`'s, else empty); ValidationFailed."""
    errors, values = {}, {}
    for field in services.CONTENT_FIELDS:
        if field not in body:
            values[field] = getattr(base, field) if base is not None else None
            continue
        value = body[field]
        if field in DATES:
            # The console's date boxes' bounds (inputs.DATE_MIN..DATE_MAX): 9999-12-31 was
            # taken here and then could not be saved again from the console's edit page.
            values[field] = inputs.parse_date(value) if isinstance(value, str) else None
            if value not in (None, "") and values[field] is None:
                errors[field] = (f"a date, YYYY-MM-DD, from {inputs.DATE_MIN.year} to {inputs.DATE_MAX.year}, "
                                 "or null")
        elif field in ("category_code", "problem_type"):
            if value is not None and not isinstance(value, str):
                errors[field] = "a category code or null"
            else:
                values[field] = value or None
        elif not isinstance(value, str):
            errors[field] = "a string"
        elif len(value) > TEXT_LIMITS[field]:
            errors[field] = f"at most {TEXT_LIMITS[field]} characters"
        else:
            values[field] = value.strip()
    # The same groups as the form's choices: a goods/services code, and a problem-type code.
    groups = {"category_code": (CategoryGroup.GOODS, CategoryGroup.SERVICES), "problem_type": (CategoryGroup.PROBLEM,)}
    for field, allowed in groups.items():
        code = values.get(field)
        if code and field not in errors:
            group = db.session.scalar(db.select(Category.group).where(Category.code == code))
            if group is None:
                errors[field] = "no such category code"
            elif group not in allowed:
                errors[field] = ("a problem-type code belongs in problem_type" if field == "category_code"
                                 else "a goods or services code belongs in category_code")
    if not (values.get("title") or "").strip() and "title" not in errors:
        errors["title"] = "required"
    if values.get("valid_from") and values.get("valid_until") and values["valid_until"] < values["valid_from"]:
        errors["valid_until"] = "before valid_from"
    if errors:
        raise ValidationFailed(errors, "invalid fields: " + ", ".join(sorted(errors)))
    for field in TEXT_LIMITS:
        values[field] = values.get(field) or ""
    return services.Content(**values)


def _refused(exc):
    status = 403 if str(exc) == "not-a-reviewer" else 409
    with force_locale("en"):
        message = views.refusal(exc)
    return error_response(status, "Forbidden" if status == 403 else "Conflict", message, reason=str(exc))


@bp.post("/knowledge")
@api_roles(*views.STAFF)
def create_article():
    body = json_object()
    slug = body.get("slug")
    if not isinstance(slug, str) or len(slug) > 80 or not views.SLUG.match(slug):
        raise ValidationFailed({"slug": "lower-case letters, digits and single hyphens, at most 80"},
                               "invalid fields: slug")
    content = _content(body)
    try:
        article, _version = services.create_article(slug, content, g.api_user)
    except services.KnowledgeError as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    return jsonify(state_json(article)), 201


@bp.put("/knowledge/<article_id>/draft")
@api_roles(*views.STAFF)
def save_draft(article_id):
    article = _any_article(article_id)
    if article is None:
        return error_response(404, "Not Found", "no such article")
    body = json_object()
    base = body.pop("base", None)
    if base is not None and base != views.stamp(article):
        return error_response(409, "Conflict", "the draft changed since you read it; read it again",
                              reason="stale", stamp=views.stamp(article))
    content = _content(body, services.open_version(article) or article)
    try:
        services.save_draft(article, content, g.api_user)
    except services.KnowledgeError as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    return jsonify(state_json(article))


def _step(article_id, act):
    article = _any_article(article_id)
    if article is None:
        return error_response(404, "Not Found", "no such article")
    try:
        act(article)
    except services.KnowledgeError as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    return jsonify(state_json(article))


def _open(article):
    version = services.open_version(article)
    if version is None:
        raise services.KnowledgeError("not-a-draft")
    return version


@bp.post("/knowledge/<article_id>/submit")
@api_roles(*views.STAFF)
def submit(article_id):
    return _step(article_id, lambda a: services.submit(_open(a), g.api_user))


@bp.post("/knowledge/<article_id>/publish")
@api_roles(*views.REVIEWERS)
def publish(article_id):
    return _step(article_id, lambda a: services.publish(_open(a), g.api_user))


@bp.post("/knowledge/<article_id>/return")
@api_roles(*views.REVIEWERS)
def return_draft(article_id):
    body = json_object()
    note = body.get("note")
    if not isinstance(note, str) or not note.strip() or len(note) > 2000:
        raise ValidationFailed({"note": "required: what the author should change (at most 2000 characters)"},
                               "invalid fields: note")
    return _step(article_id, lambda a: services.return_draft(_open(a), g.api_user, note))


@bp.post("/knowledge/<article_id>/retire")
@api_roles(*views.REVIEWERS)
def retire(article_id):
    return _step(article_id, lambda a: services.retire(a, g.api_user))


@bp.post("/knowledge/<article_id>/reviewed")
@api_roles(*views.REVIEWERS)
def reviewed(article_id):
    def act(article):
        if article.status != ArticleStatus.PUBLISHED:
            raise services.KnowledgeError("not-published")
        services.reviewed(article, g.api_user)

    return _step(article_id, act)


# --- the OpenAPI part ----------------------------------------------------------------------------

_ID = {"name": "article_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_DAY = nullable({"type": "string", "format": "date"})
_CATEGORY = {"oneOf": [{"type": "null"}, obj({"code": STRING, "label": {**STRING, "description": "in Chinese"}})]}
_CONFLICT = json_content(ref("KnowledgeRefusal"), "the article's state does not allow this step, or the draft changed")
_NOT_FOUND = json_content(ref("Error"), "no such article")
_CONTENT_PROPS = {
    "title": {"type": "string", "maxLength": 200}, "short_answer": {"type": "string", "maxLength": 1000},
    "full_answer": {"type": "string", "maxLength": 20000}, "law_name": {"type": "string", "maxLength": 200},
    "law_article": {"type": "string", "maxLength": 200}, "law_date": _DAY,
    "category_code": {**MAYBE_STRING, "description": "a goods or services category code, e.g. S03"},
    "problem_type": {**MAYBE_STRING, "description": "a problem-type code, e.g. P02"},
    "keywords": {"type": "string", "description": "one a line"},
    "phrasings": {"type": "string", "description": "how callers ask, one a line"},
    "valid_from": _DAY, "valid_until": _DAY,
}
_WRITE_ERRORS = {"404": _NOT_FOUND,
                 "409": _CONFLICT, **AUTH_ERRORS}


def _step_path(operation_id, summary, who, body=None):
    item = {
        "operationId": operation_id, "summary": f"{summary} ({who})",
        "parameters": [_ID],
        "responses": {"200": json_content(ref("ArticleState"), "where the article now is"), **_WRITE_ERRORS},
    }
    if body is not None:
        item["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        item["responses"]["422"] = response_ref("ValidationFailed")
    return {"post": item}


PATHS = {
    "/knowledge": {
        "get": {
            "operationId": "searchKnowledge",
            "summary": "Published articles in force that answer a question, best first",
            "description": "Ranked as the intake form ranks them (BM25 over jieba words, docs/KNOWLEDGE.md). "
                           "`url` is the public page an SMS answer links to.",
            "parameters": [
                {"name": "q", "in": "query", "required": True,
                 "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}},
            ],
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("KnowledgeHit")}}), "the articles"),
                "422": response_ref("ValidationFailed"), **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "createKnowledgeDraft",
            "summary": "Write a new article: its first draft (operators, supervisors, admins)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["slug", "title"],
                "properties": {"slug": {"type": "string", "maxLength": 80,
                                        "description": "the public address /kb/<slug>: lower-case letters, "
                                                       "digits and single hyphens (^[a-z0-9]+(-[a-z0-9]+)*$)"},
                               **_CONTENT_PROPS},
            }}}},
            "responses": {
                "201": json_content(ref("ArticleState"), "the new article and its draft"),
                "400": response_ref("BadRequest"), "409": _CONFLICT,
                "422": response_ref("ValidationFailed"), **AUTH_ERRORS,
            },
        },
    },
    "/knowledge/{article_id}": {"get": {
        "operationId": "getKnowledgeArticle",
        "summary": "One published article in force, in full",
        "parameters": [_ID],
        "responses": {"200": json_content(ref("KnowledgeArticle"), "the article"),
                      "404": response_ref("NotFound"), **AUTH_ERRORS},
    }},
    "/knowledge/{article_id}/draft": {"put": {
        "operationId": "saveKnowledgeDraft",
        "summary": "Write the article's open draft, or start a new version (operators, supervisors, admins)",
        "description": "Fields left out keep the draft's (or the published text's) value. `base`: the `stamp` "
                       "you read; when the draft changed since, 409 and nothing is written.",
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"base": STRING, **_CONTENT_PROPS}}}}},
        "responses": {"200": json_content(ref("ArticleState"), "the saved draft"), "400": response_ref("BadRequest"),
                      "422": response_ref("ValidationFailed"), **_WRITE_ERRORS},
    }},
    "/knowledge/{article_id}/submit": _step_path("submitKnowledgeDraft", "Submit the draft for review",
                                                 "operators, supervisors, admins"),
    "/knowledge/{article_id}/publish": _step_path("publishKnowledgeDraft", "Publish the open version",
                                                  "supervisors, admins"),
    "/knowledge/{article_id}/return": _step_path(
        "returnKnowledgeDraft", "Return the version in review to its author with a note", "supervisors, admins",
        body={"type": "object", "required": ["note"], "properties": {"note": {"type": "string", "maxLength": 2000}}}),
    "/knowledge/{article_id}/retire": _step_path("retireKnowledgeArticle", "Retire the article", "supervisors, admins"),
    "/knowledge/{article_id}/reviewed": _step_path("markKnowledgeReviewed",
                                                   "Reviewed, still right: the next review is due later",
                                                   "supervisors, admins"),
}
SCHEMAS = {
    "KnowledgeHit": obj({"id": {"type": "integer"}, "title": STRING, "short_answer": STRING, "category": _CATEGORY,
                         "url": {"type": "string", "format": "uri"}, "score": {"type": "number"}}),
    "KnowledgeArticle": obj({
        "id": {"type": "integer"}, "slug": STRING, "title": STRING, "short_answer": STRING, "full_answer": STRING,
        "category": _CATEGORY, "problem_type": _CATEGORY, "url": {"type": "string", "format": "uri"},
        "law": obj({"name": STRING, "article": STRING, "date": _DAY}),
        "keywords": {"type": "array", "items": STRING}, "valid_from": _DAY, "valid_until": _DAY,
        "version": {"type": "integer"}, "last_reviewed": _DAY, "review_due": _DAY,
    }),
    "ArticleState": obj({
        "id": {"type": "integer"}, "slug": STRING, "title": STRING,
        "status": {"type": "string", "enum": [s.value for s in ArticleStatus]},
        "published_version": {"type": ["integer", "null"]}, "review_due": _DAY,
        "stamp": {**STRING, "description": "send it back as `base` with the next PUT of the draft"},
        "draft": {"oneOf": [{"type": "null"}, obj({
            "number": {"type": "integer"},
            "state": {"type": "string", "enum": ["draft", "in_review", "returned"]},
            "title": STRING, "review_note": MAYBE_STRING,
        })]},
    }),
    "KnowledgeRefusal": {"type": "object", "required": ["error", "message"],
                         "properties": {"error": STRING, "message": STRING, "reason": STRING, "stamp": STRING}},
}
