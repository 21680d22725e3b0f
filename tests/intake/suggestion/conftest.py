"""An app with the categories and the default suggestion rules seeded."""

import pytest

from hotline import accounts
from hotline.extensions import db
from hotline.models import Role
from hotline.seeds import seed_categories
from intake.suggestion_rules import seed_suggestion_rules


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        seed_categories()
        seed_suggestion_rules()
        db.session.commit()
        yield app


@pytest.fixture
def bearer(make_user):
    """Authorization headers for a new user of `role`."""

    def headers(role=Role.OPERATOR):
        plain, _token = accounts.create_token(make_user(role=role), "test")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return headers
