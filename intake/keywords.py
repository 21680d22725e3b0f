"""Keyword rules: the supervisors' overrides of the suggestion, and the shipped word lists the
classifier counts as features. Pure.

Method (unchanged from the first, keyword-only suggestion): each target (kind, category, problem
type, referral) scans the normalised text for its rules' keywords, longest keyword first, so a
longer phrase shields the shorter word inside it ("手机号" is not "手机"). A value scores the
weight of every distinct keyword it matched; the best score wins, ties going to the rule listed
first (position). A target whose best score is under its minimum has no match.
"""

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

TARGETS = ("kind", "category", "problem", "referral")
DEFAULT_KIND = "complaint"
# A referral sends the caller elsewhere, so one weak word is not enough.
MIN_SCORE = {"kind": 1, "category": 1, "problem": 1, "referral": 2}
DEFAULT_RULES_PATH = Path(__file__).parent / "data" / "default_rules.json"


@dataclass(frozen=True)
class Rule:
    """A rule as the method needs it; database rows with these attributes work as well."""

    target: str
    value: str
    keywords: str  # one keyword or phrase per line
    weight: int = 1
    position: int = 0
    active: bool = True


@dataclass(frozen=True)
class Match:
    """The value a target's rules chose, its score and the keywords found (in text order)."""

    value: str
    score: int
    matched: tuple[str, ...]


def normalise(text):
    """Full-width to half-width (NFKC), Latin lower-cased, all white space removed."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


def keyword_list(keywords):
    """The normalised keywords of a rule (a string, one per line, or a sequence)."""
    lines = keywords.splitlines() if isinstance(keywords, str) else keywords
    return [word for word in (normalise(line) for line in lines) if word]


def matches(text, rules):
    """target -> the Match its active rules give `text`, or None where none reaches the minimum."""
    norm = normalise(text)
    grouped = {target: [] for target in TARGETS}
    for rule in rules:
        if getattr(rule, "active", True) and str(rule.target) in grouped:
            grouped[str(rule.target)].append(rule)
    return {target: _best(norm, grouped[target], MIN_SCORE[target]) for target in TARGETS}


def _best(text, rules, min_score):
    owners = {}
    for rule in rules:
        for word in keyword_list(rule.keywords):
            owners.setdefault(word, []).append(rule)
    tally = {}  # value -> [score, best position, matched words]
    for word in scan(text, owners):
        for rule in owners[word]:
            entry = tally.setdefault(rule.value, [0, rule.position, []])
            entry[0] += rule.weight
            entry[1] = min(entry[1], rule.position)
            # Weight 0 words only shield: they never count nor show as a reason.
            if rule.weight and word not in entry[2]:
                entry[2].append(word)
    ranked = sorted(tally.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    if not ranked or ranked[0][1][0] < min_score:
        return None
    value, (score, _position, matched) = ranked[0]
    return Match(value, score, tuple(matched))


def scan(text, words):
    """Distinct keywords found left to right, the longest one at each place."""
    sizes = sorted({len(word) for word in words}, reverse=True)
    found, i = {}, 0
    while i < len(text):
        size = next((n for n in sizes if i + n <= len(text) and text[i:i + n] in words), 0)
        if size:
            found.setdefault(text[i:i + size])
        i += size or 1
    return list(found)


def default_rules(path=DEFAULT_RULES_PATH):
    """The shipped default word lists (intake/data/default_rules.json), positions in file order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        Rule(
            target=item["target"],
            value=str(item["value"]),
            keywords="\n".join(item["keywords"]),
            weight=int(item.get("weight", 1)),
            position=position,
            active=bool(item.get("active", True)),
        )
        for position, item in enumerate(data["rules"], start=1)
    ]
