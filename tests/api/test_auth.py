"""Who may use the API: bearer tokens, roles, departments."""

import pytest

from hotline.extensions import db
from hotline.models import ApiToken, Role
from hotline.timeutil import now

NEW_CASE = {"phone": "13812341234", "kind": "consultation", "facts": "怎么退货"}


def test_no_token_is_401_with_a_bearer_challenge(api):
    response = api.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"] == "Unauthorized"


@pytest.mark.parametrize("header", ["Bearer hl_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "hl_abc", "Bearer \u00e9\u00e9"])
def test_a_bad_token_is_401(api, header):
    response = api.get("/api/v1/tickets", headers={"Authorization": header})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_revoked_token_stops_working(api, make_user, token_for):
    user = make_user(role=Role.OPERATOR)
    plain = token_for(user)
    assert api.as_(plain).get("/api/v1/tickets").status_code == 200
    db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id)).revoked_at = now()
    db.session.commit()
    response = api.as_(plain).get("/api/v1/tickets")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_deactivated_users_token_stops_working(api, make_user, token_for):
    user = make_user(role=Role.SUPERVISOR)
    plain = token_for(user)
    user.active = False
    db.session.commit()
    assert api.as_(plain).get("/api/v1/tickets").status_code == 401


def test_a_token_records_its_last_use(api, make_user, token_for):
    user = make_user(role=Role.OPERATOR)
    api.as_(token_for(user)).get("/api/v1/tickets")
    db.session.expire_all()
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is not None


def test_anonymous_create_is_401_and_creates_nothing(api, create_ticket):
    response = api.post("/api/v1/tickets", json=NEW_CASE)
    assert response.status_code == 401


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_staff_roles_may_list_and_create(as_role, role):
    client = as_role(role)
    assert client.get("/api/v1/tickets").status_code == 200
    assert client.post("/api/v1/tickets", json=NEW_CASE).status_code == 201


def test_admins_neither_read_nor_open_cases(as_role, create_ticket):
    """Admins manage accounts: a case's content is none of their business (issue 13)."""
    ticket = create_ticket(facts="某商场销售假冒商品")
    client = as_role(Role.ADMIN)
    assert client.get("/api/v1/tickets").status_code == 403
    assert client.get(f"/api/v1/tickets/{ticket.number}").status_code == 403
    assert client.post("/api/v1/tickets", json=NEW_CASE).status_code == 403


def test_department_users_may_not_create(as_role, make_department):
    client = as_role(Role.DEPARTMENT, department=make_department())
    response = client.post("/api/v1/tickets", json=NEW_CASE)
    assert response.status_code == 403
    assert response.json["error"] == "Forbidden"
    assert client.get("/api/v1/tickets").json["total"] == 0


def test_department_users_see_only_their_departments_cases(as_role, make_department, create_ticket):
    ours, theirs = make_department("D01"), make_department("D02")
    mine = create_ticket(department=ours, facts="ours")
    other = create_ticket(department=theirs, facts="theirs")
    create_ticket(facts="not forwarded yet")
    client = as_role(Role.DEPARTMENT, department=ours)

    listed = client.get("/api/v1/tickets").json
    assert [item["number"] for item in listed["items"]] == [mine.number]
    assert listed["total"] == 1
    assert client.get(f"/api/v1/tickets/{mine.number}").status_code == 200
    response = client.get(f"/api/v1/tickets/{other.number}")
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"
    # Asking for another department by code does not widen the scope.
    assert client.get("/api/v1/tickets?department=D02").json["total"] == 0


def test_a_department_user_without_a_department_sees_nothing(as_role, create_ticket):
    create_ticket()
    assert as_role(Role.DEPARTMENT).get("/api/v1/tickets").json["total"] == 0


def test_a_named_reporters_identity_is_hidden_from_departments(as_role, make_department, create_ticket):
    from hotline.models import TicketKind

    dept = make_department()
    ticket = create_ticket(kind=TicketKind.REPORT, department=dept)
    ticket.caller.name = "张三"
    db.session.commit()
    seen_by_department = as_role(Role.DEPARTMENT, department=dept).get(f"/api/v1/tickets/{ticket.number}").json
    seen_by_operator = as_role(Role.OPERATOR).get(f"/api/v1/tickets/{ticket.number}").json
    assert seen_by_department["caller"]["name"] is None
    assert seen_by_operator["caller"]["name"] == "张三"


def test_every_api_view_declares_its_roles(app):
    views = {name: view for name, view in app.view_functions.items() if name.startswith("api.")}
    assert views, "no API views registered"
    assert getattr(views["api.openapi_document"], "is_public", False)
    assert views["api.create_ticket"].allowed_roles == frozenset({Role.OPERATOR, Role.SUPERVISOR})
    assert Role.DEPARTMENT in views["api.list_tickets"].allowed_roles
    for name, view in views.items():
        assert hasattr(view, "allowed_roles"), name


def test_a_signed_in_console_session_is_not_an_api_credential(client, make_user, login):
    # The API is CSRF-exempt, so a browser cookie must not authorise it.
    login(make_user(role=Role.OPERATOR))
    assert client.post("/api/v1/tickets", json=NEW_CASE).status_code == 401


def _api_routes(app):
    """(method, url) of every /api/v1 operation but the document itself, with sample arguments."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_document":
            continue
        url = rule.rule.replace("<number>", "20260101-00001")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_api_operation_refuses_without_a_token_in_the_one_shape(app, client):
    routes = list(_api_routes(app))
    assert len(routes) >= 9, routes  # the core's list, read and create, and the intake API's six
    for method, url in routes:
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (method, url)
        assert set(response.json) == {"error", "message"} and response.json["error"] == "Unauthorized", (method, url)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, url)


def test_every_api_operation_refuses_a_role_in_the_one_shape(app, client, make_user, token_for):
    plain = token_for(make_user(role=Role.DEPARTMENT))
    refused = 0
    for method, url in _api_routes(app):
        response = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {plain}"})
        if response.status_code == 403:
            refused += 1
            assert set(response.json) == {"error", "message"} and response.json["error"] == "Forbidden", (method, url)
    assert refused >= 5  # creating, suggesting and deciding are not a department's


def test_the_document_describes_the_one_refusal_shape(app):
    from hotline.api.openapi import document

    doc = document(app)
    for name in ("Unauthorized", "Forbidden"):
        assert doc["components"]["responses"][name]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if operation.get("security") == []:
                continue
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}, (path, method)
            assert operation["responses"]["403"] == {"$ref": "#/components/responses/Forbidden"}, (path, method)
