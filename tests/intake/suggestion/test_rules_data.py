"""The shipped data: default rules cover every code, the labelled set is usable, seeding is idempotent."""

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import SuggestionRule
from hotline.seeds import GOODS, PROBLEMS, SERVICES
from intake.suggest import default_rules
from intake.suggestion_rules import seed_suggestion_rules

CASES = Path(__file__).resolve().parents[3] / "intake" / "data" / "labelled_cases.jsonl"
CATEGORY_CODES = {code for code, _zh, _en in GOODS + SERVICES}
PROBLEM_CODES = {code for code, _zh, _en in PROBLEMS}
KINDS = {"complaint", "report", "consultation"}
REFERRALS = {"12345", "12300", "12378", "12386", "12328", "12326", "12320", "12333", "12366", "12388",
             "110", "court"}


def test_default_rules_cover_every_category_problem_type_kind_and_referral():
    values = {(r.target, r.value) for r in default_rules() if r.weight > 0}
    assert {v for t, v in values if t == "category"} == CATEGORY_CODES
    assert {v for t, v in values if t == "problem"} == PROBLEM_CODES
    assert {v for t, v in values if t == "kind"} == KINDS
    assert {v for t, v in values if t == "referral"} == REFERRALS


def test_labelled_set_is_big_valid_and_split():
    rows = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 150
    assert len({row["text"] for row in rows}) == len(rows), "duplicate descriptions"
    for row in rows:
        assert row["text"].strip()
        assert row["kind"] in KINDS
        assert row["category"] is None or row["category"] in CATEGORY_CODES
        assert row["problem_type"] is None or row["problem_type"] in PROBLEM_CODES
        assert row["referral"] is None or row["referral"] in REFERRALS
    splits = Counter(row["split"] for row in rows)
    assert set(splits) == {"dev", "test"} and splits["test"] >= len(rows) // 4
    assert {row["category"] for row in rows} >= CATEGORY_CODES
    assert {row["kind"] for row in rows} == KINDS
    assert sum(row["referral"] is not None for row in rows) >= 20


def test_seeding_loads_the_defaults_once(app):
    count = db.session.scalar(select(func.count(SuggestionRule.id)))
    assert count == len(default_rules())
    assert seed_suggestion_rules() == 0
    assert db.session.scalar(select(func.count(SuggestionRule.id))) == count


def test_seeding_leaves_edited_rules_alone(app):
    rule = db.session.scalar(select(SuggestionRule).where(SuggestionRule.value == "G01"))
    rule.keywords = "只剩这个词"
    db.session.commit()
    seed_suggestion_rules()
    db.session.commit()
    assert db.session.get(SuggestionRule, rule.id).keywords == "只剩这个词"
