"""Template slots: named places in the core's pages that features fill with their partials.

A core template renders a slot where features may add something:

    {% for partial in slot('case_page.panels') %}{% include partial %}{% endfor %}

and a feature fills it in its `init_app`:

    slots.add(app, "case_page.panels", "intake/_evidence.html", order=50)

The partial is included like any template (it sees the page's variables, e.g. `ticket`), in
`order`. Only the slots declared below exist: filling an unknown slot raises at start-up, and
tests/core/test_slots.py fails when a template renders an undeclared slot or a registered
partial does not exist, so a misspelt name cannot silently drop a panel.
"""

# name -> what the page offers there (the variables a partial may use)
SLOTS = {
    "case_page.actions": "the case page (console/ticket.html), under its heading: buttons that open "
                         "a feature's form for the case; `ticket`",
    "case_page.panels": "the case page, under the actions: a feature's panel about the case "
                        "(decision, forwarding, referral, appeal, evidence, clocks, callback visit, "
                        "survey); `ticket`",
    "desk_case.panels": "the department desk's case page (routing/desk_ticket.html): panels beside "
                        "the result form; `ticket`",
    "ticket_row.status": "each row of a list of cases (console/_ticket_table.html), after the status "
                         "badge: a feature's marker for the case, e.g. what intake still needs; `t`",
    "queue.notices": "the top of the work queues (console index, department cases, the desk): "
                     "notices for the signed-in user",
    "callback_visit.unsatisfied": "the callback visit page (followup/callback_visit.html) when the "
                                  "complainant is not satisfied with a resolved case: what to offer "
                                  "(the appeal); `ticket`, `visit`",
}
_KEY = "hotline.slots"


class UnknownSlot(KeyError):
    """A feature filled, or a template rendered, a slot that SLOTS does not declare."""


def init_app(app):
    """Give the app its (empty) slots and the `slot(name)` template global."""
    app.extensions[_KEY] = {name: [] for name in SLOTS}

    def slot(name):
        if name not in SLOTS:
            raise UnknownSlot(name)
        return [template for _order, template in app.extensions[_KEY][name]]

    app.jinja_env.globals["slot"] = slot


def add(app, name, template, order=100):
    """Fill slot `name` of `app` with the partial `template`, placed by `order` (ties: first added
    first). Adding the same partial twice keeps one."""
    if name not in SLOTS:
        raise UnknownSlot(name)
    filled = app.extensions[_KEY][name]
    if template not in (t for _o, t in filled):
        filled.append((order, template))
        filled.sort(key=lambda entry: entry[0])


def filled(app):
    """{slot name: [template, ...]} as registered on `app` (for the tests and the docs)."""
    return {name: [t for _o, t in entries] for name, entries in app.extensions[_KEY].items()}
