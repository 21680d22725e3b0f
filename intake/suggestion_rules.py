"""Suggestion rules in the database (the supervisors' overrides of the classifier): editing
them, and suggesting with them.

The method itself lives in intake.suggest (pure); this module feeds it the rows.
"""

import re
from dataclasses import replace

from sqlalchemy import select

from hotline import audit
from hotline.extensions import db
from hotline.models import Category, CategoryGroup, ReferralEntry, SuggestionRule, SuggestionTarget
from intake.suggest import Rule, default_rules, keyword_list, suggest

KINDS = ("complaint", "report", "consultation")
REFERRAL_KEY = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
TARGET_ORDER = list(SuggestionTarget)
# A rule's limits, as the console's form and the API take them (intake.views.RuleForm, intake/api.py).
MAX_VALUE, MAX_KEYWORDS, MAX_WEIGHT, MAX_POSITION = 32, 20_000, 100, 100_000


def seed_suggestion_rules():
    """Seed nothing: the shipped default word lists are the classifier's features now, and the
    rules in the database are the supervisors' overrides only (docs/SUGGESTIONS.md).

    Rows that are unedited copies of the defaults (seeded before the classifier; never saved by
    anyone) are deleted: as overrides they would outvote the model on every common word ("手机",
    "银行"). Rules a supervisor saved are kept. Returns 0 (rows added).
    """
    defaults = {(r.target, r.value, r.keywords, r.weight, r.active) for r in default_rules()}
    unedited = db.session.scalars(select(SuggestionRule).where(SuggestionRule.updated_by_id.is_(None)))
    for row in unedited:
        if (str(row.target), row.value, row.keywords, row.weight, row.active) in defaults:
            db.session.delete(row)
    db.session.flush()
    return 0


def all_rules():
    """Every rule, grouped by target, in position order."""
    rows = db.session.scalars(select(SuggestionRule).order_by(SuggestionRule.position, SuggestionRule.id))
    grouped = {target: [] for target in TARGET_ORDER}
    for row in rows:
        grouped[row.target].append(row)
    return grouped


def _active_rows():
    return db.session.scalars(
        select(SuggestionRule).where(SuggestionRule.active.is_(True))
        .order_by(SuggestionRule.position, SuggestionRule.id)
    ).all()


def active_rules():
    """The rules the suggestion uses now, as plain values."""
    return [_plain(row) for row in _active_rows()]


def _plain(row):
    return Rule(target=str(row.target), value=row.value, keywords=row.keywords or "",
                weight=row.weight or 0, position=row.position or 0, active=row.active)


def draft_rules(rule, changes):
    """The active rules as they would be with `rule` (None: a new one) changed, for "try it"."""
    others = [_plain(row) for row in _active_rows() if rule is None or row.id != rule.id]
    base = _plain(rule) if rule is not None else Rule(target="", value="", keywords="")
    draft = replace(base, **{k: str(v) if k == "target" else v for k, v in changes.items()})
    return others + ([draft] if draft.active else [])


def suggestion_for(text, rules=None):
    """The suggestion for `text` as data for the API and the intake form (see describe)."""
    return describe(suggest(text, active_rules() if rules is None else rules))


def describe(suggestion):
    """A suggestion with category names looked up, in the shape POST /api/v1/suggest returns."""
    kind, referral = suggestion.kind, suggestion.referral
    names = _names(suggestion)
    return {
        "kind": {"value": kind.value, **_why(kind, "value", names=None)},
        "category": _category(suggestion.category, names),
        "problem_type": _category(suggestion.problem, names),
        "referral": referral and _referral(referral),
        "in_scope": suggestion.in_scope,
    }


def _referral(choice):
    """The suggested agency by its directory key, with its names and number for the screen (a key
    such as "court" is a code, not words for the operator)."""
    keys = {choice.value, *(value for value, _score in choice.alternatives if value)}
    entries = {e.key: e for e in db.session.scalars(select(ReferralEntry).where(ReferralEntry.key.in_(keys)))}
    why = _why(choice, "key", names=None)
    for alternative in why["alternatives"]:
        alternative.update(_agency(entries.get(alternative["key"])))
    return {"key": choice.value, **_agency(entries.get(choice.value)), **why}


def _agency(entry):
    return {"agency_zh": entry.agency_zh if entry else None, "agency_en": entry.agency_en if entry else None,
            "hotline": entry.hotline if entry else None}


def _names(suggestion):
    """code -> Category for every code the suggestion names, in one query."""
    codes = {code for choice in (suggestion.category, suggestion.problem) if choice
             for code in (choice.value, *(value for value, _score in choice.alternatives)) if code}
    if not codes:
        return {}
    return {row.code: row for row in db.session.scalars(select(Category).where(Category.code.in_(codes)))}


def _why(choice, key, names):
    return {
        "score": choice.score,
        "source": choice.source,
        "keywords": list(choice.matched),
        "reason": choice.reason,
        "alternatives": [{key: value, **(_named(value, names) if names is not None else {}), "score": score}
                         for value, score in choice.alternatives],
    }


def _named(code, names):
    row = names.get(code) if code else None
    return {"name_zh": row.name_zh if row else None, "name_en": row.name_en if row else None}


def _category(choice, names):
    if choice is None:
        return None
    return {"code": choice.value, **_named(choice.value, names), **_why(choice, "code", names)}


def category_names():
    """code -> Category, to show rule values by name."""
    return {row.code: row for row in db.session.scalars(select(Category))}


def invalid_value(target, value):
    """Why `value` cannot be a value of `target`, or None when it can."""
    target = SuggestionTarget(target)
    if target is SuggestionTarget.KIND:
        return None if value in KINDS else "one of " + ", ".join(KINDS)
    if target is SuggestionTarget.REFERRAL:
        return None if REFERRAL_KEY.match(value or "") else "letters, digits, - or _ (at most 32)"
    groups = {SuggestionTarget.CATEGORY: (CategoryGroup.GOODS, CategoryGroup.SERVICES),
              SuggestionTarget.PROBLEM: (CategoryGroup.PROBLEM,)}[target]
    found = db.session.scalar(select(Category).where(
        Category.code == value, Category.group.in_(groups), Category.parent_id.is_not(None)))
    return None if found else "an existing category code of that group"


def clean_keywords(text):
    """One keyword a line, trimmed, without blanks or repeats (first spelling kept)."""
    seen, kept = set(), []
    for line in (text or "").splitlines():
        word = line.strip()
        key = keyword_list([word])
        if key and key[0] not in seen:
            seen.add(key[0])
            kept.append(word)
    return "\n".join(kept)


def snapshot(rule):
    """The audited fields of a rule."""
    return {"target": str(rule.target), "value": rule.value, "keywords": rule.keywords,
            "weight": rule.weight, "position": rule.position, "active": rule.active}


def save_rule(rule, user, changes, ip=None):
    """Create (rule None) or change a rule, recording who and what in the audit trail."""
    before = None if rule is None else snapshot(rule)
    if rule is None:
        rule = SuggestionRule()
        db.session.add(rule)
    for field, value in changes.items():
        setattr(rule, field, SuggestionTarget(value) if field == "target" else value)
    rule.keywords = clean_keywords(rule.keywords)
    rule.updated_by_id = getattr(user, "id", None)
    db.session.flush()
    audit.record(user, "suggestion_rule_changed", "suggestion_rule", rule.id, ip=ip,
                 before=before, after=snapshot(rule))
    return rule
