"""The staff's knowledge-base pages (/knowledge): an operator drafts, a supervisor returns or
publishes, the answer reaches search and the public page; roles, stale edits, words on screen."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.knowledge import services, views
from hotline.models import Article, ArticleStatus, AuditLog, Role, VersionState
from tests.conftest import PASSWORD
from tests.core.test_no_raw_codes import _enum_values, raw_words, visible_text
from tests.knowledge.kb_helpers import categories, form_fields, published, token
from tests.routing.desk_helpers import texts


@pytest.fixture(autouse=True)
def _categories(app):
    categories()


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, username="sup1")


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR, username="op1")


def _as(app, user):
    client = app.test_client()
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    client.post("/lang/en")  # the assertions read English; the Chinese screens are checked below
    return client


def test_the_review_journey_from_an_operators_draft_to_the_callers_page(app, operator, supervisor):
    op, sup = _as(app, operator), _as(app, supervisor)
    created = op.post("/knowledge/new", data=form_fields(slug="online-returns", short_answer="初稿：七天可以退。"))
    assert created.status_code == 302
    article = db.session.scalar(select(Article).where(Article.slug == "online-returns"))
    assert article.status == ArticleStatus.DRAFT and article.owner_id == operator.id
    assert op.get("/kb/online-returns").status_code == 404  # a draft is nobody's answer yet
    assert op.post(f"/knowledge/{article.id}/submit").status_code == 303

    page = sup.get(f"/knowledge/{article.id}")
    assert texts(page, "kb-draft") and 'id="kb-return-form"' in page.get_data(as_text=True)
    assert sup.post(f"/knowledge/{article.id}/return", data={"note": ""}).status_code == 400  # a note is required
    sup.post(f"/knowledge/{article.id}/return", data={"note": "请写明运费由谁承担。"})

    page = op.get(f"/knowledge/{article.id}")
    assert texts(page, "kb-return-note") == ["Returned with this note: 请写明运费由谁承担。"]
    edit = op.get(f"/knowledge/{article.id}/edit").get_data(as_text=True)
    stamp = edit.split('id="stamp" name="stamp" type="hidden" value="')[1].split('"')[0]
    saved = op.post(f"/knowledge/{article.id}/edit",
                    data=form_fields(stamp=stamp, short_answer="七天内可以无理由退货，退回运费一般由您承担。"))
    assert saved.status_code == 302
    op.post(f"/knowledge/{article.id}/submit")
    assert op.post(f"/knowledge/{article.id}/publish").status_code == 403  # an operator never publishes
    assert sup.post(f"/knowledge/{article.id}/publish").status_code == 303

    db.session.expire_all()
    assert article.status == ArticleStatus.PUBLISHED and article.short_answer.startswith("七天内可以无理由退货")
    public = op.get("/kb/online-returns").get_data(as_text=True)
    assert "退回运费一般由您承担" in public
    found = texts(sup.get("/knowledge", query_string={"q": "网上买的东西七天能退吗"}), "kb-title")
    assert found == ["网购商品七日无理由退货"]
    history = texts(sup.get(f"/knowledge/{article.id}"), "kb-version-state")
    assert history == ["Published"]  # one version: drafted, returned, edited, published
    version = article.versions[0]
    assert (version.author_id, version.reviewed_by_id, version.review_note) == (operator.id, supervisor.id,
                                                                               "请写明运费由谁承担。")
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "article")
                                      .order_by(AuditLog.id)))
    assert actions == ["knowledge.create", "knowledge.submit", "knowledge.return", "knowledge.draft",
                       "knowledge.submit", "knowledge.publish"]

    # A second version: the published text stays until it is published in turn.
    op.post(f"/knowledge/{article.id}/edit", data=form_fields(
        stamp=f"p{article.published_version}", title="网购七日无理由退货（新）"))
    assert "网购七日无理由退货（新）" not in op.get("/kb/online-returns").get_data(as_text=True)
    sup.post(f"/knowledge/{article.id}/publish")
    assert "网购七日无理由退货（新）" in op.get("/kb/online-returns").get_data(as_text=True)
    assert texts(sup.get(f"/knowledge/{article.id}"), "kb-version-state") == ["Published", "Replaced"]

    sup.post(f"/knowledge/{article.id}/retire")
    assert op.get("/kb/online-returns").status_code == 404
    assert texts(sup.get("/knowledge", query_string={"q": "网上买的东西七天能退吗"}), "kb-title") == []


def test_reviewed_still_right_moves_the_next_review(app, supervisor):
    article = published("returns", supervisor)
    article.review_due = article.review_due.replace(year=article.review_due.year - 2)
    db.session.commit()
    before = article.review_due
    assert _as(app, supervisor).post(f"/knowledge/{article.id}/reviewed").status_code == 303
    db.session.refresh(article)
    assert article.review_due > before and len(article.versions) == 1


def test_an_operator_reads_and_drafts_but_has_no_supervisors_buttons(app, operator, supervisor):
    article = published("returns", supervisor)
    op = _as(app, operator)
    page = op.get(f"/knowledge/{article.id}").get_data(as_text=True)
    for button in ("kb-publish", "kb-retire", "kb-reviewed", "kb-return"):
        assert f'id="{button}"' not in page
    for step in ("publish", "retire", "reviewed"):
        assert op.post(f"/knowledge/{article.id}/{step}").status_code == 403
    assert op.post(f"/knowledge/{article.id}/return", data={"note": "x"}).status_code == 403
    db.session.refresh(article)
    assert article.status == ArticleStatus.PUBLISHED
    assert 'href="/knowledge"' in op.get("/my", follow_redirects=True).get_data(as_text=True)


def test_department_staff_have_no_knowledge_pages(app, make_user, make_department, supervisor):
    article = published("returns", supervisor)
    dept = _as(app, make_user(Role.DEPARTMENT, department=make_department("D09", "测试所")))
    assert dept.get("/knowledge").status_code == 403
    assert dept.get(f"/knowledge/{article.id}").status_code == 403
    assert dept.post("/knowledge/new", data=form_fields(slug="x")).status_code == 403
    assert 'href="/knowledge"' not in dept.get("/my", follow_redirects=True).get_data(as_text=True)


def test_a_stale_edit_gets_409_keeps_the_typed_text_and_overwrites_nothing(app, operator, supervisor):
    article = published("returns", supervisor)
    first, second = _as(app, operator), _as(app, supervisor)

    def opened(client):
        page = client.get(f"/knowledge/{article.id}/edit").get_data(as_text=True)
        return page.split('id="stamp" name="stamp" type="hidden" value="')[1].split('"')[0]

    stamp_a, stamp_b = opened(first), opened(second)
    assert first.post(f"/knowledge/{article.id}/edit", data=form_fields(stamp=stamp_a, short_answer="甲写的答复")).status_code == 302
    stale = second.post(f"/knowledge/{article.id}/edit", data=form_fields(stamp=stamp_b, short_answer="乙写的答复"))
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "乙写的答复" in page and 'id="kb-conflict"' in page
    draft = services.open_version(db.session.get(Article, article.id))
    assert draft.short_answer == "甲写的答复"
    # Having seen the warning, a second save with the fresh stamp goes through.
    fresh = page.split('id="stamp" name="stamp" type="hidden" value="')[1].split('"')[0]
    assert second.post(f"/knowledge/{article.id}/edit",
                       data=form_fields(stamp=fresh, short_answer="乙写的答复")).status_code == 302
    db.session.expire_all()
    assert services.open_version(db.session.get(Article, article.id)).short_answer == "乙写的答复"


def test_a_version_in_review_cannot_be_edited(app, operator, supervisor):
    article = published("returns", supervisor)
    op = _as(app, operator)
    op.post(f"/knowledge/{article.id}/edit", data=form_fields(stamp=f"p{article.published_version}", title="新标题"))
    op.post(f"/knowledge/{article.id}/submit")
    page = op.get(f"/knowledge/{article.id}/edit").get_data(as_text=True)
    assert 'id="kb-locked"' in page and 'id="kb-save"' not in page
    db.session.expire_all()
    assert services.open_version(db.session.get(Article, article.id)).state == VersionState.IN_REVIEW


def test_bad_input_is_refused_in_words_and_kept(app, operator, supervisor):
    published("taken", supervisor)
    op = _as(app, operator)
    client_bad = op.post("/knowledge/new", data=form_fields(slug="Not A Slug", title="我的标题"))
    assert client_bad.status_code == 400 and "我的标题" in client_bad.get_data(as_text=True)
    assert texts(client_bad, "kb-error")
    taken = op.post("/knowledge/new", data=form_fields(slug="taken", short_answer="我打的答复"))
    assert taken.status_code == 400 and "我打的答复" in taken.get_data(as_text=True)
    assert any("web address" in e for e in texts(taken, "kb-error"))
    dates = op.post("/knowledge/new", data=form_fields(slug="dates", valid_from="2026-05-01", valid_until="2026-01-01"))
    assert dates.status_code == 400
    long_query = op.get("/knowledge", query_string={"q": "退" * (views.MAX_QUERY + 1)})
    assert long_query.status_code == 400 and texts(long_query, "kb-error")
    assert db.session.scalar(select(Article).where(Article.slug == "dates")) is None


def test_incomplete_drafts_cannot_be_submitted(app, operator):
    op = _as(app, operator)
    op.post("/knowledge/new", data=form_fields(slug="empty", short_answer=""))
    article = db.session.scalar(select(Article).where(Article.slug == "empty"))
    response = op.post(f"/knowledge/{article.id}/submit", follow_redirects=True)
    assert "short answer" in response.get_data(as_text=True)
    assert services.open_version(article).state == VersionState.DRAFT


def test_the_list_filters_and_says_how_many_it_shows(app, operator, supervisor, monkeypatch):
    for n in range(3):
        published(f"a{n}", supervisor, title=f"条目{n}", category_code="S03" if n else "G01")
    retired = published("old", supervisor, title="旧条目")
    services.retire(retired, supervisor)
    db.session.commit()
    op = _as(app, operator)
    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    listing = op.get("/knowledge")
    assert texts(listing, "kb-count") == ["Showing 2 of 4, most recently changed first."]
    assert texts(listing, "kb-title") == ["旧条目", "条目2"]
    assert texts(op.get("/knowledge?status=retired"), "kb-title") == ["旧条目"]
    assert texts(op.get("/knowledge?category=G01"), "kb-title") == ["条目0"]


def test_buttons_need_the_csrf_token(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        categories()
        sup = make_user(Role.SUPERVISOR, username="csrf-kb")
        article = published("returns", sup)
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": "csrf-kb", "password": PASSWORD, "csrf_token": token(login)})
        assert client.post(f"/knowledge/{article.id}/retire").status_code == 400
        page = client.get(f"/knowledge/{article.id}").get_data(as_text=True)
        assert client.post(f"/knowledge/{article.id}/retire", data={"csrf_token": token(page)}).status_code == 303
        db.session.refresh(article)
        assert article.status == ArticleStatus.RETIRED


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_in_both_languages_says_categories_in_words(app, operator, supervisor, lang):
    article = published("returns", supervisor)
    services.save_draft(article, services.Content(**{**services.Content.of(article).__dict__, "title": "草稿"}),
                        operator)
    db.session.commit()
    sup = _as(app, supervisor)
    sup.post(f"/lang/{lang}")
    codes = _enum_values()
    pages = ["/knowledge", "/knowledge?q=网上买的能退吗", "/knowledge?status=draft", f"/knowledge/{article.id}",
             f"/knowledge/{article.id}/edit", "/knowledge/new"]
    for url in pages:
        response = sup.get(url)
        assert response.status_code == 200, url
        if lang == "zh":
            assert raw_words(visible_text(response.get_data(as_text=True)), codes) == [], url
        assert "S03" not in visible_text(response.get_data(as_text=True)), url
    page = sup.get(f"/knowledge/{article.id}")
    expected = {"zh": ("互联网服务及电子商务", "售后服务"), "en": ("Internet services and e-commerce", "After-sales")}
    assert (texts(page, "kb-category"), texts(page, "kb-problem-type")) == tuple([name] for name in expected[lang])
