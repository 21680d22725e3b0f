"""`flask knowledge ...`: load articles from a file, rebuild the search index."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from hotline.extensions import db
from hotline.knowledge import search, services
from hotline.models import Article

knowledge_cli = AppGroup("knowledge", help="The knowledge base.")


@knowledge_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), default=str(services.DEMO_ARTICLES))
def load(path):
    """Create and publish the articles of a JSON file (slugs that exist are left alone)."""
    added = services.load_articles(path)
    db.session.commit()
    click.echo(f"{added} articles added")


@knowledge_cli.command("reindex")
def reindex():
    """Rebuild the search words of every article: needed after data/words.txt or the weights change."""
    count = 0
    for article in db.session.scalars(select(Article)):
        search.index_article(article)
        count += 1
    db.session.commit()
    click.echo(f"{count} articles indexed")
