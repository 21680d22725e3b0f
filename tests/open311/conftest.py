"""Fixtures for Open311: seeded categories, an api key, and reading either format back
into one shape (XML lists become lists, leaves become text or None) so one check covers both."""

import json
from xml.etree import ElementTree

import pytest

from hotline.extensions import db
from hotline.open311 import services
from hotline.open311.formats import ITEM_TAGS
from hotline.seeds import seed_categories

BASE = "/open311/v2"
FORMATS = ["json", "xml"]


@pytest.fixture
def seeded(app):
    seed_categories()
    db.session.commit()


@pytest.fixture
def api_key(seeded):
    """A valid plain api_key (60 a minute)."""
    plain, _key = services.issue_key(None, "test client", 60)
    db.session.commit()
    return plain


def _element(element):
    children = list(element)
    if element.tag in ITEM_TAGS:
        return [_element(child) for child in children]
    if children:
        return {child.tag: _element(child) for child in children}
    return element.text


def read(response, fmt):
    """The body as Python data, after checking the spec's content type for `fmt`."""
    if fmt == "json":
        assert response.content_type == "application/json; charset=utf-8"
        return json.loads(response.get_data(as_text=True))
    assert response.content_type == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.get_data())  # noqa: S314 (our own XML)
    return _element(root) if root.tag in ITEM_TAGS else (root.tag, _element(root))


@pytest.fixture
def o311(client):
    """o311.get(path, fmt, **params) / o311.post(path, fmt, data) -> (response, data)."""

    class Open311:
        def get(self, path, fmt, **params):
            response = client.get(f"{BASE}/{path}.{fmt}", query_string=params)
            return response, read(response, fmt)

        def post(self, fmt, data):
            response = client.post(f"{BASE}/requests.{fmt}", data=data)
            return response, read(response, fmt)

    return Open311()


def errors_of(data):
    """[(code, description)] of an error answer in either format, codes as ints."""
    return [(int(e["code"]), e["description"]) for e in data]
