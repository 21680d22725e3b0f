"""The callers' read-only pages of the knowledge base: /kb (a search box and the published
articles by category) and /kb/<slug> (one article), the address an SMS answer carries
(hotline.knowledge.links.public_url). No sign-in.

Only what is published and in force is shown; a draft, a retired article or one outside its
validity is a 404, the same as an address that never existed. No staff name, user id or article
id is shown: the slug is the address. Searches are rate-limited per address (KB_SEARCH_PER_ADDRESS):
each one runs the ranking over the index, and an open page must not let one host keep the
database busy. Listing and reading are not limited (cheap, and what an SMS link opens).

The layout is the status page's card and stylesheet (hotline/public/status.css) in a page of its
own (public_base.html): a signed-in member of staff opening a caller's link sees what the caller
sees, not the console's top bar.
"""

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from hotline.authz import public
from hotline.extensions import db, limiter
from hotline.knowledge import search
from hotline.knowledge.views import category_names, last_reviewed
from hotline.models import Article

bp = Blueprint("knowledge_public", __name__)
MAX_QUERY = 200
SEARCH_LIMIT = 10
NO_STORE = {"Cache-Control": "no-store"}


def _searching():
    return bool(request.args.get("q", "").strip())


def _address_key():
    return "kb-search:" + (get_remote_address() or "-")


@bp.route("")
@public
@limiter.limit(lambda: current_app.config["KB_SEARCH_PER_ADDRESS"], key_func=_address_key,
               exempt_when=lambda: not _searching())
def index():
    q = request.args.get("q", "").strip()
    names = category_names()
    error, hits, groups = None, None, []
    if len(q) > MAX_QUERY:
        error = _("A search may have at most %(max)d characters.", max=MAX_QUERY)
    elif q:
        hits = [hit.article for hit in search.search(q, limit=SEARCH_LIMIT)]
    if hits is None:
        articles = db.session.scalars(select(Article).where(search.is_live()).order_by(Article.title))
        by_category = {}
        for article in articles:
            by_category.setdefault(article.category_code, []).append(article)
        # Categories in their codes' order (goods, then services, as intake lists them); articles
        # without one last.
        keyed = [((0, code, names[code]) if code in names else (1, "", _("Other questions")), rows)
                 for code, rows in by_category.items()]
        groups = [(key[2], rows) for key, rows in sorted(keyed, key=lambda item: item[0])]
    page = render_template("knowledge/public_index.html", q=q, error=error, hits=hits, groups=groups,
                           max_query=MAX_QUERY)
    return page, (400 if error else 200), NO_STORE


@bp.route("/<slug>")
@public
def article(slug):
    found = db.session.scalar(select(Article).where(Article.slug == slug, search.is_live()))
    if found is None:
        abort(404)
    names = category_names()
    category = names.get(found.category_code, "")
    return render_template("knowledge/public_article.html", article=found, category=category,
                           reviewed=last_reviewed(found)), 200, NO_STORE


@bp.errorhandler(404)
def not_found(_exc):
    return render_template("knowledge/public_missing.html"), 404, NO_STORE


@bp.errorhandler(429)
def too_many(_exc):
    return render_template("knowledge/public_missing.html", too_many=True), 429, NO_STORE
