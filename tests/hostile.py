"""What an attacker types, shared by the hostile-input tests: values, hypothesis strategies and
settings, and a snapshot of the database to prove that a refused request changed nothing.

The hypothesis settings are derandomized (the same examples on every run, so CI is
reproducible) with no example database, and bounded so each property test stays within a few
seconds per backend.
"""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Ticket

# Each was a 500 somewhere (hotline/inputs.py says why).
HUGE_INT = "99999999999999999999"
UNICODE_DIGITS = ["²", "٣", "１", "߁", "𝟙"]  # superscript, Arabic-Indic, full-width, NKo, maths
NUL = "\x00"
LONG = "x" * 3000
FAR_DATE = "9999-12-31T23:59:59-23:59"  # one hour past year 9999 in UTC
# Raw query-string bytes: not UTF-8, an overlong NUL, a lone surrogate encoded.
RAW_BYTES = ["%FF%FE", "%C0%80", "%ED%A0%80"]


def fuzz_settings(max_examples):
    return settings(
        max_examples=max_examples, deadline=None, derandomize=True, database=None, print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# Text with the characters that broke things: NUL and other controls, other scripts' digits.
_nasty_chars = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
    st.sampled_from(["\x00", "\x01", "\x0b", "\x1f", "\x7f", "\ufffe", "\u202e", *UNICODE_DIGITS]),
)
nasty_text = st.one_of(
    st.text(_nasty_chars, max_size=40),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "中", "\x00", "9"]), st.integers(0, 6000)),
)
number_text = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from([HUGE_INT, "1e308", "1e400", "nan", "inf", "-0", "1_0", " 12 ", "", "0x10", "１２", *UNICODE_DIGITS]),
    st.floats().map(repr),
)
# A JSON value of the wrong type or of a hostile size, for any field.
hostile_json = st.one_of(
    st.none(), st.booleans(),
    st.integers(-(10**40), 10**40), st.builds(pow, st.sampled_from([10, -10]), st.just(400)),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text, st.text(st.characters(), max_size=10),  # lone surrogates included: JSON can carry them
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def snapshot():
    """Row counts of every table, and the sum of case versions (an edit bumps one)."""
    db.session.expire_all()
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables}
    counts["tickets.version"] = db.session.scalar(select(func.coalesce(func.sum(Ticket.version), 0)))
    return counts


def changed(before, after):
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}



# The JSON Schema keywords the API's request schemas use; from_schema refuses any other that
# constrains values, so a schema it cannot honour fails loudly instead of fuzzing the wrong shape.
_NOTES = {"description", "default", "examples", "format"}
_HANDLED = {"type", "enum", "const", "minLength", "maxLength", "minimum", "maximum", "properties", "required",
            "additionalProperties", "maxProperties", "items", "pattern"} | _NOTES


def from_schema(schema):
    """Values valid for a (resolved, $ref-free) request schema of the API document."""
    unknown = set(schema) - _HANDLED
    if unknown:
        raise ValueError(f"from_schema cannot generate for {sorted(unknown)}")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", ["null", "boolean", "integer", "number", "string"])
    types = [types] if isinstance(types, str) else types
    return st.one_of([_typed(name, schema) for name in types])


def _typed(name, schema):
    low, high = schema.get("minimum"), schema.get("maximum")
    if name == "null":
        return st.none()
    if name == "boolean":
        return st.booleans()
    if name == "integer":
        return st.integers(None if low is None else int(low), None if high is None else int(high))
    if name == "number":
        return st.one_of(st.floats(low, high, allow_nan=False, allow_infinity=False),
                         st.integers(None if low is None else int(low), None if high is None else int(high)))
    if name == "string" and "pattern" in schema:  # a case number, a code's digits
        return st.from_regex(schema["pattern"], fullmatch=True)
    if name == "string":
        return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                       min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 200), 2000))
    if name == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if name == "object":
        props = {key: from_schema(sub) for key, sub in schema.get("properties", {}).items()}
        required = [key for key in schema.get("required", []) if key in props]
        fixed = st.fixed_dictionaries({k: props[k] for k in required},
                                      optional={k: v for k, v in props.items() if k not in required})
        extra = schema.get("additionalProperties", False)
        if not extra:
            return fixed
        more = st.dictionaries(st.text(max_size=10), from_schema(extra if isinstance(extra, dict) else {}),
                               max_size=min(schema.get("maxProperties", 5), 5))
        return st.builds(lambda a, b: {**b, **a}, fixed, more)
    raise ValueError(f"from_schema cannot generate type {name}")


def refused_unchanged(api, path, body, status, fields=None):
    """POST `body` (a dict as JSON, or raw str/bytes as they are); the answer is `status` naming
    exactly `fields`, and nothing in the database changed."""
    before = snapshot()
    if isinstance(body, str | bytes):
        response = api.post(path, data=body, content_type="application/json")
    else:
        response = api.post(path, json=body)
    assert response.status_code == status, response.json
    if fields is not None:
        assert set(response.json["fields"]) == set(fields), response.json
    assert not changed(before, snapshot())
    return response
