"""The second row of the top bar: work lists and supervisors' maintenance pages.

The core and each feature add their entries in init_app (`menu.add`), so the core never names
a feature's page. A link shows only when its view declares the user's role, so the menu can
never offer a page the role would be refused.
"""

from flask_babel import lazy_gettext as _l

SECTIONS = ("work", "manage")
_KEY = "hotline.menu"


def init_app(app):
    """The core's own entries; features add theirs in their init_app."""
    app.extensions[_KEY] = {section: [] for section in SECTIONS}
    add(app, "work", "calls.callback_requests", _l("Callback list"), order=30)
    add(app, "work", "dashboard.index", _l("Live wall"), order=50)
    add(app, "work", "reports.index", _l("Reports"), order=60)
    add(app, "work", "dashboard.my_figures", _l("My figures"), order=70)
    add(app, "manage", "calls.blocklist", _l("Block list"), order=70)
    add(app, "manage", "open311_admin.keys", _l("Open311 keys"), order=110)


def add(app, section, endpoint, label, order=100):
    """Offer `endpoint` under `section` ("work" or "manage"), placed by `order`."""
    entries = app.extensions[_KEY][section]
    if endpoint not in (e for _o, e, _l in entries):
        entries.append((order, endpoint, label))
        entries.sort(key=lambda entry: entry[0])


def entries(app, section):
    """(endpoint, label) of `section`, in order."""
    return [(endpoint, label) for _order, endpoint, label in app.extensions[_KEY][section]]


def links_for(role, view_functions, entries):
    """(endpoint, label) of the entries `role` may open."""
    found = []
    for endpoint, label in entries:
        view = view_functions.get(endpoint)
        if view is not None and role in (getattr(view, "allowed_roles", None) or ()):
            found.append((endpoint, label))
    return found
