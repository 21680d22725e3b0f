"""The knowledge base under /api/v1: search and read published articles, and the review cycle's
write twins, every answer checked against the OpenAPI document."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.knowledge import services
from hotline.models import Article, ArticleStatus, Role
from tests.api.conftest import CheckedClient
from tests.knowledge.kb_helpers import RETURNS, categories, published

OPERATIONS = {
    ("/knowledge", "get"), ("/knowledge", "post"), ("/knowledge/{article_id}", "get"),
    ("/knowledge/{article_id}/draft", "put"), ("/knowledge/{article_id}/submit", "post"),
    ("/knowledge/{article_id}/publish", "post"), ("/knowledge/{article_id}/return", "post"),
    ("/knowledge/{article_id}/retire", "post"), ("/knowledge/{article_id}/reviewed", "post"),
}


@pytest.fixture
def api(client, spec):
    categories()
    return CheckedClient(client, spec)


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def sup(api, token_for, supervisor):
    return api.as_(token_for(supervisor))


@pytest.fixture
def op(api, token_for, make_user):
    return api.as_(token_for(make_user(Role.OPERATOR)))


def test_every_operation_is_in_the_document(api):
    doc = api.get("/api/v1/openapi.json").json
    found = {(path, method) for path, item in doc["paths"].items() for method in item if path.startswith("/knowledge")}
    assert found == OPERATIONS
    assert {"KnowledgeHit", "KnowledgeArticle", "ArticleState"} <= set(doc["components"]["schemas"])


def test_search_returns_ranked_published_articles_with_their_public_url(app, api, op, supervisor):
    returns = published("online-returns", supervisor)
    published("fridge", supervisor, title="冰箱三包", short_answer="七日内有性能故障可以退货", category_code="G01",
              keywords="冰箱\n三包")
    services.create_article("draft", services.Content(title="冰箱草稿", keywords="冰箱"), supervisor)
    db.session.commit()
    found = op.get("/api/v1/knowledge", query_string={"q": "网上买的衣服七天能退吗"})
    assert found.status_code == 200
    first = found.json["items"][0]
    assert {k: first[k] for k in ("id", "title", "short_answer", "category", "url")} == {
        "id": returns.id, "title": RETURNS["title"], "short_answer": RETURNS["short_answer"],
        "category": {"code": "S03", "label": "互联网服务及电子商务"},
        "url": app.config["PUBLIC_BASE_URL"] + "/kb/online-returns",
    }
    titles = [i["title"] for i in op.get("/api/v1/knowledge", query_string={"q": "冰箱", "limit": 10}).json["items"]]
    assert titles == ["冰箱三包"]  # the draft is nobody's answer


@pytest.mark.parametrize("query", [{"q": "退" * 201}, {}, {"q": "   "}, {"q": "退货", "limit": "0"},
                                   {"q": "退货", "limit": "abc"}, {"q": "退货", "limit": "²"},
                                   {"q": "退货", "limit": "٣"}])
def test_bad_queries_are_422(api, op, query):
    response = op.get("/api/v1/knowledge", query_string=query)
    assert response.status_code == 422 and response.json["fields"]


def test_one_article_in_full_and_404_for_what_is_not_published(api, op, supervisor):
    article = published("online-returns", supervisor)
    full = op.get(f"/api/v1/knowledge/{article.id}")
    assert full.status_code == 200
    assert full.json["law"] == {"name": "中华人民共和国消费者权益保护法", "article": "第二十五条", "date": None}
    assert full.json["problem_type"] == {"code": "P02", "label": "售后服务"} and full.json["version"] == 1
    draft, _v = services.create_article("draft", services.Content(title="草稿"), supervisor)
    db.session.commit()
    for article_id in (draft.id, 999999, "abc", "²", 99999999999, 10**30):  # too big for the column: no article
        assert op.get(f"/api/v1/knowledge/{article_id}").status_code == 404
    services.retire(article, supervisor)
    db.session.commit()
    assert op.get(f"/api/v1/knowledge/{article.id}").status_code == 404


def test_the_review_cycle_through_the_api(api, op, sup):
    body = {"slug": "api-returns", **{k: v for k, v in RETURNS.items()}, "short_answer": "初稿"}
    created = op.post("/api/v1/knowledge", json=body)
    assert created.status_code == 201
    state = created.json
    assert state["status"] == "draft" and state["draft"]["state"] == "draft"
    article_id = state["id"]
    assert op.post(f"/api/v1/knowledge/{article_id}/submit").json["draft"]["state"] == "in_review"
    assert op.post(f"/api/v1/knowledge/{article_id}/publish").status_code == 403
    assert sup.post(f"/api/v1/knowledge/{article_id}/return", json={}).status_code == 422
    returned = sup.post(f"/api/v1/knowledge/{article_id}/return", json={"note": "补充运费说明"})
    assert returned.json["draft"] == {"number": 1, "state": "returned", "title": RETURNS["title"],
                                      "review_note": "补充运费说明"}
    saved = op.open("PUT", f"/api/v1/knowledge/{article_id}/draft",
                    json={"base": returned.json["stamp"], "short_answer": "七天内可退，运费一般由您承担。"})
    assert saved.status_code == 200 and saved.json["draft"]["state"] == "draft"
    stale = op.open("PUT", f"/api/v1/knowledge/{article_id}/draft",
                    json={"base": returned.json["stamp"], "short_answer": "旧的"})
    assert stale.status_code == 409 and stale.json["reason"] == "stale"
    published_state = sup.post(f"/api/v1/knowledge/{article_id}/publish").json
    assert published_state["status"] == "published" and published_state["draft"] is None
    article = db.session.get(Article, article_id)
    assert article.short_answer == "七天内可退，运费一般由您承担。" and article.title == RETURNS["title"]
    assert sup.post(f"/api/v1/knowledge/{article_id}/reviewed").status_code == 200
    assert op.post(f"/api/v1/knowledge/{article_id}/retire").status_code == 403
    assert sup.post(f"/api/v1/knowledge/{article_id}/retire").json["status"] == "retired"
    db.session.refresh(article)
    assert article.status == ArticleStatus.RETIRED
    assert sup.post(f"/api/v1/knowledge/{article_id}/reviewed").status_code == 409


def test_write_refusals_are_clear(api, op, sup, supervisor):
    published("taken", supervisor)
    assert op.post("/api/v1/knowledge", json={"slug": "taken", "title": "x"}).status_code == 409
    bad = op.post("/api/v1/knowledge", json={"slug": "Bad Slug", "title": "x"})
    assert bad.status_code == 422 and "slug" in bad.json["fields"]
    fields = op.post("/api/v1/knowledge", json={"slug": "ok", "title": "", "law_date": "yesterday",
                                                "category_code": "NOPE", "short_answer": 5})
    assert fields.status_code == 422
    assert set(fields.json["fields"]) == {"title", "law_date", "category_code", "short_answer"}
    # Dates the console's date boxes could not show again are refused here too.
    far = op.post("/api/v1/knowledge", json={"slug": "far", "title": "x", "valid_until": "9999-12-31",
                                             "valid_from": "20260501", "law_date": 20260501})
    assert far.status_code == 422 and set(far.json["fields"]) == {"valid_until", "valid_from", "law_date"}
    # A problem type given as the category (and the other way round) is named, not stored.
    swapped = op.post("/api/v1/knowledge", json={"slug": "swapped", "title": "x", "category_code": "P01",
                                                 "problem_type": "G01"})
    assert swapped.status_code == 422 and set(swapped.json["fields"]) == {"category_code", "problem_type"}
    assert db.session.scalar(select(Article).where(Article.slug == "swapped")) is None
    assert op.post("/api/v1/knowledge", data="not json", content_type="application/json").status_code == 400
    assert op.post("/api/v1/knowledge/999999/submit").status_code == 404
    nothing = published("plain", supervisor)
    assert op.post(f"/api/v1/knowledge/{nothing.id}/submit").status_code == 409  # no draft to submit


def test_roles(api, token_for, make_user, make_department, supervisor):
    article = published("online-returns", supervisor)
    dept = api.as_(token_for(make_user(Role.DEPARTMENT, department=make_department("D07", "七所"))))
    assert dept.get("/api/v1/knowledge", query_string={"q": "退货"}).status_code == 403
    assert dept.get(f"/api/v1/knowledge/{article.id}").status_code == 403
    admin = api.as_(token_for(make_user(Role.ADMIN)))
    assert admin.post(f"/api/v1/knowledge/{article.id}/reviewed").status_code == 200
    assert api.get("/api/v1/knowledge?q=退货").status_code == 401
