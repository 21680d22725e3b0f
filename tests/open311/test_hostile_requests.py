"""Open311 under hostile values: a GeoReport error (4xx) in the asked format, never a 500, and a
refused request stores nothing."""

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.hostile import FAR_DATE, HUGE_INT, NUL, changed, fuzz_settings, nasty_text, number_text, snapshot
from tests.open311.conftest import FORMATS

GOOD = {"service_code": "G01", "description": "空调不制冷", "address_string": "北京市朝阳区某路1号"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_name_longer_than_the_case_keeps_is_400(o311, api_key, fmt):
    before = snapshot()
    response, _data = o311.post(fmt, {**GOOD, "api_key": api_key, "first_name": "名" * 100, "last_name": "姓" * 100})
    assert response.status_code == 400  # was a 500 on PostgreSQL: "last first" did not fit 120 characters
    assert not changed(before, snapshot())


@pytest.mark.parametrize("params", [{"start_date": FAR_DATE}, {"end_date": "0001-01-01T00:00:00+23:59"},
                                    {"start_date": "9999-12-31"}, {"end_date": "٢٠٢٤-٠١-٠١"}])
def test_a_date_out_of_the_calendar_is_400(o311, seeded, params):
    response, _data = o311.get("requests", "json", **params)
    assert response.status_code == 400


@pytest.mark.parametrize("value", [NUL, "a\x01b"])
def test_a_control_character_in_a_request_is_400(o311, api_key, value):
    before = snapshot()
    response, data = o311.post("json", {**GOOD, "api_key": api_key, "description": "空调" + value})
    assert response.status_code == 400 and "NUL" in str(data)
    assert not changed(before, snapshot())


field_values = st.one_of(nasty_text, number_text, st.sampled_from([HUGE_INT, FAR_DATE, "G01", "P01", "yes"]))


@given(fields=st.dictionaries(
    st.sampled_from(["service_code", "description", "lat", "long", "address_string", "email", "device_id",
                     "account_id", "first_name", "last_name", "phone", "media_url", "attribute[problem_type]",
                     "attribute[x]", "jurisdiction_id"]),
    field_values, max_size=6))
@fuzz_settings(max_examples=40)
def test_any_posted_request_is_a_georeport_answer(o311, api_key, fields):
    before = snapshot()
    response, _data = o311.post("json", {**GOOD, **fields, "api_key": api_key})
    assert response.status_code < 500
    event(f"status {response.status_code}")
    after = snapshot()
    if response.status_code >= 400:
        assert not changed(before, after)
    else:
        assert after["tickets"] - before["tickets"] == 1
