"""The pure wire-format helpers: XML shapes, W3C datetimes, attribute[code] keys."""

from datetime import datetime
from xml.etree import ElementTree

import pytest

from hotline.open311 import formats


def _root(body):
    return ElementTree.fromstring(body.split("\n", 1)[1])  # noqa: S314 (our own XML)


def test_xml_wraps_lists_in_the_spec_element_names():
    body = formats.to_xml("services", [{"service_code": "G01", "metadata": True, "group": None}])
    root = _root(body)
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert root.tag == "services"
    service = root.find("service")
    assert service.findtext("service_code") == "G01"
    assert service.findtext("metadata") == "true"
    assert service.find("group") is not None and service.findtext("group") == ""


def test_nested_attribute_values_and_errors():
    root = _root(formats.to_xml("service_definition", {
        "service_code": "S04",
        "attributes": [{"code": "q", "values": [{"key": "yes", "name": "Yes"}]}],
    }))
    assert root.find("attributes/attribute/values/value/key").text == "yes"
    body, content_type = formats.errors("xml", 400, "service_code was not provided")
    error = _root(body).find("error")
    assert (error.findtext("code"), error.findtext("description")) == ("400", "service_code was not provided")
    assert content_type == "text/xml; charset=utf-8"
    assert formats.errors("json", 404, "x") == ('[{"code": 404, "description": "x"}]', "application/json; charset=utf-8")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2010-01-01T00:00:00Z", datetime(2010, 1, 1)),
    ("2010-01-01T08:00:00+08:00", datetime(2010, 1, 1)),
    ("2010-01-01", datetime(2010, 1, 1)),
    ("2010-01-01T12:30", datetime(2010, 1, 1, 12, 30)),
])
def test_w3c_datetimes_become_naive_utc(raw, expected):
    assert formats.parse_datetime(raw) == expected


@pytest.mark.parametrize("raw", ["", "yesterday", "2010-13-01T00:00:00Z", "01-02-2010", "2010-01-01T00:00:00Zjunk"])
def test_other_text_is_not_a_datetime(raw):
    with pytest.raises(ValueError):
        formats.parse_datetime(raw)


def test_attribute_keys():
    items = [("attribute[a]", "1"), ("attribute[m][]", "x"), ("attribute[m][]", "y"), ("api_key", "k"),
             ("attribute[]", "no code"), ("attribute[a][b]", "nested")]
    assert formats.attribute_values(items) == {"a": "1", "m": ["x", "y"]}
