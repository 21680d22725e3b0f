"""Migration 0008 gives the free-text regions of existing rules and cases their division codes."""

from flask_migrate import downgrade, upgrade

from hotline.extensions import db


def test_existing_region_texts_get_division_codes(bare_app):
    app = bare_app
    with app.app_context():
        try:
            upgrade(revision="0004")
            sql = db.text
            db.session.execute(sql(
                "INSERT INTO routing_rules (id, position, name, active, region, action, version, created_at, updated_at) VALUES "
                "(1, 1, 'dongcheng', true, '东城区', 'auto', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
                "(2, 2, 'beijing', true, '北京', 'ask', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
                "(3, 3, 'odd', true, '城东片区', 'auto', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for n, region in enumerate(["北京市海淀区", "海淀区", None, "某某地方"], start=1):
                db.session.execute(sql(
                    "INSERT INTO tickets (id, number, status, kind, channel, respondent_region, version, anonymous, "
                    "confidential, identity_level, return_count, reopen_count, created_at, updated_at) VALUES "
                    "(:id, :number, 'new', 'complaint', 'voice', :region, 1, false, false, 'none', 0, 0, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"), {"id": n, "number": f"20261203-0000{n}", "region": region})
            db.session.commit()
            upgrade(revision="0008")
            rules = dict(db.session.execute(sql("SELECT name, division FROM routing_rules")).all())
            cases = dict(db.session.execute(sql("SELECT id, respondent_division FROM tickets")).all())
            texts = dict(db.session.execute(sql("SELECT name, region FROM routing_rules")).all())
            db.session.commit()
            downgrade(revision="0004")  # and back: the columns go, the texts stay
            kept = db.session.execute(sql("SELECT region FROM routing_rules ORDER BY id")).scalars().all()
        finally:
            db.session.rollback()
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.create_all()
    assert rules == {"dongcheng": "110101", "beijing": "110000", "odd": None}
    assert texts["dongcheng"] == "东城区"  # the text stays, for display and the old text match
    assert cases == {1: "110108", 2: "110108", 3: None, 4: None}
    assert kept == ["东城区", "北京", "城东片区"]
