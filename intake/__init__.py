"""Intake: who the caller is, what kind of case it is (the suggestion), the intake form, the
decision to accept or not, evidence, and the intake API. `init_app` is the whole wiring."""


def init_app(app):
    """Blueprints, template helpers, slots, seeds and OpenAPI parts of intake."""
    from flask_babel import lazy_gettext as _l

    from hotline import calls, menu, rest, seeds, slots, templating, tickets
    from hotline.extensions import csrf
    from intake import (
        api,
        api_doc,
        classifier,
        decision_views,
        evidence_views,
        services,
        suggestion_rules,
        views,
    )

    app.register_blueprint(views.bp, url_prefix="/intake")
    app.register_blueprint(decision_views.bp, url_prefix="/intake")
    app.register_blueprint(evidence_views.bp, url_prefix="/evidence")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF does not apply
    app.context_processor(decision_views.template_helpers)
    # The history shows a ground for not accepting by its name, not its code.
    templating.add_field_reader(app, "reject_ground", lambda code: str(decision_views.GROUND_LABELS.get(code, "")) or None)
    # A category's answers read as its questions and the answers in words, not as a dict.
    templating.add_field_reader(app, "answers", _answers_in_words)
    app.context_processor(evidence_views.template_helpers)
    menu.add(app, "manage", "intake.rules", _l("Suggestion rules"), order=50)
    menu.add(app, "manage", "intake_decision.hot_respondents", _l("Hot respondents"), order=60)
    slots.add(app, "case_page.actions", "intake/_ticket_actions.html")
    slots.add(app, "case_page.panels", "intake/_decision.html", order=10)
    slots.add(app, "case_page.panels", "intake/_evidence.html", order=50)
    slots.add(app, "desk_case.panels", "intake/_evidence.html")
    slots.add(app, "ticket_row.status", "intake/_row_missing.html")
    app.add_template_global(services.missing_before_acceptance, "intake_missing")
    tickets.add_missing_counter(app, lambda ticket: len(services.still_needed(ticket)))
    calls.add_case_opener(app, views.call_opens_form)
    seeds.add_seed(app, suggestion_rules.seed_suggestion_rules)
    rest.add_openapi(app, api_doc.PATHS, api_doc.SCHEMAS)
    if app.config.get("SUGGEST_WARM_UP"):
        classifier.warm_up()  # trains in a background thread, so a worker's first suggestion is quick


def _answers_in_words(stored):
    from flask_babel import get_locale, gettext

    from hotline import questions

    return questions.answers_in_words(stored, str(get_locale()), {"yes": gettext("Yes"), "no": gettext("No")})
