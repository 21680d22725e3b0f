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
    st.integers(-(10**40), 10**40), st.sampled_from([10**400, -(10**400)]),
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

