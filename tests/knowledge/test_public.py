"""The callers' pages (/kb): only published answers in force, no sign-in, no staff names, the
address an SMS carries, searches limited per address, readable in both languages."""

from datetime import date, timedelta

import pytest

from hotline.extensions import db
from hotline.knowledge import links, services
from hotline.models import Role
from tests.core.test_no_raw_codes import _enum_values, raw_words, visible_text
from tests.knowledge.kb_helpers import categories, published
from tests.routing.desk_helpers import texts


@pytest.fixture
def supervisor(app, make_user):
    categories()
    return make_user(Role.SUPERVISOR, username="wang1")


def test_a_published_article_is_read_without_signing_in(app, client, supervisor):
    article = published("online-returns", supervisor)
    assert links.public_url(article).endswith("/kb/online-returns")  # what an SMS carries
    response = client.get("/kb/online-returns")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert texts(response, "kb-short-answer")[0].endswith("签收次日起七天内，商品完好即可无理由退货。")
    assert "商家收到退货后七日内退款" in texts(response, "kb-full-answer")[0]
    assert "中华人民共和国消费者权益保护法 第二十五条" in texts(response, "kb-law")[0]
    assert date.today().isoformat() in texts(response, "kb-reviewed")[0]
    # Nothing of the staff's: no name, no internal id, no console top bar.
    assert "wang1" not in page and f"/knowledge/{article.id}" not in page
    assert 'id="topbar"' not in page and "sign-out" not in page


def test_a_signed_in_operator_sees_the_callers_page_not_the_console(app, client, supervisor, login):
    published("online-returns", supervisor)
    login(supervisor)
    page = client.get("/kb/online-returns").get_data(as_text=True)
    assert 'id="topbar"' not in page and 'id="kb-article"' in page


def test_drafts_retired_expired_and_unknown_articles_are_404(app, client, supervisor):
    services.create_article("draft-only", services.Content(title="草稿", short_answer="草稿"), supervisor)
    retired = published("retired", supervisor)
    services.retire(retired, supervisor)
    published("expired", supervisor, valid_until=date.today() - timedelta(days=1))
    published("future", supervisor, valid_from=date.today() + timedelta(days=3))
    db.session.commit()
    for slug in ("draft-only", "retired", "expired", "future", "never-was", "%E4%B8%AD"):
        response = client.get(f"/kb/{slug}")
        assert response.status_code == 404, slug
        assert 'id="kb-missing"' in response.get_data(as_text=True)
    listing = client.get("/kb").get_data(as_text=True)
    assert "/kb/draft-only" not in listing and "/kb/retired" not in listing and "/kb/expired" not in listing


def test_the_list_groups_articles_by_category_in_words(app, client, supervisor):
    published("online-returns", supervisor)
    published("fridge", supervisor, title="冰箱三包", category_code="G01", keywords="冰箱\n三包")
    published("other", supervisor, title="其他问题的答复", category_code=None)
    client.post("/lang/zh")
    response = client.get("/kb")
    groups = [g.split(" ")[0] for g in texts(response, "kb-group")]
    assert groups == ["家用电器", "互联网服务及电子商务", "其他问题"]


def test_search_finds_published_answers_and_long_questions_are_refused(app, client, supervisor):
    published("online-returns", supervisor)
    published("fridge", supervisor, title="冰箱三包", short_answer="七日内有性能故障可以退货", category_code="G01",
              keywords="冰箱\n三包")
    found = client.get("/kb", query_string={"q": "冰箱坏了三包怎么算"})
    assert found.status_code == 200 and texts(found, "kb-hit")[0] == "冰箱三包"
    assert texts(client.get("/kb", query_string={"q": "火星"}), "kb-hit") == []
    too_long = client.get("/kb", query_string={"q": "退" * 201})
    assert too_long.status_code == 400 and texts(too_long, "kb-error")


def test_searches_are_limited_per_address_but_reading_is_not(app_factory, make_user):
    app = app_factory(KB_SEARCH_PER_ADDRESS="3 per minute", RATELIMIT_ENABLED=True)
    with app.app_context():
        categories()
        published("online-returns", make_user(Role.SUPERVISOR, username="wang2"))
        client = app.test_client()
        codes = [client.get("/kb", query_string={"q": "退货"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/kb/online-returns").status_code == 200
        assert client.get("/kb").status_code == 200
        other = app.test_client()
        assert other.get("/kb", query_string={"q": "退货"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_languages_at_phone_width(app, client, supervisor, lang):
    published("online-returns", supervisor)
    client.post(f"/lang/{lang}")
    for url in ("/kb", "/kb/online-returns", "/kb?q=网上买的衣服能退吗", "/kb/missing"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
        if lang == "zh":
            assert raw_words(visible_text(page), _enum_values()) == [], url
        assert "S03" not in visible_text(page)
