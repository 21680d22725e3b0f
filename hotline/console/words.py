"""A case's history in words: the names of the codes a history line holds (event kinds, statuses,
kinds, the codes features register), in the request's language. The case page's filters
(console.views) and the API's history labels (hotline.api) both read them here."""

from flask import current_app
from flask_babel import get_locale

from hotline import inputs, templating
from hotline.console import labels
from hotline.extensions import db
from hotline.models import Category, Department, User

# Fields whose recorded values are codes or ids (the rest are words as typed, or dates).
CODED_FIELDS = frozenset({"kind", "status", "identity_level", "category_id", "problem_type_id",
                          "assigned_to_id", "department_id"})


def coded(value, table):
    """A stored code as people read it, from the core's table (labels.CODED) or the names a
    feature registered (templating.add_labels): the console never imports the feature."""
    return labels.label({**labels.CODED.get(table, {}), **templating.labels_of(current_app, table)}, value)


def event_value(event):
    """What an event's to_value says, in words: its code's label, or a text's purpose."""
    table = labels.EVENT_VALUE.get(event.type)
    if table:
        return coded(event.to_value, table)
    if event.type == "notice" and (event.data or {}).get("purpose"):
        return f"{coded(event.data['purpose'], 'purpose')}: {event.to_value or ''}"
    return event.to_value


def field_value(value, field):
    """A recorded field value as people read it: category names, not ids; kinds by name."""
    if value in (None, ""):
        return value
    category_id = inputs.parse_int(str(value)) if field in ("category_id", "problem_type_id") else None
    if category_id is not None:
        category = db.session.get(Category, category_id)
        return category.name(str(get_locale())) if category else value
    if field == "kind":
        return labels.label(labels.KIND, value)
    if field == "status":
        return labels.label(labels.STATUS, value)
    person_id = inputs.parse_int(str(value)) if field == "assigned_to_id" else None
    if person_id is not None:  # people by name, never by id
        person = db.session.get(User, person_id)
        return person.display_name if person else value
    department_id = inputs.parse_int(str(value)) if field == "department_id" else None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        return department.name if department else value
    if field == "identity_level":
        return labels.label(labels.IDENTITY_LEVEL, value)
    reader = templating.field_reader(current_app, field)
    return (reader(value) or value) if reader else value


def value_label(event, value, which):
    """The words for an event's `which` ('from' or 'to') value as shown, when it is a code; None
    for a value withheld, a person's own words, a date or an identifier."""
    if value in (None, ""):
        return None
    if event.type == "status":
        return labels.label(labels.STATUS, value)
    if event.type == "created" and which == "to":
        return labels.label(labels.CHANNEL, value)
    if event.type == "field" and (event.field in CODED_FIELDS or templating.field_reader(current_app, event.field)):
        return str(field_value(value, event.field))
    table = labels.EVENT_VALUE.get(event.type)
    if table and which == "to":
        return coded(value, table)
    return None


def event_labels(event, shown_from, shown_to):
    """The words beside a history line's codes: its kind, its field, its coded values, its reason."""
    return {
        "label": labels.label(labels.EVENT, event.type),
        "field_label": labels.label(labels.FIELD, event.field) if event.field else None,
        "from_label": value_label(event, shown_from, "from"),
        "to_label": value_label(event, shown_to, "to"),
        "reason_label": labels.reason(event.reason) if event.reason else None,
    }
