"""Which routing rule a case falls under. Pure: no Flask, no session.

Rules are tried in order; the first active rule whose conditions all hold wins. An empty
condition holds for any case. Jurisdiction follows the business, not the caller: the region
compared is the respondent's administrative division, else (an online seller without a
reachable address) the division of the platform it sells on, looked up in a small mapping
that is data. A rule's division holds for every division inside it (北京市 holds for 海淀区).

Rules may be database rows or `Draft`s: anything with the attributes of `Draft`.
"""

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from routing import divisions

PLATFORMS_PATH = Path(__file__).parent / "data" / "platform_regions.json"
CONDITIONS = ("kind", "category", "problem_type", "region", "keywords", "respondent")


@dataclass(frozen=True)
class Draft:
    """A rule as matching needs it (an unsaved edit, a test double)."""

    id: int | None = None
    name: str = ""
    position: int = 0
    active: bool = True
    kind: str | None = None
    category_id: int | None = None
    problem_type_id: int | None = None
    region: str | None = None  # the division's name; alone (no division), an old text condition
    keywords: str | None = None
    respondent: str | None = None
    department_id: int | None = None
    action: str = "auto"
    version: int = 0
    division: str | None = None


@dataclass(frozen=True)
class Case:
    """What the rules look at in a case."""

    kind: str | None = None
    category_ids: frozenset = frozenset()  # the case's category and its parents
    problem_type_id: int | None = None
    respondent_region: str | None = None
    respondent_division: str | None = None  # GB/T 2260 code
    platform: str | None = None
    respondent_name: str | None = None
    seller: str | None = None
    text: str = ""  # summary and facts


@dataclass(frozen=True)
class Region:
    value: str | None  # the division's full name (or an old free-text region)
    source: str | None  # "respondent", "platform" or None (unknown)
    platform: str | None = None  # the platform name that gave the region
    code: str | None = None  # the division's code; None for a text no division was found for


@dataclass(frozen=True)
class Check:
    """One condition of one rule against one case; `found` says on what it held or failed."""

    condition: str
    wanted: str
    found: str | None
    ok: bool


@dataclass(frozen=True)
class Step:
    rule: object
    checks: tuple[Check, ...]

    @property
    def matched(self):
        return all(check.ok for check in self.checks)

    @property
    def failed(self):
        return next((check for check in self.checks if not check.ok), None)


@dataclass(frozen=True)
class Decision:
    """The winning rule (None: no rule matched), every rule tried before it, and the region used."""

    rule: object | None
    region: Region
    trace: tuple[Step, ...] = field(default=())

    @property
    def checks(self):
        return self.trace[-1].checks if self.rule is not None else ()

    @property
    def to_triage(self):
        return self.rule is None or self.rule.department_id is None


def normalise(text):
    """Full-width to half-width, Latin lower-cased, white space removed: how text is compared."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


def keyword_list(keywords):
    """A rule's keywords (one per line, also split on commas and 、), normalised, blanks dropped."""
    text = (keywords or "").replace(",", "\n").replace("，", "\n").replace("、", "\n")
    return [word for word in (normalise(line) for line in text.splitlines()) if word]


def load_platform_regions(path=PLATFORMS_PATH):
    """The default platform -> division code mapping shipped as data."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def platform_division(value):
    """A platform's division: a code as shipped, or a place name (older configs: "杭州")."""
    return value if divisions.get(value) else divisions.from_name(value)


def effective_region(case, platforms):
    """The respondent's division, else the division of a known platform named in the case."""
    if case.respondent_division:
        code = case.respondent_division
        return Region(divisions.full_name(code) or case.respondent_region or code, "respondent", code=code)
    if (case.respondent_region or "").strip():
        return Region(case.respondent_region.strip(), "respondent")
    # The platform field first: a shop named 京东便利店 that sells on 美团 is 美团's. Within a
    # field the longest name first, so a platform whose name holds another's wins.
    names = sorted(platforms, key=lambda name: -len(normalise(name)))
    for hay in (normalise(case.platform), normalise(case.respondent_name), normalise(case.seller)):
        for name in names:
            key = normalise(name)
            if key and hay and key in hay:
                code = platform_division(platforms[name])
                return Region(divisions.full_name(code) or platforms[name], "platform", name, code)
    return Region(None, None)


def check_rule(rule, case, region):
    """Each set condition of `rule` against `case`."""
    checks = []
    if rule.kind:
        checks.append(Check("kind", str(rule.kind), case.kind, str(rule.kind) == (case.kind or "")))
    if rule.category_id:
        checks.append(Check("category", str(rule.category_id), None, rule.category_id in case.category_ids))
    if rule.problem_type_id:
        ok = rule.problem_type_id == case.problem_type_id
        checks.append(Check("problem_type", str(rule.problem_type_id), None, ok))
    if rule.division:
        ok = divisions.within(region.code, rule.division)
        wanted = divisions.full_name(rule.division) or rule.division
        checks.append(Check("region", wanted, region.value, ok))
    elif (rule.region or "").strip():  # a text no division was found for (before division codes)
        ok = bool(region.value) and normalise(rule.region) in normalise(region.value)
        checks.append(Check("region", rule.region.strip(), region.value, ok))
    if keyword_list(rule.keywords):
        hit = first_keyword(rule.keywords, case.text)
        checks.append(Check("keywords", "、".join(keyword_list(rule.keywords)), hit, hit is not None))
    if (rule.respondent or "").strip():
        want = normalise(rule.respondent)
        names = [n for n in (case.respondent_name, case.seller) if n and want in normalise(n)]
        checks.append(Check("respondent", rule.respondent.strip(), names[0] if names else None, bool(names)))
    return tuple(checks)


def first_keyword(keywords, text):
    """The first of the rule's keywords found in `text`, or None."""
    haystack = normalise(text)
    return next((word for word in keyword_list(keywords) if word in haystack), None)


def is_catch_all(rule):
    """A rule without conditions: it matches every case."""
    return not any(
        (rule.kind, rule.category_id, rule.problem_type_id, rule.division, (rule.region or "").strip(),
         keyword_list(rule.keywords), (rule.respondent or "").strip())
    )


def ordered(rules):
    """Rules in the order they are tried."""
    return sorted(rules, key=lambda rule: (rule.position or 0, rule.id or 0))


def decide(case, rules, platforms):
    """The first active rule matching `case`, with the rules tried before it (the reasons)."""
    region = effective_region(case, platforms)
    trace = []
    for rule in ordered(rules):
        if not rule.active:
            continue
        step = Step(rule, check_rule(rule, case, region))
        trace.append(step)
        if step.matched:
            return Decision(rule, region, tuple(trace))
    return Decision(None, region, tuple(trace))


def with_draft(rules, draft):
    """The rule set as it would be with `draft` saved (replacing the rule of the same id)."""
    kept = [rule for rule in rules if draft.id is None or rule.id != draft.id]
    return ordered([*kept, draft])
