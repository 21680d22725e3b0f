"""Follow-up: clock escalation notices, callback visits (回访), satisfaction surveys and the
calendar and jobs pages. `init_app` is the whole wiring."""


def init_app(app):
    """Blueprints, receivers, jobs, CLI, template helpers, slots and OpenAPI parts of follow-up."""
    from flask_babel import lazy_gettext as _l

    from followup import (
        api,
        api_doc,
        callback_visit_views,
        callback_visits,
        cli,
        escalation,
        survey_views,
        surveys,
        views,
    )
    from hotline import events, menu, rest, slots, templating
    from hotline.deadlines import clocks
    from hotline.extensions import csrf
    from hotline.jobs.scheduler import register_job
    from hotline.models import Role

    app.register_blueprint(views.bp, url_prefix="/followup")
    app.register_blueprint(callback_visit_views.bp, url_prefix="/followup/callbacks")
    app.register_blueprint(survey_views.bp, url_prefix="/followup/surveys")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF does not apply
    rest.add_openapi(app, api_doc.PATHS, api_doc.SCHEMAS)
    events.status_changed.connect(surveys.on_status_changed, sender=app)
    events.status_changed.connect(callback_visits.on_status_changed, sender=app)
    # A survey answer is offered before routing's appeal word: "不满意" to an open survey is a
    # score, not an appeal. create_app calls followup.init_app before routing.init_app for this.
    events.sms_received.connect(surveys.on_sms_received, sender=app)
    # Each count a run returns, as the jobs page reads it (hotline.jobs.results).
    register_job("callback-visits", callback_visits.callback_visits_job, 300, words={
        "due": _l("%(n)s visits due"), "unreachable": _l("%(n)s closed as unreachable"),
        "cancelled": _l("%(n)s cancelled (case reopened)")})
    register_job("surveys", surveys.surveys_due, 60, words={
        "sent": _l("%(n)s surveys sent"), "closed": _l("%(n)s closed unanswered")})
    register_job("clock-sweep", escalation.sweep, 60, words={
        "warned": _l("%(n)s time limits due within a working day"), "overdue": _l("%(n)s newly overdue"),
        "sms": _l("%(n)s SMS to department leads")})
    app.cli.add_command(cli.followup_cli)
    for helper in (
        views.case_clocks,
        clocks.acceptance_due,  # the clock panel's deadline for a case still undecided
        views.clock_notices,
        views.clock_kind_label,
        views.clock_state_label,
        views.clock_is_late,
        views.may_change_clock,  # the panel's pause and resume buttons
        callback_visit_views.case_callback_visit,
        callback_visit_views.callback_visit_label,
        survey_views.case_survey,
        survey_views.survey_labels,
    ):
        app.add_template_global(helper)
    # What the case timeline and the jobs page show for follow-up's codes (hotline.templating).
    templating.add_labels(
        app, "callback", {**callback_visit_views.OUTCOME_LABELS, **callback_visit_views.STATUS_LABELS}
    )
    templating.add_labels(app, "survey", survey_views.STATUS_LABELS)
    templating.add_labels(app, "clock", views.KIND_LABELS)
    app.add_template_global(clocks.MAX_PAUSE_REASON, "max_pause_reason")  # the pause box's maxlength
    templating.add_labels(
        app,
        "job",
        {
            "callback-visits": _l("Callback visits due"),
            "surveys": _l("Satisfaction surveys due"),
            "clock-sweep": _l("Time limit warnings"),
        },
    )
    # Operators make callback visits all day: in the bar itself for them (hotline.menu).
    menu.add(
        app, "work", "callback_visits.index", _l("Callback visits"), order=40, pinned_for=(Role.OPERATOR,)
    )
    menu.add(app, "manage", "followup.calendar", _l("Working-day calendar"), order=80)
    menu.add(app, "manage", "followup.jobs", _l("Scheduler jobs"), order=90)
    menu.add(app, "manage", "surveys.index", _l("Satisfaction surveys"), order=100)
    slots.add(app, "case_page.panels", "followup/_clocks.html", order=60)
    slots.add(app, "case_page.panels", "followup/_callback_visit.html", order=70)
    slots.add(app, "case_page.panels", "followup/_survey.html", order=80)
    slots.add(app, "queue.notices", "followup/_notices.html")
