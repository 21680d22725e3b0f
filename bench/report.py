"""The benchmark's table on the terminal and its JSON file in bench/results/."""

import json
from datetime import UTC, datetime
from pathlib import Path

from bench import serve

RESULTS = Path(__file__).resolve().parent / "results"
REQUIRED_KEYS = ("commit", "date", "machine", "args", "console", "ingest")


def table(headers, rows):
    """A plain fixed-width table; None prints as '-'."""
    cells = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def console_table(runs):
    rows = []
    for run in runs:
        if "missing" in run:
            rows.append([run["backend"], None, run["missing"], None, None, None, None, "missing"])
            continue
        for p in run["pages"]:
            rows.append([run["backend"], f"{run['tickets'] // 1000}k", p["page"], p["median_ms"], p["p95_ms"],
                         None if p["ratio"] is None else f"{p['ratio']}x", p["target_ms"], p["verdict"]])
    return table(["db", "tickets", "page", "median ms", "p95 ms", "vs /healthz", "target ms", "verdict"], rows)


def under_ingest_table(runs):
    rows = []
    for run in runs:
        under = run.get("under_ingest")
        if not under:
            continue
        label = [run["backend"], f"{run['tickets'] // 1000}k"]
        if "missing" in under:
            rows.append(label + [None, under["missing"]] + [None] * 6 + ["missing"])
            continue
        for r in under["runs"]:
            t = r["texts"]
            workers = "sync" if r["threads"] == 1 else f"{r['threads']} threads"
            for p in r["pages"]:
                rows.append(label + [workers, p["page"], p["idle_median_ms"], p["ingest_median_ms"],
                                     p["ingest_p95_ms"], None if p["x_idle"] is None else f"{p['x_idle']}x",
                                     p["target_ms"], f"{t['per_s']}/s ({t['non200']} non-200, p99 {t['p99_ms']} ms)",
                                     p["verdict"]])
    if not rows:
        return None
    return table(["db", "tickets", "workers", "page", "idle median ms", "median ms", "p95 ms", "vs idle",
                  "target ms", "texts meanwhile", "verdict"], rows)


def ingest_table(runs):
    rows = []
    for run in runs:
        if "missing" in run:
            rows.append([run["backend"], run["missing"]] + [None] * 9 + ["missing"])
            continue
        for r in run["rows"]:
            integrity = None
            if "ok200" in r:
                integrity = ("exact" if r["exact"] else "NOT EXACT") + \
                    f" ({r['ok200']} ok, {r['lost']} lost, {r['doubled']} doubled)"
            rows.append([run["backend"], r["target"], r["connections"], r.get("rps"), r.get("p50_ms"),
                         r.get("p99_ms"), None if r.get("ratio") is None else f"{r['ratio']}x",
                         None if r.get("of_sql_floor") is None else f"{r['of_sql_floor']}x",
                         r.get("non200"), r.get("errors"), integrity, r["verdict"]])
        soak = run.get("soak")
        if soak:
            rows.append([run["backend"], f"soak sms {soak['seconds']} s", soak["connections"], soak["rps"],
                         soak["p50_ms"], soak["p99_ms"], None, None, soak["errors"], None,
                         f"{soak['ok200']} ok, {soak['lost']} lost, {soak['doubled']} doubled", soak["verdict"]])
    return table(["db", "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "vs bare insert", "vs SQL floor",
                  "non-200", "sock err", "rows check", "verdict"], rows)


def document(args, console, ingest, seconds, dashboard=(), scheduler=(), two_machines=None, load=None, queue=()):
    commit, dirty = serve.git_commit()
    return {
        "commit": commit, "dirty_tree": dirty, "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": serve.machine(), "args": args, "seconds": round(seconds, 1),
        "load_average": {"before": (load or [None, None])[0], "after": (load or [None, None])[1]},
        "targets": {"console": "median < 100 ms at 100k tickets, < 200 ms at 1M (also while texts arrive)",
                    "ingest": "req/s >= 40% of the bare insert's; p99 < 50 ms at 16 connections, < 150 ms at 64; "
                              "every 200 one ticket; soak: 0 errors, 0 lost, 0 doubled",
                    "dashboard": "live wall < 200 ms, 90-day report < 1 s (1M tickets, 3M calls)",
                    "scheduler": "sweep of 100k open clocks < 5 s; dispatch > 200 SMS/s",
                    "two_machines": "as ingest; no SMS sent twice; no clock fired twice",
                    "queue": "200 operators + 3 supervisors polling < 0.1 core at 1M cases"},
        "console": console, "ingest": ingest, "dashboard": list(dashboard), "scheduler": list(scheduler),
        "two_machines": two_machines, "queue": list(queue),
    }


def dashboard_table(runs):
    rows = []
    for run in runs:
        if "missing" in run:
            rows.append([run["backend"], None, run["missing"], None, None, None, None, None, "missing"])
            continue
        for p in run["pages"]:
            scans = run.get("full_scans", {}).get(p["page"])
            rows.append([run["backend"], f"{run['tickets'] // 1000}k", p["page"], p["median_ms"], p["p95_ms"],
                         None if p["ratio"] is None else f"{p['ratio']}x", p["target_ms"],
                         None if p["page"].startswith("baseline") else (", ".join(scans) if scans else "none"),
                         p["verdict"]])
    return table(["db", "tickets", "page", "median ms", "p95 ms", "vs /healthz", "target ms", "full scans",
                  "verdict"], rows)


def scheduler_table(runs):
    rows = []
    for run in runs:
        if "missing" in run:
            rows.append([run["backend"], run["missing"], None, None, None, None, "missing"])
            continue
        sw, dp = run["sweep"], run["dispatch"]
        rows.append([run["backend"], f"sweep {sw['clocks']:,} open clocks ({sw['counts']['warned']} warned, "
                     f"{sw['counts']['overdue']} overdue)", f"{sw['median_s']} s", f"{sw['idle_median_s']} s again",
                     f"< {sw['target_s']} s", f"{sw['events']} events, {sw['fired_twice']} fired twice", sw["verdict"]])
        if "missing" in dp:
            rows.append([run["backend"], dp["missing"], None, None, None, None, "missing"])
            continue
        rows.append([run["backend"], f"dispatch {dp['messages']:,} SMS to Prism", f"{dp['median_per_s']}/s",
                     f"{dp['ratio']}x of direct {dp['direct_per_s']}/s", f"> {dp['target_per_s']}/s",
                     f"{dp['sent']} sent, {dp['distinct_sids']} SIDs", dp["verdict"]])
        if dp.get("stand_in"):
            si = dp["stand_in"]
            rows.append([run["backend"], f"dispatch {si['messages']:,} SMS to a minimal stand-in",
                         f"{si['median_per_s']}/s", None, f"> {dp['target_per_s']}/s",
                         f"{si['received']} received", "PASS" if si["median_per_s"] > dp["target_per_s"] else "MISS"])
    return table(["db", "what", "median", "vs", "target", "check", "verdict"], rows)


def two_machines_table(run):
    if "missing" in run:
        return run["missing"]
    rows = [["postgresql", r["target"], 16, r["rps"], r["p50_ms"], r["p99_ms"],
             None if r["ratio"] is None else f"{r['ratio']}x", r["non200"], r["verdict"]] for r in run["rows"]]
    out = table(["db", "endpoint (2 instances)", "conns", "req/s", "p50 ms", "p99 ms", "vs baseline", "non-200",
                 "verdict"], rows)
    sms, clocks = run["sms"], run["clocks"]
    killed = run.get("killed") or {}
    out += (f"\nSMS: {sms['received']} received by the stand-in, {sms['received_twice']} twice, "
            f"{sms['sids_not_stored']} SIDs not on an outbox row, {sms['sids_on_two_rows']} on two rows; "
            f"{run['outbox_left']} still due at the end -> {sms['verdict']}"
            f"\nClocks: {clocks['overdue_seeded']} made overdue in two waves, {clocks['escalated']} escalated, "
            f"{clocks['events']} events on {clocks['cases_with_event']} cases, {clocks['fired_twice']} fired twice "
            f"(scheduler {killed.get('name')} killed halfway; {run['sweeps']['sweep_runs']} sweeps) -> "
            f"{clocks['verdict']}")
    return out


def write(doc, out_dir=RESULTS):
    """bench/results/<date>-<short commit>[-quick].json and latest.json; returns the dated path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if doc["args"].get("quick") else ""
    if doc["args"].get("only"):  # a partial run keeps its own latest file beside the full one's
        suffix = "-" + "-".join(doc["args"]["only"]) + suffix
    name = f"{doc['date'][:10]}-{doc['commit'][:8]}{suffix}.json"
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    (out_dir / name).write_text(text + "\n")
    (out_dir / f"latest{suffix}.json").write_text(text + "\n")
    return out_dir / name


def render(doc):
    load = doc.get("load_average") or {}
    head = (f"Hotline benchmarks  {doc['date']}  commit {doc['commit'][:10]}{' (dirty tree)' if doc['dirty_tree'] else ''}"
            f"  {doc['machine']['cores']} cores, {doc['machine']['memory_gb']} GB  ({doc['seconds']} s)"
            f"  load average {load.get('before')} -> {load.get('after')}")
    parts = [head]
    if doc["console"]:
        parts += ["", "Console and API pages (median of rounds; ratio to GET /healthz on the same server)",
                  console_table(doc["console"])]
        under = under_ingest_table(doc["console"])
        if under:
            parts += ["", "Console pages while signed texts arrive (wrk, 16 connections to /twilio/sms on the same "
                      "server; idle and loaded blocks alternate in the same run)", under]
    if doc.get("dashboard"):
        parts += ["", "Dashboard and reports (median of rounds; 90-day range; full scans of big tables in the "
                  "slowest statements' plans)", dashboard_table(doc["dashboard"])]
    if doc.get("scheduler"):
        parts += ["", "Scheduler (in-process; median of runs)", scheduler_table(doc["scheduler"])]
    if doc.get("queue"):
        from bench import queue_cost

        parts += ["", "Live queue cost (server CPU seconds per second; /healthz at the same request rate)"]
        parts += [line for result in doc["queue"] for line in queue_cost.render(result)]
    if doc["ingest"]:
        parts += ["", "Webhook ingest (wrk; median of rounds; ratios to a bare Flask insert and to the plain-SQL floor, "
                  "same settings, same run)",
                  ingest_table(doc["ingest"])]
    if doc.get("two_machines"):
        parts += ["", "Two machines' worth (2 gunicorn + 2 schedulers on one PostgreSQL; wrk on both at once)",
                  two_machines_table(doc["two_machines"])]
    return "\n".join(parts)
