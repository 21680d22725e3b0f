import pytest

from hotline.phones import InvalidPhone, mask, normalise


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("13812341234", "+8613812341234"), ("+86 138 1234 1234", "+8613812341234"), ("010-12345678", "+861012345678")],
)
def test_normalise(raw, e164):
    assert normalise(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "1" * 50, "12"])
def test_normalise_refuses_what_is_not_a_number(raw):
    with pytest.raises(InvalidPhone):
        normalise(raw)


def test_mask_shows_head_and_last_four():
    assert mask("+8613812341234") == "138****1234"
    assert mask("+861012345678") == "10****5678"
    assert mask(None) == ""


@pytest.mark.parametrize(("number", "masked"), [("+8612315", "***15"), ("+86123456", "****56"),
                                                ("+861234567", "*****67")])
def test_a_short_number_is_never_shown_whole_by_its_mask(number, masked):
    """The head-and-last-four mask of a 5- or 6-digit number was every digit (12315 read 122315)."""
    assert mask(number) == masked
