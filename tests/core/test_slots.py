"""Template slots (hotline/slots.py): a misspelt slot or partial fails here instead of silently
dropping a panel, and no template falls back to optional includes."""

import re
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from hotline import slots

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SLOT_CALL = re.compile(r"""slot\(\s*['"]([^'"]+)['"]\s*\)""")


def rendered_slots():
    """(template, slot name) for every slot('...') a template renders."""
    for path in sorted(TEMPLATES.rglob("*.html")):
        for name in SLOT_CALL.findall(path.read_text(encoding="utf-8")):
            yield str(path.relative_to(TEMPLATES)), name


def test_every_registered_partial_exists(app):
    missing = []
    for name, partials in slots.filled(app).items():
        for partial in partials:
            try:
                app.jinja_env.get_template(partial)
            except TemplateNotFound:
                missing.append(f"{name}: {partial}")
    assert missing == []


def test_every_slot_a_template_renders_is_declared():
    found = list(rendered_slots())
    assert found, "no template renders a slot: the scan is broken"
    assert [(t, name) for t, name in found if name not in slots.SLOTS] == []


def test_every_declared_slot_is_rendered_and_filled(app):
    rendered = {name for _t, name in rendered_slots()}
    assert set(slots.SLOTS) - rendered == set()
    assert [name for name, partials in slots.filled(app).items() if not partials] == []


def test_filling_an_undeclared_slot_fails_at_start_up(app):
    with pytest.raises(slots.UnknownSlot):
        slots.add(app, "case_page.panel", "intake/_evidence.html")


def test_rendering_an_undeclared_slot_fails(app):
    with pytest.raises(slots.UnknownSlot):
        app.jinja_env.from_string("{% for p in slot('case_page.panel') %}{% endfor %}").render()


def test_partials_come_in_their_order_and_once(app):
    panels = slots.filled(app)["case_page.panels"]
    assert panels.index("intake/_decision.html") < panels.index("routing/_forward.html")
    assert panels.index("intake/_evidence.html") < panels.index("followup/_clocks.html")
    slots.add(app, "case_page.panels", "intake/_evidence.html", order=1)
    assert slots.filled(app)["case_page.panels"] == panels


@pytest.mark.parametrize("pattern", ["ignore missing", "is defined", "has_endpoint"])
def test_no_template_hides_a_missing_piece(pattern):
    offenders = [str(p.relative_to(TEMPLATES)) for p in sorted(TEMPLATES.rglob("*.html"))
                 if pattern in p.read_text(encoding="utf-8")]
    assert offenders == []
