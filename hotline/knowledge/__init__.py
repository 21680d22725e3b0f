"""The knowledge base: articles that answer consultations (search, review cycle, public pages,
API) and the canned replies of the SMS console and the department desk. docs/KNOWLEDGE.md."""


def init_app(app):
    """Blueprints, menu entries, OpenAPI parts and CLI of the knowledge base."""
    from hotline.knowledge.cli import knowledge_cli

    app.cli.add_command(knowledge_cli)
    # --- canned replies (常用语): pages, pickers' helper, API, defaults ---
    _init_replies(app)
    _init_articles(app)  # --- articles: staff pages, public pages, API ---
    _init_report(app)  # --- the supervisors' knowledge report ---


def _init_replies(app):
    from flask_babel import lazy_gettext as _l

    from hotline import menu, rest, seeds
    from hotline.extensions import csrf
    from hotline.knowledge import replies, reply_api, reply_views

    app.register_blueprint(reply_views.bp, url_prefix="/knowledge/replies")
    app.register_blueprint(reply_api.bp, url_prefix="/api/v1")
    csrf.exempt(reply_api.bp)  # bearer tokens, no cookies: CSRF does not apply
    app.add_template_global(replies.choices, "reply_choices")
    menu.add(app, "manage", "replies.index", _l("Canned replies"), order=65)
    rest.add_openapi(app, reply_api.PATHS, reply_api.SCHEMAS)
    seeds.add_seed(app, replies.seed_defaults)


def _init_report(app):
    """The knowledge report, /reports/knowledge: a report among the others (their URL prefix,
    endpoint family, roles, tabs and index), so supervisors find it where they read the rest."""
    from hotline.knowledge import report

    app.add_url_rule("/reports/knowledge", endpoint="reports.knowledge", view_func=report.knowledge)


def _init_articles(app):
    from flask_babel import lazy_gettext as _l

    from hotline import menu, rest
    from hotline.extensions import csrf
    from hotline.knowledge import api, public, views

    app.register_blueprint(views.bp, url_prefix="/knowledge")
    app.register_blueprint(public.bp, url_prefix="/kb")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF does not apply
    # Work, not Manage: operators look answers up all day and write drafts. Not pinned: with the
    # callers-waiting badge an operator's English bar would no longer fit one row at 1280 px.
    menu.add(app, "work", "knowledge.index", _l("Knowledge base"), order=45)
    rest.add_openapi(app, api.PATHS, api.SCHEMAS)
