"""Resident ID numbers (GB 11643-1999): check, mask, and a keyed hash for storage. Pure.

An ID number is personal data: the database keeps only a keyed hash (to recognise the same
person again) and the masked form, never the number in clear (docs/DOMAIN.md, "Privacy").
"""

import hashlib
import hmac
import re
from datetime import date

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: remainder -> check character
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


class InvalidIdNumber(ValueError):
    """Why an ID number was refused, in words an operator can read back to the caller."""


def check_character(first17):
    """The MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate(raw, today=None):
    """The normalised 18-character number, or InvalidIdNumber saying what is wrong."""
    number = (raw or "").strip().upper().replace(" ", "")
    if not _SHAPE.match(number):
        raise InvalidIdNumber("an ID number has 18 characters: 17 digits, then a digit or X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("the birth date in the ID number does not exist") from exc
    if born < date(1900, 1, 1) or born > (today or date.today()):
        raise InvalidIdNumber("the birth date in the ID number is not possible")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("the check digit does not match: a character was misheard or mistyped")
    return number


def mask(number):
    """'11010519491231002X' -> '110105********002X'."""
    return number[:6] + "*" * 8 + number[-4:] if number else ""


def keyed_hash(number, key):
    """HMAC-SHA256 of the number under the deployment's secret, so a stolen table reveals nothing."""
    return hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()
