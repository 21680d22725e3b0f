"""The suggested classification of a case from the words of its facts. Pure.

`suggest(text, rules)` is the one seam: it takes the text and the supervisors' rules and returns a
`Suggestion` (kind, category, problem type, referral), each a `Choice` with its value, score,
the words behind it and a readable reason.

Method: the text classifier (intake.classifier) ranks the values of every target; where one of the
supervisors' keyword rules matches (intake.keywords, the rules kept in the database), the rule wins
for its target: supervisors correct the model without retraining it. A referral needs the model
to be fairly sure (classifier.REFER_MIN): sending a consumer elsewhere by mistake loses them.
"""

from dataclasses import dataclass

from intake import classifier
from intake.keywords import (  # noqa: F401 (re-exported: the seam's callers know them from here)
    DEFAULT_KIND,
    TARGETS,
    Rule,
    default_rules,
    keyword_list,
    matches,
    normalise,
)

ALTERNATIVES = 3


@dataclass(frozen=True)
class Choice:
    value: str
    score: float  # confidence 0..1 (the model's); a supervisor's rule that matched counts 1
    matched: tuple[str, ...]  # the words behind it, strongest first (rules: in text order)
    source: str = "model"  # "model", "rule" (a supervisor's keyword rule) or "default"
    alternatives: tuple[tuple[str | None, float], ...] = ()  # the model's best values (None: no value)

    @property
    def reason(self):
        if self.source == "rule":
            return "matched " + ", ".join(self.matched)
        if self.source == "default":
            return "no keyword matched: the default"
        return f"model {self.score:.0%}" + (": " + ", ".join(self.matched) if self.matched else "")


@dataclass(frozen=True)
class Suggestion:
    kind: Choice
    category: Choice | None
    problem: Choice | None
    referral: Choice | None
    in_scope: float | None = None  # the model's confidence that the hotline handles the case


def suggest(text, rules, model=None):
    """The suggested kind, category, problem type and referral for `text`, each with its reason."""
    model = model or classifier.get()
    vector = model.vector(text)
    ranked = model.rank(text, vector)
    overrides = matches(text, rules)
    chosen = {}
    for target in TARGETS:
        rule = overrides[target]
        if rule is not None:
            chosen[target] = Choice(rule.value, 1.0, rule.matched, "rule", _alternatives(ranked[target]))
        else:
            chosen[target] = _from_model(model, text, vector, target, ranked[target])
    return Suggestion(
        kind=chosen["kind"] or Choice(DEFAULT_KIND, 0.0, (), "default"),
        category=chosen["category"],
        problem=chosen["problem"],
        referral=chosen["referral"],
        in_scope=round(ranked["referral"].score_of(classifier.NONE), 4),
    )


def _from_model(model, text, vector, target, ranked):
    if target == "referral":
        in_scope = ranked.score_of(classifier.NONE)
        value, score = next(((v, s) for v, s in zip(ranked.values, ranked.scores, strict=True)
                             if v != classifier.NONE), (None, 0.0))
        if value is None or score < classifier.REFER_MIN or score <= in_scope:
            return None
    else:
        value, score = ranked.values[0], ranked.scores[0]
        if value == classifier.NONE:
            return None
    reason = model.explain(text, target, value, vector=vector)
    return Choice(value, round(score, 4), reason, "model", _alternatives(ranked))


def _alternatives(ranked):
    return tuple((None if v == classifier.NONE else v, round(s, 4))
                 for v, s in zip(ranked.values[:ALTERNATIVES], ranked.scores[:ALTERNATIVES], strict=True))


def keyword_suggest(text, rules):
    """The first method, keyword rules alone: kept to measure against (bench.suggest_accuracy)."""
    found = matches(text, rules)
    choice = {t: m and Choice(m.value, m.score, m.matched, "rule") for t, m in found.items()}
    return Suggestion(
        kind=choice["kind"] or Choice(DEFAULT_KIND, 0, (), "default"),
        category=choice["category"],
        problem=choice["problem"],
        referral=choice["referral"],
    )
