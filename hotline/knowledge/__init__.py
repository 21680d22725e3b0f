"""The knowledge base: articles that answer consultations (search, review cycle, public pages,
API) and the canned replies of the SMS console and the department desk. docs/KNOWLEDGE.md."""


def init_app(app):
    """Blueprints, menu entries, OpenAPI parts and CLI of the knowledge base."""
    from hotline.knowledge.cli import knowledge_cli

    app.cli.add_command(knowledge_cli)
