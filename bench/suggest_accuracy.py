"""Accuracy of the suggested classification on the labelled set: `python -m bench.suggest_accuracy`.

Measures intake.suggest.suggest() with the shipped default rules against
intake/data/labelled_cases.jsonl, per field and overall, on the dev split (the rules were tuned
looking at it) and the held-out test split (never looked at while tuning), beside a baseline
measured in the same run: always guess the most common dev label. Writes
bench/results/suggest-accuracy.json.
"""

import json
import sys
import time
from collections import Counter
from pathlib import Path

from intake.suggest import default_rules, suggest

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "intake" / "data" / "labelled_cases.jsonl"
RESULT = ROOT / "bench" / "results" / "suggest-accuracy.json"
FIELDS = ("kind", "category", "problem_type", "referral")
SPLITS = ("dev", "test", "all")


def load_cases(path=CASES):
    """The labelled rows, one JSON object a line."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def predict(case, rules):
    """The suggestion for one case, as plain field values."""
    found = suggest(case["text"], rules)
    return {
        "kind": found.kind.value,
        "category": found.category and found.category.value,
        "problem_type": found.problem and found.problem.value,
        "referral": found.referral and found.referral.value,
    }


def majority(cases):
    """The most common label of each field: the baseline's constant guess."""
    return {field: Counter(c[field] for c in cases).most_common(1)[0][0] for field in FIELDS}


def accuracy(cases, guesses):
    """Share right per field and with all four right, in percent."""
    if not cases:
        return dict.fromkeys((*FIELDS, "overall"), None)
    result = {
        field: 100 * sum(g[field] == c[field] for c, g in zip(cases, guesses, strict=True)) / len(cases)
        for field in FIELDS
    }
    right = sum(all(g[f] == c[f] for f in FIELDS) for c, g in zip(cases, guesses, strict=True))
    result["overall"] = 100 * right / len(cases)
    return result


def mistakes(cases, guesses, top=12):
    """The commonest (field, expected, got) confusions."""
    counted = Counter(
        (field, c[field], g[field])
        for c, g in zip(cases, guesses, strict=True)
        for field in FIELDS
        if c[field] != g[field]
    )
    return [{"field": f, "expected": e, "got": g, "count": n} for (f, e, g), n in counted.most_common(top)]


def run():
    cases = load_cases()
    rules = default_rules()
    started = time.perf_counter()
    guesses = [predict(case, rules) for case in cases]
    per_case_ms = 1000 * (time.perf_counter() - started) / len(cases)
    base = majority([c for c in cases if c["split"] == "dev"])
    report = {"cases": len(cases), "rules": len(rules), "ms_per_case": round(per_case_ms, 2),
              "baseline_guess": base, "splits": {}, "top_mistakes": mistakes(cases, guesses)}
    for split in SPLITS:
        picked = [i for i, c in enumerate(cases) if split == "all" or c["split"] == split]
        chosen = [cases[i] for i in picked]
        report["splits"][split] = {
            "n": len(chosen),
            "keyword_rules": accuracy(chosen, [guesses[i] for i in picked]),
            "majority_baseline": accuracy(chosen, [base] * len(chosen)),
        }
    return report


def print_report(report, out=sys.stdout):
    print(f"Suggested classification: {report['cases']} labelled cases, {report['rules']} default rules, "
          f"{report['ms_per_case']} ms a case", file=out)
    header = f"{'split':<6}{'n':>5}  {'method':<16}" + "".join(f"{f:>14}" for f in (*FIELDS, "overall"))
    print(header, file=out)
    print("-" * len(header), file=out)
    for split, figures in report["splits"].items():
        for method in ("keyword_rules", "majority_baseline"):
            row = figures[method]
            cells = "".join(f"{row[f]:>13.1f}%" for f in (*FIELDS, "overall"))
            print(f"{split:<6}{figures['n']:>5}  {method:<16}{cells}", file=out)
    print("baseline guesses (dev majority): " + ", ".join(f"{k}={v}" for k, v in report["baseline_guess"].items()),
          file=out)
    print("top mistakes (all splits): field expected -> got x count", file=out)
    for m in report["top_mistakes"]:
        print(f"  {m['field']:<13} {m['expected']!s:>13} -> {m['got']!s:<13} x{m['count']}", file=out)


def main():
    report = run()
    print_report(report)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {RESULT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
