"""What a request may carry: one set of rules for numbers and text on every route.

Python's own parsers are too generous for a web boundary: `int()` and `Decimal()` take any
script's digits ('٣' is 3), underscores ('1_0') and numbers of any size, and `str.isdigit()`
says yes to '²', which `int()` then refuses. A number that reaches the database too large for
its column is a 500 on PostgreSQL (and an OverflowError on SQLite), and a NUL byte in any
text is refused by PostgreSQL. So numbers are read here, ASCII digits within bounds only, and
every incoming text is checked once, before any view runs (`init_app`).

Twilio webhooks are the exception for text: a refused webhook is retried and refused again,
and the caller's message is lost, so their values are cleaned instead (docs/DECISIONS.md).
"""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, event
from sqlalchemy.orm import Session
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import ValidationError as FieldError

# Dates people and clients may name: wide enough for any purchase or report, narrow enough that
# a few days' or hours' arithmetic (report ranges, time zones) never leaves Python's years 1..9999.
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2999, 12, 31)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
INT_MAX = 2**31 - 1  # PostgreSQL `integer`: every id and count column
MAX_PAGE = 100_000  # keeps OFFSET inside what both databases accept
_INT = re.compile(r"-?[0-9]{1,18}")  # fullmatch; [0-9] is ASCII, \d is not
_DECIMAL = re.compile(r"[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30}")
# Characters no stored text may hold: NUL (PostgreSQL refuses it), the other C0 controls but
# tab and line breaks, lone surrogates (cannot be encoded) and the two XML non-characters.
# Everything stored may end up in XML (TwiML, Open311 .xml), which forbids all of these.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Direction overrides, embeddings and isolates: in a name, U+202E makes what follows read right
# to left on every screen that shows it (a person or shop made to look like another). Names never
# need them; longer texts keep them (a pasted paragraph may carry a stray one). Invisible spaces
# (U+200B, U+2060, U+FEFF) too: a name made of them looks blank and matches no search.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
_FULL_WIDTH = {0xFF10 + n: ord("0") + n for n in range(10)} | {0xFF0E: ord(".")}
_FULL_WIDTH_SEPARATORS = {0xFF0D: ord("-"), 0xFF0F: ord("/")}  # a Chinese input method's － and ／
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputRefused(BadRequest):
    """A 400 whose description is written for the sender (the error page and the API show it)."""

    for_people = True


class FieldsRefused(InputRefused):
    """422 naming each refused field of a JSON body, as the API's own validation answers."""

    code = 422
    name = "validation failed"

    def __init__(self, fields):
        super().__init__("invalid fields: " + ", ".join(sorted(fields)))
        self.fields = fields


class NoSuchPath(InputRefused):
    """404 for a URL whose variable part holds what no stored name can: it names nothing."""

    code = 404


class TooLong(InputRefused):
    """A text longer than its column: PostgreSQL refuses it, SQLite would keep it; both refuse it here."""

    def __init__(self, table, column, limit):
        self.table, self.column, self.limit = table, column, limit
        if not has_request_context():
            super().__init__(f"{table}.{column} is longer than {limit} characters")
        elif _for_machines():
            super().__init__(f"{column} must be at most {limit} characters")
        else:
            super().__init__(_l("A value is too long: at most %(max)s characters.", max=limit))


# ---- numbers ---------------------------------------------------------------------------------


def parse_int(raw, low=0, high=INT_MAX):
    """`raw` (text of ASCII digits, or an int) as an int in [low, high]; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if not _INT.fullmatch(raw):
            return None
        raw = int(raw)
    if not isinstance(raw, int):
        return None
    return raw if low <= raw <= high else None


def id_of(raw):
    """A row id written in a URL or form (ASCII digits that fit an integer column), else ValueError."""
    value = parse_int(raw, 0, INT_MAX)
    if value is None:
        raise ValueError("not an id")
    return value


def coerce_id(raw):
    """A WTForms `coerce` for select fields holding row ids: None for blank, ValueError when not an id
    (WTForms then answers "not a valid choice" instead of querying with a number no column holds)."""
    if raw is None or raw == "" or raw == "None":
        return None
    return id_of(raw)


# A refusal for people names a query argument in words, never by its name in the address, which is
# English ("page 须为…" on a Chinese page, found 2026-12-06); API and Open311 clients get the name.
ARG_LABELS = {
    "page": _l("Page number"),
    "before": _l("Page number"),
    "hour": _l("Hour"),
    "weekday": _l("Day of the week"),
    "operator": _l("Operator"),
    "department": _l("Department"),
}
A_VALUE = _l("A value sent")


def shown_name(name):
    """How a refusal names the query argument or field `name` to whoever reads it."""
    return name if _for_machines() else ARG_LABELS.get(name, A_VALUE)


def int_arg(name, low=0, high=INT_MAX, default=None):
    """Query argument `name` as an int in [low, high]; `default` when absent or blank; 400 otherwise."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    value = parse_int(raw, low, high)
    if value is None:
        raise refused(_l("%(name)s must be a whole number from %(low)s to %(high)s."),
                      name=shown_name(name), low=low, high=high)
    return value


def page_arg(name="page"):
    """The page number of a list view: 1 when absent, 400 unless 1..MAX_PAGE."""
    return int_arg(name, 1, MAX_PAGE, default=1)


def parse_decimal(raw, precision, scale, low=Decimal(0)):
    """`raw` (ASCII text like '1299.50', an int or a finite float) as a Decimal rounded to `scale`
    places that fits NUMERIC(precision, scale), at least `low`; None for anything else
    (inf, nan, 1e308, '١٢', '1_0', huge ints). Minus zero is zero."""
    value = _to_decimal(raw)
    limit = Decimal(10) ** (precision - scale)  # exclusive: the column's largest is 9.99... below it
    if value is None or not value.is_finite() or not -limit < value < limit:
        return None
    value = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if not -limit < value < limit or value < low:
        return None
    return abs(value) if value == 0 else value


def max_decimal(precision, scale):
    """The largest value NUMERIC(precision, scale) holds (for messages and the OpenAPI document)."""
    return Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)


def parse_date(raw):
    """`raw` as a date written YYYY-MM-DD (ASCII) between DATE_MIN and DATE_MAX; None for anything else."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not _DATE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


# A date as people type it in a form: 2026-5-1, 2026/05/01, 2026.5.1, 2026年5月1日, 20260501.
_TYPED_DATE = re.compile(r"([0-9]{4})(?:[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?|([0-9]{2})([0-9]{2}))")


def parse_typed_date(raw):
    """A date typed into a console form, as parse_date's date: ISO, or the other ways operators
    write one (slashes, dots, 年月日, no separators; full-width digits). The forms' date boxes are
    text boxes, since a browser's own date box shows its own language's mm/dd/yyyy."""
    text = typed_digits(raw.strip()).translate(_FULL_WIDTH_SEPARATORS) if isinstance(raw, str) else ""
    found = _TYPED_DATE.fullmatch(text)
    if found is None:
        return None
    year, month, day = found[1], found[2] or found[4], found[3] or found[5]
    return parse_date(f"{year}-{int(month):02d}-{int(day):02d}")


def parse_datetime(raw):
    """`raw` as an ISO 8601 datetime (ASCII; offset optional) between DATE_MIN and DATE_MAX;
    None for anything else. An aware result stays aware."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text.isascii() or not _DATE.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Bounds on the written date: far enough inside 1..9999 that converting the offset is safe.
    return moment if DATE_MIN <= moment.date() <= DATE_MAX else None


def typed_digits(text):
    """People's typing as ASCII: a Chinese input method gives full-width digits and point
    ('１２９９．５'), which mean what they show; other scripts' digits are left to be refused."""
    return text.translate(_FULL_WIDTH)


def numeric_limits(column):
    """(precision, scale) of a Numeric model column, so bounds come from the schema itself."""
    return column.type.precision, column.type.scale


def _to_decimal(raw):
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw) if abs(raw) < 10**30 else None
    if isinstance(raw, float):
        return Decimal(repr(raw)) if abs(raw) < 1e30 else None  # inf and nan fail the comparison
    if isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
        return Decimal(raw.strip())
    return None


class WholeNumberField(IntegerField):
    """WTForms' IntegerField reading ASCII digits that fit an integer column; a NumberRange
    validator beside it still says which numbers the field wants."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = parse_int(valuelist[0], -INT_MAX, INT_MAX)
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))


class ChoicesField(SelectMultipleField):
    """WTForms' SelectMultipleField, refusing a value outside its choices with "Not a valid choice."
    in the reader's language. WTForms' own message ("'x' is not a valid choice for this field") is
    fuzzy in its Chinese catalogue, so a posted value no checkbox offers showed English on a Chinese
    page, quoting the value back (found 2026-12-06 on the webhook form)."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except FieldError as exc:
            raise FieldError(self.gettext("Not a valid choice.")) from exc


class IdConverter(IntegerConverter):
    """The `<int:...>` URL converter: ASCII digits that fit an integer column, else 404.

    Werkzeug's own takes any size, and `/x/99999999999999999999` then fails in the database."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value):
        number = parse_int(value, 0, INT_MAX)
        if number is None:
            raise ValidationError()
        return number


# ---- text ------------------------------------------------------------------------------------


def is_text(value):
    """Whether a string can be stored and written into XML as it is."""
    return _NOT_TEXT.search(value) is None


def is_name_field(name):
    """Fields that hold a name (a person's, a shop's, an account's): name, username, display_name,
    respondent_name, complainant_name …: refused with direction controls in them."""
    return name == "username" or name == "name" or name.endswith("_name")


def fits_field(name, value):
    """is_text, and no direction controls in a name field."""
    return is_text(value) and not (is_name_field(name) and _DIRECTION_CONTROLS.search(value))


def clean_text(value):
    """`value` without the characters `is_text` refuses."""
    return _NOT_TEXT.sub("", value)


def cleaned_multidict(values):
    """A MultiDict with every key and value passed through `clean_text`."""
    return ImmutableMultiDict([(clean_text(k), clean_text(v)) for k, v in values.items(multi=True)])


def _json_strings(body):
    """(top-level field, string) for every string, key or value, in a parsed JSON body; without
    recursion, so a body nested as deep as the parser allows cannot exhaust the stack here."""
    stack = [(k, item) for k, item in body.items()] if isinstance(body, dict) else [("body", body)]
    stack += [(k, k) for k in body] if isinstance(body, dict) else []
    while stack:
        field, item = stack.pop()
        if isinstance(item, str):
            yield field, item
        elif isinstance(item, dict):
            stack.extend((field, part) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((field, part) for part in item)


def _json_body():
    """The body parsed as JSON when it is some (whatever the Content-Type), else None.
    Parsed once: the view's own get_json() reads Werkzeug's cached result."""
    if request.mimetype in _FORM_TYPES or not request.content_length:
        return None
    try:
        return request.get_json(force=True, silent=False)
    except (BadRequest, RecursionError, ValueError):
        return None


def _non_text_fields():
    """(names in the query or form; top-level names in a JSON body) holding something `is_text` refuses."""
    found = []
    for source in (request.args, request.form):
        found += [name if is_text(name) else "?" for name, value in source.items(multi=True)
                  if not (is_text(name) and fits_field(name, value))]
    found += [name for name, upload in request.files.items(multi=True)
              if upload.filename and not is_text(upload.filename)]
    body = _json_body()
    in_body = {field if is_text(field) else "body" for field, value in _json_strings(body)
               if not fits_field(field, value)} if body is not None else set()
    return found, sorted(in_body)


def _for_machines():
    return request.path.startswith(("/api/", "/open311/"))


def refused(message, **values):
    """An InputRefused carrying `message` (a lazy_gettext string) translated for people, and in
    English for API and Open311 clients, whose other messages are English too."""
    if _for_machines():
        with force_locale("en"):
            return InputRefused(str(message) % values)
    return InputRefused(str(message) % values)


def _refuse_non_text():
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "cleans_text", False):
        return
    if any(isinstance(value, str) and not is_text(value) for value in (request.view_args or {}).values()):
        raise NoSuchPath(str(_l("No such page: the address holds characters that are not text.")))
    found, in_body = _non_text_fields()
    if request.path.startswith("/api/") and (found or in_body):  # the API's shape: 422 naming every field
        raise FieldsRefused({name: "must be text without NUL bytes or other control characters"
                             for name in [*found, *in_body]})
    if found:
        raise refused(_l("%(name)s holds characters that are not text (a NUL byte or another control character)."),
                      name=shown_name(found[0]))
    if in_body:  # a JSON body outside /api/ (none today): still named field by field
        raise FieldsRefused({name: "must be text without NUL bytes or other control characters" for name in in_body})


# ---- lengths ---------------------------------------------------------------------------------

_limits_by_mapper = {}


def _string_limits(mapper):
    """(attribute, column, length) of every String(n) column of a mapped class, computed once."""
    found = _limits_by_mapper.get(mapper)
    if found is None:
        found = _limits_by_mapper[mapper] = [
            (attr.key, column.name, column.type.length)
            for attr in mapper.column_attrs for column in attr.columns
            if isinstance(column.type, String) and column.type.length
        ]
    return found


def check_lengths(model, values):
    """The flush-time check below for a plain INSERT's values ({attribute: value}), which no
    flush sees."""
    for key, column, limit in _string_limits(model.__mapper__):
        value = values.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise TooLong(model.__tablename__, column, limit)


def _check_lengths(session, _context, _instances):
    """Refuse, on every database, a text longer than its column before it is written: the forms
    and APIs check their own fields with a message each, and this catches any path they miss,
    as a 400 instead of PostgreSQL's 500 (SQLite would have kept the text whole)."""
    for obj in (*session.new, *session.dirty):
        state = obj.__dict__
        for key, column, limit in _string_limits(type(obj).__mapper__):
            value = state.get(key)
            if isinstance(value, str) and len(value) > limit:
                raise TooLong(type(obj).__tablename__, column, limit)


def init_app(app):
    """Install the bounded `<int:>` converter (before any blueprint adds its rules), the text
    check on every request and the length check on every flush."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_non_text)
    if not event.contains(Session, "before_flush", _check_lengths):
        event.listen(Session, "before_flush", _check_lengths)
