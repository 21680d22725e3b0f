"""What the knowledge base's page, public-page and API tests share: categories, articles."""

import re

from hotline.extensions import db
from hotline.knowledge import services
from hotline.seeds import seed_categories

RETURNS = dict(title="网购商品七日无理由退货", short_answer="签收次日起七天内，商品完好即可无理由退货。",
               full_answer="适用范围：网络、电视、电话、邮购。\n\n商家收到退货后七日内退款。",
               law_name="中华人民共和国消费者权益保护法", law_article="第二十五条", category_code="S03",
               problem_type="P02", keywords="七日无理由\n退货\n网购")


def categories():
    seed_categories()
    db.session.commit()


def published(slug, by, **fields):
    """A published article (the supervisor `by` writes and publishes it)."""
    content = services.Content(**{**RETURNS, **fields})
    _article, version = services.create_article(slug, content, by)
    article = services.publish(version, by)
    db.session.commit()
    return article


def token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def form_fields(**overrides):
    """The edit form as a browser posts it."""
    fields = {k: v for k, v in RETURNS.items()}
    fields.update({"law_date": "", "valid_from": "", "valid_until": "", "phrasings": ""})
    fields.update(overrides)
    return fields
