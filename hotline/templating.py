"""Jinja filters and globals shared by every page."""

from flask import current_app
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _

from hotline import access, phones
from hotline.timeutil import to_local


def register_template_helpers(app):
    # Who may see who filed a case: every page asks hotline.access, never decides itself.
    for helper in (access.can_see_identity, access.shown_change, access.history_values, access.shown_summary,
                   access.shows_callers_words, access.knows_new_callers, access.sees_call_references):
        app.add_template_global(helper)

    @app.template_filter("masked")
    def _masked(phone):
        return phones.mask(phone)

    app.add_template_filter(duration, "duration")
    app.add_template_filter(word_list, "word_list")
    app.add_template_filter(percent, "percent")
    app.add_template_global(days_pattern)

    @app.template_filter("localtime")
    def _localtime(moment, fmt="%Y-%m-%d %H:%M"):
        local = to_local(moment, current_app.config["HOTLINE_TIMEZONE"])
        return local.strftime(fmt) if local else ""

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale() or "zh"), "dev_tools": app.config["DEV_TOOLS"]}


def word_list(items):
    """Words listed in a sentence: 商家、要求、退一赔三 in Chinese (the enumeration comma), not
    a Latin ", "."""
    return pgettext("between listed words", ", ").join(str(item) for item in items)


def days_pattern():
    """`duration`'s from-a-day-on pattern, translated but not filled in: the browser's timers
    (console.js) fill it in, so a wait that passes a day reads as the server writes it."""
    return _("%(days)d d %(hours)d h")


def duration(seconds):
    """Every duration the console shows, in one format (docs/DECISIONS.md, "Durations"): m:ss under
    an hour and h:mm:ss under a day, as call-centre screens and the call bar's timer count; from a
    day on, days and hours, because "232:00:55" is not read at a glance. None (nothing to measure)
    is a dash; fractions of a second are rounded."""
    if seconds is None:
        return "–"
    total = max(round(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(share):
    """Every rate the console shows, in one format: 70.0% (None, nothing to divide by: a dash)."""
    return "–" if share is None else f"{share * 100:.1f}%"


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
