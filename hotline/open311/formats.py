"""GeoReport v2 wire formats, pure: JSON and the schemaless XML the spec shows, W3C datetimes,
and attribute[code] form keys. No Flask, no database."""

import json
import re
from datetime import UTC
from xml.etree import ElementTree

from hotline import inputs

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# XML wraps each list in its plural element and each item in the singular one.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element, value):
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ElementTree.SubElement(element, name), inner)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEM_TAGS[element.tag]), item)
    else:
        element.text = _text(value)


def to_xml(root, data):
    """`data` (a list of items, or one object) under the element `root`, as the spec's XML."""
    element = ElementTree.Element(root)
    _fill(element, data)
    body = ElementTree.tostring(element, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def render(fmt, root, data):
    """(body, content type) of `data` in `fmt`; JSON is the XML's children with the root dropped."""
    if fmt == "xml":
        return to_xml(root, data), CONTENT_TYPES["xml"]
    return json.dumps(data, ensure_ascii=False), CONTENT_TYPES["json"]


def errors(fmt, code, *descriptions):
    """The spec's error list: [{"code", "description"}, ...]."""
    return render(fmt, "errors", [{"code": code, "description": text} for text in descriptions])


def parse_datetime(raw):
    """A W3C datetime (2010-01-01T00:00:00Z, an offset, or a bare date) as naive UTC; ValueError if not one."""
    text = (raw or "").strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", text):
        raise ValueError(f"not a W3C datetime: {raw!r}")
    moment = inputs.parse_datetime(text)
    if moment is None:
        raise ValueError(f"not a W3C datetime in {inputs.DATE_MIN.year}..{inputs.DATE_MAX.year}: {raw!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def format_datetime(moment_local):
    """An aware local datetime as W3C text with its offset (2026-11-24T18:00:00+08:00)."""
    return moment_local.isoformat(timespec="seconds") if moment_local else None


def attribute_values(items):
    """{code: value or [values]} from posted (key, value) pairs named attribute[code] or attribute[code][]."""
    found = {}
    for key, value in items:
        match = ATTRIBUTE_KEY.match(key)
        if not match:
            continue
        code, many = match.groups()
        if many:
            found.setdefault(code, [])
            if isinstance(found[code], list):
                found[code].append(value)
        else:
            found[code] = value
    return found
