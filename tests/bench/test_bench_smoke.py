"""The benchmark scripts keep working: a tiny generated database and well-formed reports.
No timing is asserted anywhere: speed is bench/'s business, never the test suite's."""

import json
import re

from bench import console, ingest, report
from bench.generate import check, generate

NUMBER = re.compile(r"^\d{8}-\d{5}$")


def test_generator_writes_the_cases_asked_for_with_unique_real_format_numbers(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    stats = generate(url, 300, log=lambda *a, **k: None)
    assert stats["tickets"] == 300
    assert stats["contacts"] == 900  # three calls or texts per case
    assert stats["events"] >= 300  # at least the 'created' line of each case
    assert stats["callers"] < 300  # some callers phoned more than once
    assert check(url) == {"tickets": 300, "unique_numbers": 300, "counters_consistent": True}


def test_generator_is_deterministic(tmp_path):
    a, b = (generate(f"sqlite:///{tmp_path / n}", 120, seed=5, log=lambda *a, **k: None) for n in ("a.db", "b.db"))
    assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}


def _seen(statuses, times):
    return {"times": times, "statuses": statuses, "path": "/x"}


def test_console_summary_marks_missing_pages_and_judges_medians_against_the_target():
    seen = {
        "baseline: /healthz": _seen({200: 3}, [2.0, 2.0, 2.0]),
        "fast page": _seen({200: 3}, [20.0, 30.0, 40.0]),
        "slow page": _seen({200: 3}, [150.0, 160.0, 170.0]),
        "unbuilt page": _seen({404: 1}, []),
    }
    rows = {r["page"]: r for r in console.summarise(seen, {"unbuilt page"}, 100_000)}
    assert rows["fast page"]["verdict"] == "PASS" and rows["fast page"]["ratio"] == 15.0
    assert rows["slow page"]["verdict"] == "MISS" and rows["slow page"]["target_ms"] == 100
    assert rows["unbuilt page"]["verdict"] == "missing"
    assert console.summarise(seen, set(), 1_000_000)[2]["verdict"] == "PASS"  # 200 ms at 1M


def _segment(ok, rows, tickets, delta):
    return {"requests": ok, "duration_us": 1_000_000, "p50_us": 5000, "p99_us": 9000, "ok200": ok, "non200": 0,
            "wrapped": 0, "errors": {"connect": 0}, "rows": rows, "tickets": tickets, "tickets_delta": delta}


def test_ingest_rows_check_catches_lost_and_doubled_cases():
    segments = {("baseline", 16): [_segment(100, 100, None, None)], ("baseline", 64): [],
                ("sms", 16): [_segment(100, 98, 98, 98)], ("sms", 64): [],
                ("voice", 16): [_segment(100, 103, 103, 110)], ("voice", 64): []}
    status = {"baseline": 200, "sms": 200, "voice": 200}
    rows = {(r["target"], r["connections"]): r for r in ingest._summarise(segments, status)}
    assert rows[("sms", 16)]["lost"] == 2 and not rows[("sms", 16)]["exact"]
    assert rows[("voice", 16)]["doubled"] == 7 and rows[("voice", 16)]["verdict"] == "MISS"
    assert rows[("baseline", 16)]["exact"] and rows[("voice", 16)]["in_flight_at_stop"] == 3


def test_report_prints_a_table_and_writes_json_with_commit_machine_and_date(tmp_path):
    page = {"page": "ticket page", "path": "/tickets/1", "n": 3, "statuses": {"200": 3}, "median_ms": 12.5,
            "p95_ms": 20.0, "ratio": 3.1, "target_ms": 100, "verdict": "PASS"}
    console_runs = [{"backend": "sqlite", "tickets": 100_000, "pages": [page]},
                    {"backend": "postgresql", "missing": "PostgreSQL not reachable"}]
    ingest_runs = [{"backend": "sqlite", "missing": "wrk is not installed"}]
    doc = report.document({"quick": True}, console_runs, ingest_runs, 1.0)
    text = report.render(doc)
    assert "ticket page" in text and "PASS" in text and "missing" in text
    path = report.write(doc, tmp_path)
    written = json.loads(path.read_text())
    assert all(key in written for key in report.REQUIRED_KEYS)
    assert written["machine"]["cores"] >= 1 and re.match(r"^[0-9a-f]{40}$|^unknown$", written["commit"])
    assert json.loads((tmp_path / "latest-quick.json").read_text())["date"] == written["date"]
