"""The public address of an article, as an SMS carries it to a caller.

Built from PUBLIC_BASE_URL rather than the request: an SMS is read on the caller's phone, never on
the console's host, and a text sent by the scheduler has no request at all.
"""

from urllib.parse import quote

from flask import current_app


def public_url(article):
    """The article's public page (/kb/<slug>); the page itself lives in hotline.knowledge.public."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/kb/{quote(article.slug)}"
