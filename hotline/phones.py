"""Phone numbers: normalise to E.164 and mask for display. Pure: no Flask, no session."""

import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalise(raw, region="CN"):
    """E.164 form of `raw` (e.g. '138 1234 5678' -> '+8613812345678'); InvalidPhone if it is not a number."""
    if not raw or len(raw) > 40:
        raise InvalidPhone("not a phone number")
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhone("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164):
    """The national significant number, the form people read (13812345678)."""
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in e164 or "" if ch.isdigit())


def mask(e164):
    """'+8613812341234' -> '138****1234': enough to recognise, not enough to dial."""
    if not e164:
        return ""
    digits = national_digits(e164)
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 9:  # a short number (12315, 123456): the head and last four would be all of it
        return "*" * (len(digits) - 2) + digits[-2:]
    head = digits[:3] if len(digits) >= 11 else digits[:2]
    return head + "*" * (len(digits) - len(head) - 4) + digits[-4:]
