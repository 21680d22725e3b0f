"""Routing: the rules that pick a department, forwarding, departments, the referral directory
and appeals, and the department desk. `init_app` is the whole wiring."""


def init_app(app):
    """Blueprints, receivers, template helpers, slots and seeds of routing."""
    from flask_babel import lazy_gettext as _l

    from hotline import events, menu, rest, seeds, slots, templating
    from hotline.extensions import csrf
    from routing import api, api_doc, desk_views, divisions, referral_views, referrals, services, views

    app.register_blueprint(views.bp, url_prefix="/routing")
    app.register_blueprint(referral_views.bp, url_prefix="/referrals")
    app.register_blueprint(desk_views.bp, url_prefix="/desk")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF does not apply
    # After followup's survey receiver (followup connects first; see followup.init_app).
    events.sms_received.connect(referrals.on_sms_received, sender=app)
    app.add_template_global(views.forward_panel, "routing_forward_panel")
    app.add_template_global(views.division_levels, "division_levels")
    app.add_template_global(services.seed_key, "rule_seed_key")
    app.context_processor(referral_views.template_helpers)
    templating.add_field_reader(app, "respondent_division", divisions.full_name)
    templating.add_labels(app, "result", desk_views.RESULT_LABELS)
    templating.add_labels(app, "appeal_target", referral_views.APPEAL_TARGET_LABELS)
    templating.add_labels(app, "return_reason", desk_views.RETURN_REASONS)
    # A department's steps by their kind, in the words of the case's kind (the case history).
    templating.add_labels(app, "desk_step", desk_views.STEP_KINDS)
    templating.add_labels(app, "desk_step_report", desk_views.REPORT_STEP_KINDS)
    menu.add(app, "work", "desk.index", _l("Department desk"), order=10)
    menu.add(app, "work", "routing.triage", _l("Triage"), order=20)
    menu.add(app, "manage", "routing.rules", _l("Routing rules"), order=10)
    menu.add(app, "manage", "routing.departments", _l("Departments"), order=20)
    menu.add(app, "manage", "referrals.directory", _l("Referral directory"), order=30)
    menu.add(app, "manage", "referrals.appeals", _l("Appeals"), order=40)
    slots.add(app, "case_page.panels", "routing/_forward.html", order=20)
    slots.add(app, "case_page.panels", "routing/referral_action.html", order=30)
    slots.add(app, "case_page.panels", "routing/_appeal.html", order=40)
    slots.add(app, "callback_visit.unsatisfied", "routing/_appeal.html")
    seeds.add_seed(app, referrals.seed_referral_directory)
    seeds.add_seed(app, services.seed_routing_rules)
    rest.add_openapi(app, api_doc.PATHS, api_doc.SCHEMAS)
