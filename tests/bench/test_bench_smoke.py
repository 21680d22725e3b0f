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


def test_pages_under_ingest_are_judged_on_their_loaded_median_and_fail_on_any_error():
    def mode(healthz, page, refused, page_statuses=None):
        return {"baseline: /healthz": _seen({200: 3}, healthz), "ticket page": _seen(page_statuses or {200: 3}, page),
                "queue panel": _seen({200: 3}, refused)}
    seen = {"idle": mode([2.0] * 3, [20.0] * 3, [5.0] * 3),
            "ingest": mode([40.0] * 3, [130.0] * 3, [60.0] * 3, {200: 2, 503: 1})}
    texts = [{"duration_us": 2_000_000, "ok200": 500, "non200": 0, "errors": {"connect": 0}, "p99_us": 90_000}]
    out = console._summarise_under_ingest(seen, texts, 100_000)
    rows = {r["page"]: r for r in out["pages"]}
    assert rows["ticket page"]["verdict"] == "error 503"  # a refused page fails whatever its time
    assert rows["queue panel"]["verdict"] == "PASS" and rows["queue panel"]["x_idle"] == 12.0
    assert out["texts"]["per_s"] == 250.0
    seen["ingest"]["ticket page"]["statuses"] = {200: 3}
    assert {r["page"]: r for r in console._summarise_under_ingest(seen, texts, 100_000)["pages"]}[
        "ticket page"]["verdict"] == "MISS"  # 130 ms against 100
    run = {"backend": "sqlite", "tickets": 100_000, "pages": [],
           "under_ingest": {"workers": 2, "connections": 16, "runs": [{"threads": 8, **out}]}}
    text = report.render(report.document({"quick": True}, [run], [], 1.0))
    assert "Console pages while signed texts arrive" in text and "8 threads" in text and "250.0/s" in text


def test_plans_flag_full_scans_of_big_tables_only():
    from bench.dashboard import _full_scans

    lines = ["Seq Scan on tickets  (actual rows=1000000)", "Index Scan using ix_contacts on contacts",
             "Seq Scan on categories", "SCAN clocks", "SEARCH ticket_events USING INDEX ix_te (ticket_id=?)",
             "SCAN contacts USING INDEX ix_contacts_started"]
    assert _full_scans(lines) == {"tickets", "clocks"}


def test_stand_in_receiver_counts_every_sms_and_gives_each_its_own_sid():
    import requests

    from bench.twomachines import Receiver

    with Receiver() as rx:
        sids = [requests.post(f"{rx.url}/2010-04-01/Accounts/AC1/Messages.json", timeout=10,
                              data={"To": "+8613800138000", "Body": f"工单号 {i}"}).json()["sid"] for i in range(3)]
    assert len(set(sids)) == 3 and [r[1] for r in rx.received] == ["工单号 0", "工单号 1", "工单号 2"]


def test_report_renders_dashboard_scheduler_and_two_machine_sections():
    page = {"page": "reports.cases", "path": "/reports/cases", "median_ms": 1500.0, "p95_ms": 1700.0,
            "ratio": 300.0, "target_ms": 1000, "verdict": "MISS"}
    dash = [{"backend": "postgresql", "tickets": 1_000_000, "pages": [page], "full_scans": {"reports.cases": ["tickets"]}}]
    sched = [{"backend": "sqlite",
              "sweep": {"clocks": 100_000, "counts": {"warned": 5000, "overdue": 5000}, "median_s": 1.2,
                        "idle_median_s": 0.01, "target_s": 5.0, "events": 10_000, "fired_twice": 0, "verdict": "PASS"},
              "dispatch": {"missing": "Prism is not installed"}}]
    two = {"rows": [{"target": "sms", "rps": 60.0, "p50_ms": 200.0, "p99_ms": 600.0, "ratio": 0.1, "non200": 0,
                     "verdict": "MISS"}],
           "sms": {"received": 10, "received_twice": 0, "sids_not_stored": 0, "sids_on_two_rows": 0, "verdict": "PASS"},
           "clocks": {"overdue_seeded": 8, "escalated": 8, "events": 8, "cases_with_event": 8, "fired_twice": 0,
                      "verdict": "PASS"},
           "outbox_left": 0, "killed": {"name": "s1"}, "sweeps": {"sweep_runs": 2}}
    doc = report.document({"quick": True}, [], [], 1.0, dashboard=dash, scheduler=sched, two_machines=two,
                          load=[[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    text = report.render(doc)
    assert "reports.cases" in text and "tickets" in text and "MISS" in text
    assert "sweep 100,000 open clocks" in text and "Prism is not installed" in text
    assert "10 received by the stand-in, 0 twice" in text and "0 fired twice" in text


def test_upload_bench_refuses_every_hostile_file_and_names_its_baseline():
    from bench import uploads

    rows = uploads.run(quick=True, repeat=1, log=lambda *a: None)
    hostile = [r for r in rows if r["baseline"]]
    assert {r["baseline"] for r in hostile} <= {r["file"] for r in rows if not r["baseline"]}
    refused = [r for r in hostile if r["outcome"].startswith("refused")]
    # Only the small self-looping directory is read (harmlessly) to the end; everything else is refused.
    assert [r["file"] for r in hostile if r not in refused] == ["self-looping directory .doc"]
    assert all(r["ms"] >= 0 for r in rows)


def test_queue_cost_runs_the_baseline_and_the_polls_at_tiny_size(tmp_path, monkeypatch):
    from bench import queue_cost, serve

    monkeypatch.setattr(serve, "CACHE_DIR", tmp_path / "cache")
    result = queue_cost.run("sqlite", 60, quick=True, log=lambda *a, **k: None, operators=3, supervisors=1, seconds=4,
                            hold=1)
    runs = {r["run"]: r for r in result["runs"]}
    assert set(runs) == {"healthz", "after", "held", "held-ops"}
    assert runs["healthz"]["verdict"] == "baseline" and runs["after"]["verdict"] in ("PASS", "MISS")
    for r in runs.values():
        assert r["errors"] == 0 and r["req_per_s"] > 0 and r["cores"] >= 0
        assert set(r["statuses"]) <= {"200", "304"}  # every poll answered, signed in
    assert runs["after"]["not_modified"] > 0  # the unchanged panel is not sent again
    # Asked to hold 1 s: held, then answered 304 as an unchanged panel, and no tick missed.
    assert runs["held-ops"]["not_modified"] > 0 and runs["held-ops"]["missed"] == 0
    assert "queue cost, sqlite" in queue_cost.render(result)[0]


def test_statement_counter_counts_each_webhook_kind(tmp_path):
    from bench import statements

    counted = statements.count(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert set(counted) == set(statements.CASES)
    for case, seen in counted.items():
        assert any(s.startswith("INSERT INTO contacts") for s in seen), case
    # A new number's text and a new call open their case with INSERT ... RETURNING, no savepoint.
    assert not any("SAVEPOINT" in s for s in counted["new-number text"] + counted["new call"])


def test_the_sql_floor_writes_the_same_rows_once_per_sid(tmp_path):
    from sqlalchemy import create_engine, text

    from bench import baseline_sql_app

    url = f"sqlite:///{tmp_path / 'floor.sqlite'}"
    ingest.prepare(url)
    client = baseline_sql_app.create_app(url).test_client()
    text_form = {"MessageSid": "SM" + "1" * 32, "From": "+8613800000001", "To": "+8610012315", "Body": "手机坏了"}
    call_form = {"CallSid": "CA" + "2" * 32, "From": "+8613800000001", "To": "+8610012315"}
    for _ in range(2):  # the second of each is a repeat: nothing more written
        assert client.post("/twilio/sms", data=text_form).status_code == 200
        assert client.post("/twilio/voice", data=call_form).status_code == 200
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = [conn.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608 (fixed table names)
                  for t in ("callers", "tickets", "ticket_events", "contacts", "outbox_messages")]
        numbers = conn.scalars(text("SELECT number FROM tickets")).all()
    engine.dispose()
    assert counts == [1, 2, 2, 2, 1]
    assert all(NUMBER.match(n) for n in numbers)


def test_ingest_soak_needs_every_count_at_zero():
    ok = {"requests": 100, "duration_us": 1_000_000, "p50_us": 5000, "p99_us": 9000, "ok200": 100, "non200": 0,
          "wrapped": 0, "errors": {"connect": 0}, "rows": 100, "tickets": 100, "tickets_delta": 100}
    assert ingest._integrity("sms", 64, [ok])["exact"]
    assert not ingest._integrity("sms", 64, [{**ok, "tickets_delta": 101}])["exact"]  # a doubled case


def test_ingest_cpu_measures_both_webhooks_beside_the_sql_floor(tmp_path):
    from bench import ingest_cpu

    out = ingest_cpu.measure(f"sqlite:///{tmp_path / 'cpu.sqlite'}", n=3, rounds=1, warmup=1)
    assert set(out) == set(ingest_cpu.TARGETS)
    assert all(out[t]["requests"] == 3 and out[t]["cpu_ms"] >= 0 for t in ingest_cpu.TARGETS)
    assert {"voice", "sms"} <= {k for k in out if "x_floor_cpu" in out[k]}
    assert "/twilio/voice" in ingest_cpu.render("after", {"sqlite": out})
