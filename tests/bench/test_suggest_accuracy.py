"""bench.suggest_accuracy counts what it says it counts. No timing is asserted."""

import io

from bench import suggest_accuracy as bench


def _ticket(referral=None, category="G01"):
    return {"text": "x", "kind": "complaint", "category": category, "problem_type": "P01", "referral": referral}


def test_agency_and_wrongly_sent_are_counted_on_their_own_rows():
    cases = [_ticket(), _ticket(), _ticket("12300", "S04"), _ticket("110", None)]
    guesses = [
        {"kind": "complaint", "category": "G01", "problem_type": "P01", "referral": None},
        {"kind": "complaint", "category": "G02", "problem_type": "P01", "referral": "12345"},  # sent away wrongly
        {"kind": "complaint", "category": "S04", "problem_type": "P01", "referral": "12300"},  # right agency
        {"kind": "complaint", "category": None, "problem_type": "P01", "referral": None},  # kept, wrongly
    ]
    result = bench.accuracy(cases, guesses)
    assert (result["agency"], result["wrongly_sent"]) == (50.0, 50.0)
    assert (result["category"], result["category_in_scope"]) == (75.0, 50.0)
    assert (result["n"], result["n_in_scope"], result["n_out_of_scope"]) == (4, 2, 2)
    assert result["overall"] == 50.0


def test_the_held_out_figures_carry_their_counts_and_interval():
    cases = [_ticket(), _ticket("12300", "S04"), _ticket("110", None)]
    guesses = [{"kind": "complaint", "category": "G01", "problem_type": "P01", "referral": None},
               {"kind": "complaint", "category": "S04", "problem_type": "P01", "referral": "12300"},
               {"kind": "complaint", "category": None, "problem_type": "P01", "referral": "12345"}]
    assert bench.counts(cases, guesses) == {"category": (3, 3), "agency": (1, 2), "wrongly_sent": (0, 1)}
    low, high = bench.wilson(255, 269)
    assert low < 94.8 < high and high - low > 4  # 269 rows: a span of several points, not one
    assert bench.wilson(0, 0) is None


def test_majority_and_percentiles():
    assert bench.majority([_ticket(), _ticket(), _ticket("110", None)])["referral"] is None
    figures = bench._percentiles([float(n) for n in range(1, 101)])
    assert (figures["n"], figures["p50_ms"], figures["p99_ms"], figures["max_ms"]) == (100, 50.5, 100.0, 100.0)


def test_the_report_prints_every_method_and_target():
    row = {name: 50.0 for name in ("kind", "category", "category_in_scope", "problem_type", "referral", "agency",
                                   "wrongly_sent", "overall")} | {"n": 4, "n_in_scope": 2, "n_out_of_scope": 2}
    report = {"cases": 4, "splits_n": {"test": 4}, "train_seconds": 1.0, "baseline_guess": {"kind": "complaint"},
              "splits": {s: {m: row for m in bench.METHODS} for s in bench.SPLITS},
              "targets": {s: {"agency": {"target": ">= 95.0", "value": 50.0, "hits": 1, "n": 2, "ci95": (9.5, 90.5),
                                         "met": False}} for s in bench.HELD_OUT},
              "latency": {"model_only": {"n": 1, "p50_ms": 1.0, "p99_ms": 2.0, "max_ms": 2.0}},
              "mistakes": {s: [{"field": "referral", "expected": "110", "got": None, "count": 1}] for s in bench.SPLITS}}
    out = io.StringIO()
    bench.print_report(report, out)
    text = out.getvalue()
    for method in bench.METHODS:
        assert method in text
    for split in bench.HELD_OUT:
        assert f"{split:<{bench.SPLIT_W}}agency        50.0%  target >= 95.0%  MISSED  (1 of 2; 9.5-90.5 %)" in text
    assert "latency model_only: p50 1.0 ms" in text
