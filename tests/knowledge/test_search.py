"""Search finds articles by the words callers use, on both databases; only what callers may see."""

from datetime import date, timedelta

import pytest

from bench import knowledge_search
from hotline.extensions import db
from hotline.knowledge import search, services
from hotline.models import ArticleTerm, Role, SearchWord


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def publish(supervisor):
    def do(slug, title, short="", **fields):
        _article, version = services.create_article(slug, services.Content(title=title, short_answer=short or title,
                                                                           **fields), supervisor)
        article = services.publish(version, supervisor)
        db.session.commit()
        return article

    return do


def slugs(question, limit=3):
    return [hit.article.slug for hit in search.search(question, limit=limit)]


def test_two_character_words_find_their_article(app, publish):
    publish("returns", "网购商品七日无理由退货", "收到商品之日起七日内可以退货", keywords="退货\n网购")
    publish("appliances", "家用电器三包", "七日内有性能故障可以退货，十五日内可以换货", keywords="三包\n冰箱")
    publish("fraud", "经营者欺诈的赔偿", "可以要求退还货款并赔偿价款的三倍", keywords="欺诈\n赔偿")
    assert slugs("冰箱坏了，三包怎么算")[0] == "appliances"
    assert slugs("网上买的想退货")[0] == "returns"
    assert slugs("商家骗人能要多少赔偿")[0] == "fraud"
    hit = search.search("冰箱坏了，三包怎么算")[0]
    assert "三包" in hit.matched and hit.score > 0


def test_drafts_retired_expired_and_future_articles_are_never_found(app, publish, supervisor):
    publish("live", "预付卡退款", keywords="预付卡")
    expired = publish("expired", "预付卡过期作废条款", keywords="预付卡", valid_until=date.today() - timedelta(days=1))
    publish("future", "预付卡新规", keywords="预付卡", valid_from=date.today() + timedelta(days=3))
    retired = publish("retired", "预付卡转让", keywords="预付卡")
    services.retire(retired, supervisor)
    services.create_article("draft", services.Content(title="预付卡草稿", keywords="预付卡"), supervisor)
    db.session.commit()
    assert slugs("预付卡的钱怎么退", limit=10) == ["live"]
    assert db.session.query(ArticleTerm).filter_by(article_id=retired.id).count() == 0
    assert expired.status.value == "published"  # still published: its validity keeps it out of search


def test_a_new_version_replaces_the_words_of_the_old(app, publish, supervisor):
    article = publish("parcel", "快递丢失赔偿", keywords="快递\n丢失")
    version = services.save_draft(article, services.Content(title="邮件包裹损坏赔偿", short_answer="按保价赔偿",
                                                            keywords="包裹\n损坏"), supervisor)
    services.publish(version, supervisor)
    db.session.commit()
    assert slugs("快递丢失") == []
    assert slugs("包裹损坏了") == ["parcel"]
    assert [v.state.value for v in article.versions] == ["superseded", "published"]
    spread = dict(db.session.execute(db.select(SearchWord.term, SearchWord.articles)).all())
    assert (spread.get("丢失"), spread.get("包裹")) == (0, 1)  # the counts that pick which words to read


def test_a_question_with_no_known_word_finds_nothing(app, publish):
    publish("returns", "网购商品七日无理由退货", keywords="退货")
    assert search.search("") == []
    assert search.search("？？？ 的 了 吗") == []


def test_the_shipped_questions_find_their_article_in_the_top_three(app):
    """The figure bench.knowledge_search prints: top-3 on the held-apart test questions >= 90 %."""
    services.load_articles()
    db.session.commit()
    figures = knowledge_search.quality(knowledge_search.load_questions())
    assert figures["test"]["n"] >= 300
    assert figures["test"]["top3"] >= knowledge_search.TARGET_TOP3, figures
