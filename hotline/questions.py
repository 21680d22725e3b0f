"""Category-specific intake questions: data, not code (Category.questions holds the live copy).

Each question: {"code", "zh", "en", "type": "text|date|yesno", "required": bool}. `required`
means a complaint cannot be saved ready for acceptance without an answer.
"""

import ast
import json

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Category

TYPES = ("text", "date", "yesno")

# Platform, seller and order number are columns of their own (the e-commerce section).
_ONLINE = [
    {"code": "contacted_platform", "zh": "是否已向平台客服投诉？", "en": "Did you complain to the platform's customer service?",
     "type": "yesno", "required": False},
]

DEFAULTS = {
    # Telecom disputes go to the regulator only after the operator had 15 days to answer (docs/DOMAIN.md).
    "S04": [
        {"code": "operator_first", "zh": "是否已先向运营商投诉？", "en": "Did you complain to the operator first?",
         "type": "yesno", "required": True},
        {"code": "operator_first_date", "zh": "何时向运营商投诉？", "en": "When did you complain to the operator?",
         "type": "date", "required": False},
    ],
    "S03": _ONLINE,
    "S09": [
        {"code": "card_issuer", "zh": "发卡经营者是谁？剩余金额多少？", "en": "Who issued the card, and how much is left on it?",
         "type": "text", "required": False},
    ],
    "S07": [
        {"code": "travel_agency", "zh": "是否签订旅游合同？", "en": "Was a travel contract signed?",
         "type": "yesno", "required": False},
    ],
    "S12": [
        {"code": "institution_first", "zh": "是否已向金融机构投诉？", "en": "Did you complain to the financial institution first?",
         "type": "yesno", "required": False},
    ],
}


def defaults_for(code):
    """The default questions for a category code (a copy: callers may change it)."""
    return [dict(q) for q in DEFAULTS.get(code, [])]


def questions_for(category):
    """The questions an operator asks for `category`: its own list, else the defaults."""
    if category is None:
        return []
    return list(category.questions) if category.questions is not None else defaults_for(category.code)


def seed_category_questions():
    """Give each default category its default questions unless a supervisor already set them."""
    rows = db.session.scalars(select(Category).where(Category.code.in_(DEFAULTS), Category.questions.is_(None)))
    seeded = 0
    for row in rows:
        row.questions = defaults_for(row.code)
        seeded += 1
    db.session.flush()
    return seeded


def label(question, locale):
    """The question in the operator's language."""
    return question.get("en") if locale == "en" else question.get("zh") or question.get("en")


def answers_in_words(stored, locale, yes_no):
    """A history line's recorded answers ({"operator_first": "yes", ...}, written as JSON; older
    lines as Python's repr) as "question: answer; ..." in `locale`; None when it is not a set of
    answers. `yes_no`: the words for yes and no."""
    try:
        answers = json.loads(stored)
    except (TypeError, ValueError):
        try:
            answers = ast.literal_eval(stored)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    if not isinstance(answers, dict):
        return None
    asked = {q["code"]: q for q in _all_questions()}
    parts = []
    for code, answer in answers.items():
        question = asked.get(code)
        shown = yes_no.get(answer, answer)
        parts.append(f"{label(question, locale) if question else code}：{shown}" if locale != "en"
                     else f"{label(question, locale) if question else code}: {shown}")
    return ("；" if locale != "en" else "; ").join(parts) or None


def _all_questions():
    """Every question any category asks now, and the defaults (an answer outlives a change of list);
    read once per request, however many history lines show answers."""
    from flask import has_request_context, request

    cache = request.environ if has_request_context() else {}
    if "hotline.all_questions" not in cache:
        found = [q for rows in db.session.scalars(select(Category.questions).where(Category.questions.is_not(None)))
                 for q in rows or []]
        cache["hotline.all_questions"] = [*(q for defaults in DEFAULTS.values() for q in defaults), *found]
    return cache["hotline.all_questions"]
