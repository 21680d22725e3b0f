"""Personal data cut out of free text before it leaves for anyone outside the hotline. Pure.

Cut: e-mail addresses; phone numbers however they are written (mobile, landline with its area
code in or out of brackets, +86 / 0086), in ASCII, full-width or Chinese-numeral digits (幺 too)
or a mix, in groups joined by spaces, dashes, dots, slashes or middle dots (a mobile number even
with a mark between every digit); resident ID numbers
(18 characters with a final X, or 15 digits); and, to be sure, any other run of 11 or more
digits: an order, card or account number is cut too, the price of never guessing wrong about a
phone number written some new way.
Kept: dates (2026-12-03, 2026/12/03 14:30), times, amounts (1,299.00 元, 12345678.50), numbers
of up to 10 digits, and our own case numbers (20261203-00012), which the public may see.
A local number written without its area code (8765 4321) is kept: it cannot be told from an
order or invoice number.
"""

import re
import unicodedata

REMOVED = "[removed]"
MIN_DIGITS = 11  # a mainland mobile number, and a landline with its area code, have 11 or 12

_D = r"[\d〇零一二三四五六七八九幺]"  # \d is any Unicode digit: ASCII, full-width, ...
_PUNCT = r"[-‐‑‒–—－.．/／·・]"
_SPACE = r"[ \t\u00a0\u3000]"
# Groups of digits joined by one punctuation mark (spaces around it allowed) or, between two
# groups of at least three digits, by a space: "2026-12-03 14:30" stays a date and a time.
_JOIN = rf"(?:{_SPACE}?{_PUNCT}{_SPACE}?|(?<={_D}{_D}{_D}){_SPACE}{{1,2}}(?={_D}{{3}}))"
_PREFIX = rf"(?:(?:\+|＋|00)\s?86{_SPACE}?[-－]?{_SPACE}?)?(?:[(（]{_SPACE}?{_D}{{2,4}}{_SPACE}?[)）]{_SPACE}?)?"
_NUMBER = re.compile(rf"(?<!{_D}){_PREFIX}{_D}+(?:{_JOIN}{_D}+)*(?:[XxＸｘ](?![A-Za-z]))?(?!{_D})")
# A mobile number spelt out with a space or mark between any digits: 1 3 9 1 2 3 4 5 6 7 8.
_SPACED_MOBILE = re.compile(
    rf"(?<!{_D})(?:(?:\+|＋|00)\s?86{_SPACE}?)?[1１一幺](?:(?:{_SPACE}|{_PUNCT})?{_D}){{10}}"
    rf"(?!(?:{_SPACE}|{_PUNCT})?{_D})"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+\s?[@＠]\s?[A-Za-z0-9\-]+(?:\s?[.．]\s?[A-Za-z0-9\-]+)+"
)
_CASE_NUMBER = re.compile(r"\d{8}-\d{5}")
_AMOUNT = re.compile(r"\d+[.．]\d{1,2}")
_DIGIT = re.compile(_D)


def scrub(text, keep=(), marker=REMOVED):
    """`text` with e-mail addresses, phone and ID numbers and long digit runs replaced by `marker`.
    `keep`: public numbers (a department's contact phone, which a notice tells the caller to
    ring) left as written, however they are written."""
    if not text:
        return text
    kept = frozenset(filter(None, map(_digits, keep)))

    def number(match):
        found = match.group()
        if _CASE_NUMBER.fullmatch(found) or _AMOUNT.fullmatch(found) or _digits(found) in kept:
            return found
        return marker if len(_DIGIT.findall(found)) >= MIN_DIGITS else found

    return _SPACED_MOBILE.sub(marker, _NUMBER.sub(number, _EMAIL.sub(marker, text)))


def _digits(text):
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch.isascii() and ch.isdigit())
