"""The live wall and the reports (the issue's benchmark 3) on the generated data.

The pages are found at run time in the app's url_map: every GET rule of the "dashboard." and
"reports." blueprints that takes no path argument. Reports get a 90-day range ending on the
generator's last day. Like the console benchmark: gunicorn (2 sync workers), a supervisor
signed in, interleaved rounds with GET /healthz as the baseline, median and p95. Targets:
200 ms for the wall (dashboard.*), 1 s for a report (reports.*). Afterwards each page runs once
in-process with its SQL timed, and the slowest statements get their query plans, written to
bench/results/plans-dashboard-<db>-<size>.txt, with every full scan of a big table flagged.
"""

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from bench import console, serve
from bench.generate import BENCH_SUPERVISOR, app_engine_dispose, bench_app
from hotline.extensions import db

TARGET_MS = {"dashboard": 200, "reports": 1000}
BIG_TABLES = ("tickets", "contacts", "ticket_events", "callers", "clocks", "outbox_messages")
PG_SEQ = re.compile(r"Seq Scan on (\w+)")
SQLITE_SCAN = re.compile(r"\bSCAN (\w+)(?! USING)")
PLANS_PER_PAGE = 3


def discover(url):
    """[(name, path)] of the wall's and the reports' parameterless GET pages."""
    app = bench_app(url)
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".", 1)[0]
        if blueprint in TARGET_MS and "GET" in rule.methods and not rule.arguments:
            found.append((rule.endpoint, rule.rule))
    app_engine_dispose(app)
    return sorted(found)


def report_args(end, days=90):
    return {"start": (end - timedelta(days=days - 1)).isoformat(), "end": end.isoformat(), "group": "day"}


def run(backend, url, n_tickets, end, quick=False, log=print, plans_dir=console.RESULTS):
    """Time every wall and report page on the database at `url`; returns rows for the report."""
    found = discover(url)
    label = f"{backend}-{n_tickets // 1000}k"
    if not found:
        return {"backend": backend, "tickets": n_tickets, "missing": "no dashboard.* or reports.* pages yet"}
    end = date.fromisoformat(end) if isinstance(end, str) else end
    query = "?" + urlencode(report_args(end))
    pages = [(name, path + (query if name.startswith("reports.") else "")) for name, path in found]
    rounds, limit = (4, 40) if quick else (12, 150)
    clocks = _seed_clocks(url, log)
    rolled = _roll_up(url, end, log)
    log(f"[dashboard {label}] {len(pages)} pages: {', '.join(n for n, _ in pages)}; {rounds} rounds")
    load = serve.load_average()
    with serve.gunicorn("wsgi:app", url, workers=2) as server:
        seen, missing = _measure(server.base, pages, rounds, limit)
        errors = server.errors()
    rows = _summarise(seen, missing)
    plans, full_scans, queries = _plans(url, pages, rows)
    path = plans_dir / f"plans-dashboard-{label}.txt"
    if not quick:
        path.write_text("\n".join(plans) + "\n")
    profiles = []
    if not quick:
        profiles = _profiles(url, [r for r in rows if r["verdict"] == "MISS"], label)
    for row in rows:
        row.update(queries.get(row["page"], {}))
    return {"backend": backend, "tickets": n_tickets, "load_average": load, "rounds": rounds, "range": report_args(end),
            "roll_up": rolled, "clocks_seeded": clocks,
            "pages": rows, "plans_file": None if quick else str(path.relative_to(serve.ROOT)),
            "full_scans": full_scans, "profiles": profiles,
            "server_errors": sum(ln.startswith("Traceback") for ln in errors),
            "server_error_sample": sorted({e[:300] for e in errors if "Error: " in e})[:5]}


# The duty each open status's clock measures, and its length in days (calendar days: a bench figure).
OPEN_CLOCKS = {"new": ("accept", 7), "accepted": ("forward", 3), "forwarded": ("mediation", 45),
               "in_progress": ("mediation", 45), "resolved": ("callback", 10)}


def _seed_clocks(url, log):
    """A running clock on every open case (the generator writes none), overdue ones already
    escalated as the sweep would have, so the wall's late cases and the follow-up figures
    read a realistic clocks table."""
    from sqlalchemy import text

    from bench.generate import Sink

    app = bench_app(url)
    with app.app_context():
        if db.session.scalar(text("SELECT count(*) FROM clocks")):
            db.session.remove()
            app_engine_dispose(app)
            return 0
        now = db.session.scalar(text("SELECT max(created_at) FROM tickets"))
        now = now if not isinstance(now, str) else datetime.fromisoformat(now)  # SQLite gives text
        rows = []
        for tid, status, created in db.session.execute(text(
                "SELECT id, status, created_at FROM tickets WHERE status IN ('new', 'accepted', 'forwarded', "
                "'in_progress', 'resolved')")):
            created = created if not isinstance(created, str) else datetime.fromisoformat(created)
            kind, days = OPEN_CLOCKS[status]
            due = created + timedelta(days=days)
            late = due < now
            rows.append((tid, kind, "running", created, due, due - timedelta(days=1) if late else None,
                         due if late else None, False))
        db.session.commit()
        sink = Sink(db.engine)
        sink.write(db.metadata.tables["clocks"], ["ticket_id", "kind", "state", "started_at", "due_at",
                                                   "warned_at", "overdue_at", "estimated"], rows)
        sink.commit()
        sink.close()
        db.session.remove()
    app_engine_dispose(app)
    log(f"[dashboard] {len(rows):,} running clocks on the open cases")
    return len(rows)


def _roll_up(url, end, log, days=90):
    """The daily roll-ups of the 90 days, as the scheduler's daily-figures job keeps them in a
    hotline that has run a while (reports read them instead of counting cases day by day)."""
    try:
        from hotline.dashboard import rollups
    except ImportError:
        return None
    import time

    app = bench_app(url)
    started = time.perf_counter()
    with app.app_context():
        rows = 0
        for i in range(days):
            rows += rollups.refresh_day(end - timedelta(days=i))
            db.session.commit()
        db.session.remove()
    app_engine_dispose(app)
    seconds = time.perf_counter() - started
    log(f"[dashboard] rolled up {days} days ({rows} rows) in {seconds:.1f} s")
    return {"days": days, "rows": rows, "seconds": round(seconds, 1), "per_day_s": round(seconds / days, 2)}


def _measure(base, pages, rounds, time_limit):
    import time

    import requests

    http = requests.Session()
    console.sign_in(http, base, BENCH_SUPERVISOR)
    plan = [("baseline: /healthz", "/healthz")] + pages
    seen = {name: {"times": [], "statuses": {}, "path": path} for name, path in plan}
    missing = set()
    deadline = time.monotonic() + time_limit
    slow = set()
    for r in range(rounds + 1):  # one warm-up round
        for name, path in plan:
            if name in missing or (name in slow and r > 1):
                continue
            started = time.perf_counter()
            try:
                resp = http.get(base + path, allow_redirects=False, timeout=120)
            except requests.RequestException:  # gunicorn kills a worker after 60 s: the page never answered
                missing.add(name)
                seen[name]["statuses"]["timeout"] = 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if r == 0 and not name.startswith("baseline") and elapsed > 10 * TARGET_MS[name.split(".", 1)[0]]:
                slow.add(name)  # ten times over its target: one timed sample is verdict enough
            entry = seen[name]
            entry["statuses"][resp.status_code] = entry["statuses"].get(resp.status_code, 0) + 1
            if resp.status_code >= 400 and r == 0 and not name.startswith("baseline"):
                missing.add(name)
            if r >= 1:
                entry["times"].append(elapsed)
        if time.monotonic() > deadline:
            break
    return seen, missing


def _summarise(seen, missing):
    base = serve.median(seen["baseline: /healthz"]["times"])
    rows = []
    for name, entry in seen.items():
        med, p95 = serve.median(entry["times"]), serve.percentile(entry["times"], 95)
        target = None if name.startswith("baseline") else TARGET_MS[name.split(".", 1)[0]]
        if name.startswith("baseline"):
            verdict = "baseline"
        elif name in missing:
            verdict = "error " + "/".join(str(c) for c in sorted(entry["statuses"], key=str))
        else:
            verdict = "PASS" if med < target else "MISS"
        rows.append({"page": name, "path": entry["path"], "n": len(entry["times"]),
                     "statuses": {str(k): v for k, v in entry["statuses"].items()},
                     "median_ms": console._r(med), "p95_ms": console._r(p95),
                     "ratio": console._r(med / base) if med and base else None,
                     "target_ms": target, "verdict": verdict})
        if entry["statuses"].get("timeout"):
            rows[-1]["verdict"] = "no answer in 60 s"
    return rows


def _plans(url, pages, rows):
    """Each page once in-process: its query count and SQL time, and the plans of its slowest statements."""
    app = bench_app(url, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    client = app.test_client()
    out, scans, queries = [], {}, {}
    with app.app_context():
        qlog = console.QueryLog(db.engine)
        console._client_sign_in(client, BENCH_SUPERVISOR)
        for name, path in pages:
            if next(r for r in rows if r["page"] == name)["verdict"].startswith(("error", "timeout")):
                continue
            qlog.take()
            client.get(path)
            taken = sorted(qlog.take(), key=lambda q: -q[0])
            queries[name] = {"queries": len(taken), "sql_ms": console._r(sum(q[0] for q in taken))}
            out.append(f"=== {name}  {path}  ({len(taken)} statements, {queries[name]['sql_ms']} ms of SQL)")
            for ms, statement, params in taken[:PLANS_PER_PAGE]:
                plan = console.explain(db.engine, statement, params)
                out.append(f"--- {ms:.1f} ms")
                out += plan
                found = _full_scans(plan[1:])
                if found:
                    scans.setdefault(name, sorted(set(scans.get(name, [])) | found))
        db.session.remove()
    app_engine_dispose(app)
    return out, scans, queries


def _full_scans(lines):
    found = set()
    for line in lines:
        for pattern in (PG_SEQ, SQLITE_SCAN):
            found |= {t for t in pattern.findall(line) if t in BIG_TABLES}
    return found


def _profiles(url, missed, label):
    if not missed:
        return []
    app = bench_app(url, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    client = app.test_client()
    out = []
    with app.app_context():
        console._client_sign_in(client, BENCH_SUPERVISOR)
        for row in missed:
            slow = row["median_ms"] and row["median_ms"] > 10 * row["target_ms"]
            out.append(console._profile(client, row["path"], None, console.RESULTS, label, row["page"],
                                        repeat=1 if slow else 3))
        db.session.remove()
    app_engine_dispose(app)
    return [p for p in out if p]
