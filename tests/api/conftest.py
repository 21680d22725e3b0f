"""API fixtures: bearer tokens per role, and a client that checks every response against the
OpenAPI document the API serves."""

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import select

from hotline import accounts, create_app
from hotline.api.openapi import document
from hotline.extensions import db
from hotline.models import AuditLog, Department, Role
from hotline.seeds import seed_categories
from tests.conftest import make_config


@pytest.fixture(scope="session")
def spec():
    return OpenAPI.from_dict(document(create_app(make_config("sqlite"))))


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request as the app saw it; its body was read already and only responses are checked."""

    @property
    def body(self):
        return None


class CheckedClient:
    """The test client, with a bearer token, failing the test on any response the document does not describe."""

    def __init__(self, client, spec, token=None):
        self.client, self.spec, self.token = client, spec, token

    def as_(self, token):
        return CheckedClient(self.client, self.spec, token)

    def open(self, method, path, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        # Read once here (openapi-core would swap the body for a copy without the app's close),
        # then closed as a server closes a sent response: what runs then (a token's touch) runs.
        body = response.get_data(as_text=True)
        assert response.status_code != 500, body
        self.spec.validate_response(_SentRequest(response.request), WerkzeugOpenAPIResponse(response))
        response.close()
        return response

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.open("PATCH", path, **kwargs)


@pytest.fixture
def api(client, spec):
    return CheckedClient(client, spec)


@pytest.fixture
def make_department(app):
    def create(code="D01", name="Market supervision office"):
        department = Department(code=code, name=name)
        db.session.add(department)
        db.session.commit()
        return department

    return create


@pytest.fixture
def token_for(app):
    def create(user, name="test"):
        plain, _token = accounts.create_token(user, name)
        db.session.commit()
        return plain

    return create


@pytest.fixture
def as_role(api, make_user, token_for):
    """A checked client acting as a new user of `role` (department users need a department)."""

    def make(role, department=None):
        return api.as_(token_for(make_user(role=role, department=department)))

    return make


@pytest.fixture
def operator_api(as_role):
    return as_role(Role.OPERATOR)


@pytest.fixture
def categories(app):
    seed_categories()
    db.session.commit()


@pytest.fixture
def admin_api(api, make_user, token_for):
    """A checked client of an admin ("boss"): the admin console's twins act as one."""
    return api.as_(token_for(make_user(role=Role.ADMIN, username="boss")))


def audit_entries(action):
    """The audit trail's entries of `action`, as the database has them now."""
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()
