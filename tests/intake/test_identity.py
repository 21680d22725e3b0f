from datetime import date

import pytest

from intake.identity import InvalidIdNumber, check_character, keyed_hash, mask, validate


def test_the_domain_example_is_valid_and_normalised():
    assert validate(" 11010519491231002x ") == "11010519491231002X"


def test_check_character_follows_iso_7064():
    assert check_character("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("110105194912310021", "check digit"),
        ("110105194902300028", "does not exist"),  # 30 February
        ("110105180001010015", "not possible"),  # before 1900
        ("11010519491231002", "18 characters"),
        ("01010519491231002X", "18 characters"),
        ("", "18 characters"),
    ],
)
def test_refusals_say_what_is_wrong(raw, why):
    with pytest.raises(InvalidIdNumber, match=why):
        validate(raw)


def test_a_birth_date_in_the_future_is_refused():
    number = "110105203001010000"
    number = number[:17] + check_character(number[:17])
    with pytest.raises(InvalidIdNumber, match="not possible"):
        validate(number, today=date(2026, 11, 24))


def test_mask_and_keyed_hash():
    assert mask("11010519491231002X") == "110105********002X"
    a, b = keyed_hash("11010519491231002X", "k1"), keyed_hash("11010519491231002X", "k2")
    assert a != b and len(a) == 64 and "11010519491231002X" not in a
