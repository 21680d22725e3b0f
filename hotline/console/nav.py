"""The second row of the top bar: work lists and supervisors' maintenance pages.

A link shows only when its endpoint exists and declares the user's role, so the menu can
never offer a page the role would be refused.
"""

from flask_babel import lazy_gettext as _l

WORK = [
    ("desk.index", _l("Department desk")),
    ("routing.triage", _l("Triage")),
    ("calls.callback_requests", _l("Callback list")),
    ("callback_visits.index", _l("Callback visits")),
    ("dashboard.index", _l("Live wall")),
    ("reports.index", _l("Reports")),
    ("dashboard.my_figures", _l("My figures")),
]
MANAGE = [
    ("routing.rules", _l("Routing rules")),
    ("routing.departments", _l("Departments")),
    ("referrals.directory", _l("Referral directory")),
    ("referrals.appeals", _l("Appeals")),
    ("intake.rules", _l("Suggestion rules")),
    ("intake_decision.hot_respondents", _l("Hot respondents")),
    ("calls.blocklist", _l("Block list")),
    ("followup.calendar", _l("Working-day calendar")),
    ("followup.jobs", _l("Scheduler jobs")),
    ("surveys.index", _l("Satisfaction surveys")),
    ("open311_admin.keys", _l("Open311 keys")),
]


def links_for(role, view_functions, entries):
    """(endpoint, label) of the entries `role` may open."""
    found = []
    for endpoint, label in entries:
        view = view_functions.get(endpoint)
        if view is not None and role in (getattr(view, "allowed_roles", None) or ()):
            found.append((endpoint, label))
    return found
