"""An app with the intake blueprints (registered here until create_app does), categories and
the default suggestion rules seeded."""

import pytest

from hotline import accounts
from hotline.extensions import csrf, db
from hotline.models import Role
from hotline.seeds import seed_categories
from intake.suggestion_rules import seed_suggestion_rules


def register_intake(app):
    from intake.api import bp as api_bp
    from intake.views import bp as views_bp

    if "intake" not in app.blueprints:
        app.register_blueprint(views_bp, url_prefix="/intake")
    if "intake_api" not in app.blueprints:
        app.register_blueprint(api_bp, url_prefix="/api/v1")
        csrf.exempt(api_bp)


@pytest.fixture
def app(app_factory):
    app = app_factory()
    register_intake(app)
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
