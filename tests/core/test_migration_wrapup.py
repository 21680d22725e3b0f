"""Migration 0009 adds the wrap-up reason to calls and takes it away again."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from hotline.extensions import db


def test_wrapup_reason_column_comes_and_goes(bare_app):
    app = bare_app
    with app.app_context():
        try:
            upgrade(revision="0009")
            added = {c["name"] for c in inspect(db.engine).get_columns("contacts")}
            downgrade(revision="0008")
            removed = {c["name"] for c in inspect(db.engine).get_columns("contacts")}
        finally:
            db.session.rollback()
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.create_all()
    assert "wrapup_reason" in added and "wrapup_ended_at" in added
    assert "wrapup_reason" not in removed and "wrapup_ended_at" in removed
