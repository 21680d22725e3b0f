"""The top bar's menus: work lists, figures and supervisors' maintenance pages.

The core and each feature add their entries in init_app (`menu.add`), so the core never names
a feature's page. A link shows only when its view declares the user's role, so the menu can
never offer a page the role would be refused.

Each section is one drop-down menu of the top bar (Work, Statistics, Manage), so a supervisor's
two dozen pages fit a 1280 px screen in either language. An entry a role uses all day is pinned
for that role (`pinned_for`): it sits in the bar itself, one click away, beside its section's
menu. A section left with a single entry for a role shows it as a plain link (a menu of one
would only add a click). docs/DECISIONS.md, "The top bar's menus".
"""

from collections import namedtuple

from flask_babel import lazy_gettext as _l

from hotline.models import Role

SECTIONS = ("work", "reports", "manage")
_KEY = "hotline.menu"

Entry = namedtuple("Entry", "order endpoint label pinned_for element_id")
# What base.html draws, in order: a plain link, or a drop-down menu of links.
# `menu` tells them apart (templates may not ask "is defined": tests/core/test_slots.py).
Link = namedtuple("Link", "endpoint label element_id menu", defaults=(False,))
Menu = namedtuple("Menu", "section label links menu", defaults=(True,))


def section_labels():
    return {"work": _l("Work"), "reports": _l("Statistics"), "manage": _l("Manage")}


def init_app(app):
    """The core's own entries; features add theirs in their init_app."""
    app.extensions[_KEY] = {section: [] for section in SECTIONS}
    add(app, "work", "calls.callback_requests", _l("Callback list"), order=30, pinned_for=(Role.OPERATOR,))
    add(app, "work", "outbox.failed", _l("Failed messages"), order=90, element_id="nav-failed")
    add(app, "reports", "dashboard.index", _l("Live wall"), order=10)
    add(app, "reports", "reports.index", _l("Reports"), order=20)
    add(app, "reports", "dashboard.my_figures", _l("My figures"), order=30)
    add(app, "manage", "calls.blocklist", _l("Block list"), order=70)
    add(app, "manage", "open311_admin.keys", _l("Open311 keys"), order=110)


def add(app, section, endpoint, label, order=100, pinned_for=(), element_id=None):
    """Offer `endpoint` in `section`'s menu ("work", "reports" or "manage"), placed by `order`;
    for the roles in `pinned_for` it sits in the bar itself. `element_id`: the link's id, for
    a link that had one before it moved into a menu."""
    entries = app.extensions[_KEY][section]
    if endpoint not in (e.endpoint for e in entries):
        entries.append(Entry(order, endpoint, label, frozenset(pinned_for), element_id))
        entries.sort(key=lambda entry: entry.order)


def entries(app, section):
    """(endpoint, label) of `section`, in order."""
    return [(e.endpoint, e.label) for e in app.extensions[_KEY][section]]


def _allowed(role, view_functions, endpoint):
    view = view_functions.get(endpoint)
    return view is not None and role in (getattr(view, "allowed_roles", None) or ())


def links_for(role, view_functions, entries):
    """(endpoint, label) of the entries `role` may open."""
    return [(endpoint, label) for endpoint, label in entries if _allowed(role, view_functions, endpoint)]


def bar_for(app, role):
    """What the top bar shows `role` after its fixed links, in order: Link and Menu items.

    Per section, the role's pinned entries come first as links, then the menu of the rest (a
    plain link when only one is left)."""
    labels = section_labels()
    items = []
    for section in SECTIONS:
        allowed = [e for e in app.extensions[_KEY][section] if _allowed(role, app.view_functions, e.endpoint)]
        pinned = [e for e in allowed if role in e.pinned_for]
        rest = [e for e in allowed if role not in e.pinned_for]
        items += [Link(e.endpoint, e.label, e.element_id) for e in pinned]
        if len(rest) == 1:
            items.append(Link(rest[0].endpoint, rest[0].label, rest[0].element_id))
        elif rest:
            items.append(
                Menu(section, labels[section], [Link(e.endpoint, e.label, e.element_id) for e in rest])
            )
    return items
