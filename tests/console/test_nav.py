"""The top bar offers each role exactly the work lists and maintenance pages it may open."""

import pytest

from hotline.models import Role


def nav_targets(html):
    import re

    return set(re.findall(r'data-testid="nav-([a-z_]+\.[a-z_]+)"', html))


@pytest.mark.parametrize("role", list(Role))
def test_every_link_in_the_menu_opens_for_that_role(app, client, make_user, login, role):
    login(make_user(role=role))
    targets = nav_targets(client.get("/search").get_data(as_text=True))
    for endpoint in targets:
        rule = next(app.url_map.iter_rules(endpoint))
        assert client.get(rule.rule).status_code == 200, (role, endpoint)


def test_supervisors_get_the_maintenance_pages_and_operators_do_not(client, make_user, login, app):
    login(make_user(role=Role.SUPERVISOR))
    assert {"routing.rules", "followup.calendar", "desk.index"} <= nav_targets(
        client.get("/search").get_data(as_text=True)
    )
    operator_client = app.test_client()
    operator = make_user(role=Role.OPERATOR)
    operator_client.post("/login", data={"username": operator.username, "password": "amber-otter-lantern-42"})
    targets = nav_targets(operator_client.get("/search").get_data(as_text=True))
    assert "routing.rules" not in targets and "desk.index" not in targets
    assert {"routing.triage", "calls.callback_requests"} <= targets


def test_the_bar_groups_a_supervisors_pages_and_keeps_an_operators_daily_lists_in_sight(app):
    """Issue 16.5: a supervisor's pages sit in three menus; an operator's callback lists are
    pinned to the bar, and a menu left with one entry is a plain link (a department sees links
    only; an operator's Work menu holds triage and the knowledge base)."""
    from hotline import menu

    supervisor = menu.bar_for(app, Role.SUPERVISOR)
    assert [item.section for item in supervisor] == ["work", "reports", "manage"]
    work = next(item for item in supervisor if item.section == "work")
    assert {"desk.index", "routing.triage", "outbox.failed"} <= {link.endpoint for link in work.links}
    assert next(link for link in work.links if link.endpoint == "outbox.failed").element_id == "nav-failed"

    operator = menu.bar_for(app, Role.OPERATOR)
    assert [getattr(item, "endpoint", None) or item.section for item in operator] == [
        "calls.callback_requests",
        "callback_visits.index",
        "work",  # triage and the knowledge base: a menu (the bar fits one row with the badge)
        "dashboard.my_figures",
    ]
    work = next(item for item in operator if isinstance(item, menu.Menu))
    assert [link.endpoint for link in work.links] == ["routing.triage", "knowledge.index"]
    assert [item.endpoint for item in menu.bar_for(app, Role.DEPARTMENT)] == ["desk.index"]
