import pytest

from hotline.extensions import db


@pytest.fixture
def bare_app(app_factory, backend, tmp_path):
    """An app whose database holds no table and no alembic version, ready for `upgrade()`
    (a file on SQLite, so the migrations' own connections see what they built)."""
    overrides = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"} if backend == "sqlite" else {}
    app = app_factory(**overrides)
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    return app
