"""Jinja filters and globals shared by every page."""

from flask import current_app
from flask_babel import get_locale

from hotline import access, phones
from hotline.timeutil import to_local


def register_template_helpers(app):
    # Who may see who filed a case: every page asks hotline.access, never decides itself.
    for helper in (access.can_see_identity, access.shown_change, access.history_values):
        app.add_template_global(helper)

    @app.template_filter("masked")
    def _masked(phone):
        return phones.mask(phone)

    @app.template_filter("localtime")
    def _localtime(moment, fmt="%Y-%m-%d %H:%M"):
        local = to_local(moment, current_app.config["HOTLINE_TIMEZONE"])
        return local.strftime(fmt) if local else ""

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale() or "zh"), "dev_tools": app.config["DEV_TOOLS"]}


# A feature that stores a field as a code says how the history shows it (routing's division
# codes read as place names), from its init_app: the console never imports the feature.
_FIELD_READERS = "hotline.field_readers"


def add_field_reader(app, field, reader):
    """Show `field`'s recorded values in a case's history as `reader(value)` (None: as stored)."""
    app.extensions.setdefault(_FIELD_READERS, {})[field] = reader


def field_reader(app, field):
    """The reader a feature registered for `field`, or None."""
    return app.extensions.get(_FIELD_READERS, {}).get(field)


# Display names of codes a feature defines (callback outcomes, case results, its jobs): the
# feature adds them from its init_app, the `coded` filter reads them beside the core's tables.
_LABELS = "hotline.labels"


def add_labels(app, table, mapping):
    """Show the codes of `table` ('result', 'callback', 'job', ...) by `mapping`'s (lazy) names."""
    app.extensions.setdefault(_LABELS, {}).setdefault(table, {}).update(mapping)


def labels_of(app, table):
    """What the features registered for `table` (empty if nothing)."""
    return app.extensions.get(_LABELS, {}).get(table, {})
