"""Accuracy and speed of the suggested classification: `python -m bench.suggest_accuracy [--quick]`.

Trains the classifier (intake.classifier) from intake/data/labelled_cases.jsonl as the app does,
then measures, on the dev split (used to tune), the held-out test split (never used to tune, but
consulted twice while building) and the fresh split (a batch written apart, by someone who had not
seen the training rows, after the test split had been consulted; docs/SUGGESTIONS.md), the fresh2
split (a second batch written apart, by another writer who had seen neither the rows nor the first
batch), the fresh3 split (a third batch written apart, 2026-12-05), on test and fresh together, on
test+fresh+fresh2 (the figure before fresh3) and on all five held-out splits together
"test+fresh+fresh2+fresh3+fresh4"; fresh4 was written apart on 2026-12-06 and measured once after
the sixth training batch), on fresh5 (written apart, 2026-12-06, measured once after the seventh
training batch) and on all held-out splits together ("test+fresh+fresh2+fresh3+fresh4+fresh5", the
best estimate: the most held-out rows), beside methods measured in the same run:
  - classifier: intake.suggest.suggest() with no supervisors' rules (what the app does);
  - keyword rules: the first method, the shipped default rules alone;
  - classifier + default rules as overrides: what a database still holding the seeded default
    rules would do (the evidence for no longer seeding them);
  - classifier without word lists: character n-grams only (the evidence for keeping the shipped
    word lists as features);
  - majority baseline: always the most common train label.
Figures: per field; category over all rows and over in-scope rows; "agency" = out-of-scope rows
given the right referral; "wrongly sent" = in-scope rows given a referral. Targets (issue 15):
category >= 90 %, agency >= 95 %, wrongly sent <= 2 %, on each held-out split, with the count behind
each figure and its 95 % (Wilson) interval: a figure on a few hundred rows is not precise to a point.
Speed: training time, one suggestion in-process and the POST /api/v1/suggest round trip through
the real app (test client, SQLite, a bearer token, the database rules), p50/p99.
Writes bench/results/suggest-accuracy.json.
"""

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from intake import classifier
from intake.keywords import default_rules
from intake.suggest import keyword_suggest, suggest

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "bench" / "results" / "suggest-accuracy.json"
FIELDS = ("kind", "category", "problem_type", "referral")
SPLITS = ("dev", "test", "fresh", "fresh2", "fresh3", "fresh4", "fresh5")
# Where the targets are judged: each held-out split, test+fresh (the figure reported before fresh2
# existed) and test+fresh+fresh2 (before fresh3), kept to compare with, and all held-out rows together.
COMBINED = ("test+fresh", "test+fresh+fresh2", "test+fresh+fresh2+fresh3", "test+fresh+fresh2+fresh3+fresh4",
            "test+fresh+fresh2+fresh3+fresh4+fresh5")
HELD_OUT = ("test", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", *COMBINED)
SPLIT_W = max(map(len, (*SPLITS, *COMBINED))) + 2  # the report's split column
TARGETS = {"category": (">=", 90.0), "agency": (">=", 95.0), "wrongly_sent": ("<=", 2.0)}
METHODS = ("classifier", "keyword_rules", "classifier_with_default_overrides", "classifier_without_word_lists",
           "majority_baseline")


def predict(found):
    """A Suggestion as plain field values."""
    return {
        "kind": found.kind.value,
        "category": found.category and found.category.value,
        "problem_type": found.problem and found.problem.value,
        "referral": found.referral and found.referral.value,
    }


def majority(cases):
    """The most common label of each field: the baseline's constant guess."""
    return {field: Counter(c[field] for c in cases).most_common(1)[0][0] for field in FIELDS}


def _pct(hits, total):
    return round(100 * hits / total, 1) if total else None


def wilson(hits, total, z=1.96):
    """The 95 % Wilson score interval of a share, in percent: (low, high)."""
    if not total:
        return None
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (round(100 * (centre - half), 1), round(100 * (centre + half), 1))


def counts(cases, guesses):
    """What each target's figure counts: (hits, rows) for category, agency and wrongly sent."""
    pairs = list(zip(cases, guesses, strict=True))
    inside = [g for c, g in pairs if c["referral"] is None]
    outside = [(c, g) for c, g in pairs if c["referral"] is not None]
    return {"category": (sum(g["category"] == c["category"] for c, g in pairs), len(pairs)),
            "agency": (sum(g["referral"] == c["referral"] for c, g in outside), len(outside)),
            "wrongly_sent": (sum(g["referral"] is not None for g in inside), len(inside))}


def accuracy(cases, guesses):
    """Share right per field, category in scope, agency, wrongly sent and all four right, in percent."""
    pairs = list(zip(cases, guesses, strict=True))
    inside = [(c, g) for c, g in pairs if c["referral"] is None]
    outside = [(c, g) for c, g in pairs if c["referral"] is not None]
    result = {field: _pct(sum(g[field] == c[field] for c, g in pairs), len(pairs)) for field in FIELDS}
    result["category_in_scope"] = _pct(sum(g["category"] == c["category"] for c, g in inside), len(inside))
    result["agency"] = _pct(sum(g["referral"] == c["referral"] for c, g in outside), len(outside))
    result["wrongly_sent"] = _pct(sum(g["referral"] is not None for c, g in inside), len(inside))
    result["overall"] = _pct(sum(all(g[f] == c[f] for f in FIELDS) for c, g in pairs), len(pairs))
    result["n"], result["n_in_scope"], result["n_out_of_scope"] = len(pairs), len(inside), len(outside)
    return result


def mistakes(cases, guesses, top=10):
    """The commonest (field, expected, got) confusions."""
    counted = Counter(
        (field, c[field], g[field])
        for c, g in zip(cases, guesses, strict=True)
        for field in FIELDS
        if c[field] != g[field]
    )
    return [{"field": f, "expected": e, "got": g, "count": n} for (f, e, g), n in counted.most_common(top)]


def _percentiles(samples_ms):
    ordered = sorted(samples_ms)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2)}


def time_model(model, texts):
    """One suggestion in-process (no database): the model's share of the round trip."""
    samples = []
    for text in texts:
        started = time.perf_counter()
        suggest(text, [], model)
        samples.append(1000 * (time.perf_counter() - started))
    return _percentiles(samples)


def time_round_trip(texts):
    """POST /api/v1/suggest through the real app: token check, database rules, names, JSON."""
    from hotline import accounts, create_app
    from hotline.extensions import db
    from hotline.models import Role
    from hotline.seeds import seed_reference_data

    app = create_app("testing")
    with app.app_context():
        db.create_all()
        seed_reference_data()
        user = accounts.create_user("bench-operator", "amber-otter-lantern-42", Role.OPERATOR)
        plain, _token = accounts.create_token(user, "bench")
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {plain}"}
        client.post("/api/v1/suggest", json={"text": texts[0]}, headers=headers)  # first request: warm
        samples = []
        for text in texts:
            started = time.perf_counter()
            response = client.post("/api/v1/suggest", json={"text": text}, headers=headers)
            samples.append(1000 * (time.perf_counter() - started))
            if response.status_code != 200:
                raise RuntimeError(f"POST /api/v1/suggest answered {response.status_code}")
        db.session.remove()
        db.drop_all()
    return _percentiles(samples)


def targets(figures, counted):
    """Each target on one split: its figure, met or not, and the count and interval behind it."""
    result = {}
    for name, (op, limit) in TARGETS.items():
        value = figures[name]
        hits, total = counted[name]
        result[name] = {"target": f"{op} {limit}", "value": value, "hits": hits, "n": total,
                        "ci95": wilson(hits, total),
                        "met": value is not None and (value >= limit if op == ">=" else value <= limit)}
    return result


def run(quick=False):
    cases = classifier.load_cases()
    started = time.perf_counter()
    model = classifier.train(cases)
    train_seconds = time.perf_counter() - started
    defaults = default_rules()
    scored = [c for c in cases if c["split"] in SPLITS]
    guesses = {
        "classifier": [predict(suggest(c["text"], [], model)) for c in scored],
        "keyword_rules": [predict(keyword_suggest(c["text"], defaults)) for c in scored],
        "classifier_with_default_overrides": [predict(suggest(c["text"], defaults, model)) for c in scored],
    }
    bare = classifier.train(cases, lexicon_rules=[])
    guesses["classifier_without_word_lists"] = [predict(suggest(c["text"], [], bare)) for c in scored]
    base = majority([c for c in cases if c["split"] == "train"])
    guesses["majority_baseline"] = [base] * len(scored)
    report = {"cases": len(cases), "splits_n": dict(Counter(c["split"] for c in cases)),
              "train_seconds": round(train_seconds, 2), "baseline_guess": base, "splits": {}, "mistakes": {}}
    report["targets"] = {}
    for split in (*SPLITS, *COMBINED):
        picked = [i for i, c in enumerate(scored) if c["split"] in split.split("+")]
        chosen = [scored[i] for i in picked]
        report["splits"][split] = {m: accuracy(chosen, [guesses[m][i] for i in picked]) for m in METHODS}
        report["mistakes"][split] = mistakes(chosen, [guesses["classifier"][i] for i in picked])
        if split in HELD_OUT:
            report["targets"][split] = targets(report["splits"][split]["classifier"],
                                               counts(chosen, [guesses["classifier"][i] for i in picked]))
    texts = [c["text"] for c in scored][: 100 if quick else 400]
    report["latency"] = {"model_only": time_model(model, texts), "post_api_v1_suggest": time_round_trip(texts)}
    return report


def print_report(report, out=sys.stdout):
    print(f"Suggested classification: {report['cases']} labelled cases {report['splits_n']}, "
          f"classifier trained in {report['train_seconds']} s", file=out)
    columns = ("kind", "category", "category_in_scope", "problem_type", "agency", "wrongly_sent", "overall")
    header = f"{'split':<{SPLIT_W}}{'method':<35}" + "".join(f"{c[:14]:>15}" for c in columns)
    print(header, file=out)
    print("-" * len(header), file=out)
    for split, methods in report["splits"].items():
        for method, row in methods.items():
            cells = "".join(f"{'-' if row[c] is None else format(row[c], '.1f') + '%':>15}" for c in columns)
            print(f"{split:<{SPLIT_W}}{method:<35}{cells}", file=out)
        n = methods["classifier"]
        print(f"{'':<{SPLIT_W}}({n['n']} rows: {n['n_in_scope']} in scope, {n['n_out_of_scope']} out of scope)", file=out)
    print("targets on the held-out splits (classifier), count and 95 % interval:", file=out)
    for split, named in report["targets"].items():
        for name, t in named.items():
            low, high = t["ci95"] or (None, None)
            print(f"  {split:<{SPLIT_W}}{name:<13} {t['value']}%  target {t['target']}%  "
                  f"{'met' if t['met'] else 'MISSED'}  ({t['hits']} of {t['n']}; {low}-{high} %)", file=out)
    print("baseline guesses (train majority): "
          + ", ".join(f"{k}={v}" for k, v in report["baseline_guess"].items()), file=out)
    for name, figures in report["latency"].items():
        print(f"latency {name}: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms "
              f"over {figures['n']} texts", file=out)
    for split in report["mistakes"]:
        print(f"commonest classifier mistakes, {split} split: field expected -> got x count", file=out)
        for m in report["mistakes"][split]:
            print(f"  {m['field']:<13} {m['expected']!s:>8} -> {m['got']!s:<8} x{m['count']}", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 texts for the latency figures instead of 400")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    report = run(quick=args.quick)
    print_report(report)
    if not args.no_write:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"written {RESULT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
