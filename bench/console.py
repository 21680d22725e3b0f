"""Console and API page latency on a generated database, against GET /healthz on the same server.

Each page is requested in interleaved rounds (every page once per round, the baseline too),
so the machine's noise falls on all of them alike; figures are medians and p95 of the rounds.
"""

import random
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests
from sqlalchemy import event, func, select

from bench import serve
from bench.generate import BENCH_OPERATOR, BENCH_PASSWORD, BENCH_SUPERVISOR, app_engine_dispose, bench_app
from hotline.extensions import db

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = {100_000: 100, 1_000_000: 200}
SUGGEST_TARGET_MS = 100
WORDS = ["空调", "预付款", "退款", "假货", "宽带", "健身年卡", "物业服务", "缺斤短两"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
# The pages whose slowest query gets an EXPLAIN in the report.
EXPLAINED = ("console: /", "queue panel", "search: phone tail", "search: words", "ticket page", "api: phone", "api: text")


def target_for(n_tickets):
    """100 ms at 100k tickets, 200 ms at 1M (and 100 ms below 100k)."""
    return 200 if n_tickets >= 1_000_000 else 100


def samples(url, n_numbers=60, seed=7):
    """Real case numbers, phone tails and an API token from the database, for the requests."""
    from hotline import accounts
    from hotline.models import Caller, Ticket, User

    app = bench_app(url)
    rng = random.Random(seed)
    with app.app_context():
        max_id = db.session.scalar(select(func.max(Ticket.id))) or 0
        ids = [rng.randint(1, max_id) for _ in range(n_numbers)]
        numbers = list(db.session.scalars(select(Ticket.number).where(Ticket.id.in_(ids))))
        rng.shuffle(numbers)
        phones = list(db.session.scalars(select(Caller.phone).where(Caller.id.in_([rng.randint(1, 5000)
                                                                                     for _ in range(40)]))))
        supervisor = db.session.scalar(select(User).where(User.username == BENCH_SUPERVISOR))
        token, _ = accounts.create_token(supervisor, "bench")
        db.session.commit()
    app_engine_dispose(app)
    return {"numbers": numbers, "tails": [p[-4:] for p in phones], "phones": [p[3:] for p in phones],
            "words": WORDS, "token": token, "texts": suggestion_texts()}


def suggestion_texts(limit=200):
    """Callers' words for the suggestion round trips: the labelled set's held-back test texts."""
    from intake.classifier import load_cases

    return [c["text"] for c in load_cases() if c.get("split") == "test"][:limit] or WORDS


def pages(s):
    """(name, path maker, uses the API token[, body maker]) for every page the brief names. A
    body maker gives ("json" | "form", data) and makes the request a POST."""
    def cycle(values):
        it = iter(range(10**9))
        return lambda: values[next(it) % len(values)]

    num, tail, phone, word = cycle(s["numbers"]), cycle(s["tails"]), cycle(s["phones"]), cycle(s["words"])
    text = cycle(s.get("texts") or WORDS)
    return [
        ("console: /", lambda: "/", False),
        ("queue panel", lambda: "/queue/panel", False),
        ("my cases", lambda: "/my", False),
        ("search: phone tail", lambda: f"/search?q={tail()}", False),
        ("search: words", lambda: f"/search?q={quote(word())}", False),
        ("search: case number", lambda: f"/search?q={num()}", False),
        ("ticket page", lambda: f"/tickets/{num()}", False),
        ("api: phone", lambda: f"/api/v1/tickets?phone={phone()}", True),
        ("api: text", lambda: f"/api/v1/tickets?text={quote(word())}", True),
        ("api: ticket", lambda: f"/api/v1/tickets/{num()}", True),
        # Issue 15.9: the suggestion as the intake form asks for it while the operator types
        # (CSRF token of the signed-in session), and its API twin.
        ("suggest: intake form", lambda: f"/intake/tickets/{num()}/suggestion", False,
         lambda: ("form", {"facts": text(), "csrf_token": s.get("csrf", "")})),
        ("api: suggest", lambda: "/api/v1/suggest", True, lambda: ("json", {"text": text()})),
    ]


def sign_in(http, base, username=BENCH_OPERATOR):
    """Fetch the form, post it with its CSRF token; the session cookie stays in `http`.
    Returns the session's CSRF token (for the POSTs a signed-in page makes)."""
    form = http.get(base + "/login", timeout=30)
    match = CSRF.search(form.text)
    data = {"username": username, "password": BENCH_PASSWORD}
    if match:
        data["csrf_token"] = match.group(1) or match.group(2)
    done = http.post(base + "/login", data=data, allow_redirects=False, timeout=30)
    if done.status_code != 302 or "/login" in done.headers.get("Location", ""):
        raise RuntimeError(f"sign-in failed: {done.status_code}")
    page = CSRF.search(http.get(base + "/", timeout=30).text)
    return (page.group(1) or page.group(2)) if page else ""


def measure(base, s, rounds, time_limit):
    """Interleaved rounds of every page plus /healthz; returns {name: {times, statuses}}."""
    http = requests.Session()
    s["csrf"] = sign_in(http, base)
    api_headers = {"Authorization": f"Bearer {s['token']}", "Accept": "application/json"}
    plan = [("baseline: /healthz", lambda: "/healthz", False)] + pages(s)
    seen = {name: {"times": [], "statuses": {}, "path": None} for name, *_ in plan}
    missing = set()
    deadline = time.monotonic() + time_limit
    for r in range(rounds + 2):  # two warm-up rounds, not counted
        for name, path_of, api, *body_of in plan:
            if name in missing:
                continue
            path, status, elapsed = _timed(http, base, path_of, api_headers if api else None, body_of)
            entry = seen[name]
            entry["path"] = entry["path"] or path
            entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
            if status == 404 and r == 0 and "ticket" not in name:
                missing.add(name)  # the page is not built yet
            if r >= 2:
                entry["times"].append(elapsed)
        if time.monotonic() > deadline:
            break
    return seen, missing


def _timed(http, base, path_of, headers, body_of):
    """(path, status, milliseconds) of one request."""
    path = path_of()
    start = time.perf_counter()
    resp = _request(http, base + path, headers, body_of)
    return path, resp.status_code, (time.perf_counter() - start) * 1000


# Issue 17.4: the pages an operator keeps using while texts pour in, on the same server: as the
# benchmarks run it (2 sync workers) and threaded, as README advises for a hotline's operators.
UNDER_INGEST = ("baseline: /healthz", "console: /", "queue panel", "search: phone tail", "ticket page", "api: ticket")
INGEST_CONNECTIONS = 16
UNDER_INGEST_THREADS = (1, 8)


def under_ingest(url, s, n_tickets, quick=False, log=print):
    """The console's pages timed in alternating blocks, idle and while wrk sends signed new texts to
    /twilio/sms at 16 connections to the same gunicorn (2 workers, sync and then threaded): a page
    shares the workers with the webhooks, and on SQLite must not wait for their write lock. Both
    modes in the same run; every page must answer as it does idle (no 5xx) and within its target."""
    from bench import ingest

    if not ingest.wrk_path():
        return {"missing": "wrk is not installed (apt-get install -y wrk)"}
    blocks, per_block = (1, 2) if quick else (3, 10)
    plan = [p for p in [("baseline: /healthz", lambda: "/healthz", False)] + pages(s) if p[0] in UNDER_INGEST]
    api_headers = {"Authorization": f"Bearer {s['token']}", "Accept": "application/json"}
    phones = iter(range(700_000_000, 800_000_000, 100_000))  # numbers the generated callers do not use
    runs = []
    for threads in UNDER_INGEST_THREADS:
        seen = {mode: {name: {"times": [], "statuses": {}} for name, *_ in plan} for mode in ("idle", "ingest")}
        texts = []
        with serve.gunicorn("wsgi:app", url, workers=2, threads=threads) as server, \
                tempfile.TemporaryDirectory() as tmp:
            http = requests.Session()
            sign_in(http, server.base)
            bodies = ingest.Bodies(server.base)  # signed for this server's PUBLIC_BASE_URL
            bodies.phone_seq = next(phones)
            _rounds(http, server.base, plan, api_headers, 1, None)  # warm-up
            for b in range(blocks):
                _rounds(http, server.base, plan, api_headers, per_block, seen["idle"])
                f = Path(tmp) / "texts.txt"
                bodies.write("sms", "/twilio/sms", 3000 if quick else 8000, f)
                with ingest.Background(server.base + "/twilio/sms", "/twilio/sms", INGEST_CONNECTIONS, f) as wrk:
                    time.sleep(1)  # the webhooks' queue builds up before the first page
                    _rounds(http, server.base, plan, api_headers, per_block, seen["ingest"])
                texts.append(wrk.figures)
                log(f"[console under ingest] {threads} thread(s), block {b + 1}/{blocks}: "
                    f"{wrk.figures['ok200']} texts answered 200")
            errors = server.errors()
        runs.append({"threads": threads, **_summarise_under_ingest(seen, texts, n_tickets, errors)})
    return {"workers": 2, "connections": INGEST_CONNECTIONS, "runs": runs}


def _rounds(http, base, plan, api_headers, count, sink):
    """`count` rounds of every page in `plan`, times and statuses into `sink` (None: a warm-up)."""
    for _ in range(count):
        for name, path_of, api, *body_of in plan:
            _, status, ms = _timed(http, base, path_of, api_headers if api else None, body_of)
            if sink is not None:
                sink[name]["times"].append(ms)
                sink[name]["statuses"][status] = sink[name]["statuses"].get(status, 0) + 1


def _summarise_under_ingest(seen, texts, n_tickets, errors=()):
    target = target_for(n_tickets)
    rows = []
    for name, idle in seen["idle"].items():
        busy = seen["ingest"][name]
        med_idle, med_busy = serve.median(idle["times"]), serve.median(busy["times"])
        failed = sorted(code for code in busy["statuses"] if code >= 400)
        if name.startswith("baseline"):
            verdict = "baseline"
        elif failed:
            verdict = "error " + "/".join(map(str, failed))
        else:
            verdict = "PASS" if med_busy is not None and med_busy < target else "MISS"
        rows.append({"page": name, "idle_median_ms": _r(med_idle), "idle_p95_ms": _r(serve.percentile(idle["times"], 95)),
                     "ingest_median_ms": _r(med_busy), "ingest_p95_ms": _r(serve.percentile(busy["times"], 95)),
                     "x_idle": _r(med_busy / med_idle) if med_busy and med_idle else None, "n": len(busy["times"]),
                     "statuses": {str(k): v for k, v in sorted(busy["statuses"].items())},
                     "target_ms": None if name.startswith("baseline") else target, "verdict": verdict})
    seconds = sum(t["duration_us"] for t in texts) / 1e6
    ok = sum(t["ok200"] for t in texts)
    return {"pages": rows,
            "texts": {"ok200": ok, "per_s": round(ok / seconds, 1) if seconds else None, "seconds": round(seconds, 1),
                      "non200": sum(t["non200"] for t in texts),
                      "errors": sum(sum(t["errors"].values()) for t in texts),
                      "p99_ms": max((round(t["p99_us"] / 1000, 1) for t in texts), default=None)},
            "server_errors": sum(ln.startswith("Traceback") for ln in errors)}


def _request(http, url, headers, body_of):
    if not body_of:
        return http.get(url, headers=headers, allow_redirects=False, timeout=60)
    kind, data = body_of[0]()
    body = {"json": data} if kind == "json" else {"data": data}
    return http.post(url, headers=headers, allow_redirects=False, timeout=60, **body)


def summarise(seen, missing, n_tickets):
    """One row per page: median, p95, ratio to the baseline's median, target, verdict."""
    base = serve.median(seen["baseline: /healthz"]["times"])
    rows = []
    for name, entry in seen.items():
        # The suggestion answers while the caller talks: 100 ms at any size (issue 15.9).
        target = SUGGEST_TARGET_MS if name.startswith(("suggest", "api: suggest")) else target_for(n_tickets)
        ok = sum(c for code, c in entry["statuses"].items() if code < 400)
        med, p95 = serve.median(entry["times"]), serve.percentile(entry["times"], 95)
        if name in missing or (entry["statuses"] and set(entry["statuses"]) == {404}):
            verdict = "missing"
        elif not ok:
            verdict = "error " + "/".join(str(c) for c in sorted(entry["statuses"]))
        elif name.startswith("baseline"):
            verdict = "baseline"
        else:
            verdict = "PASS" if med < target else "MISS"
        rows.append({
            "page": name, "path": entry["path"], "n": len(entry["times"]),
            "statuses": {str(k): v for k, v in sorted(entry["statuses"].items())},
            "median_ms": _r(med), "p95_ms": _r(p95),
            "ratio": _r(med / base) if med and base and verdict not in ("missing",) else None,
            "target_ms": None if name.startswith("baseline") else target, "verdict": verdict,
        })
    return rows


def _r(v):
    return None if v is None else round(v, 1)


class QueryLog:
    """Every SQL statement a request runs, with its time: the slowest gets an EXPLAIN."""

    def __init__(self, engine):
        self.engine, self.items = engine, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        self.items.append(((time.perf_counter() - conn.info.pop("bench_t0")) * 1000, statement, params))

    def take(self):
        items, self.items = self.items, []
        return items


def inspect_pages(url, s, rows, profile_dir, label):
    """In-process, for every page: its queries (count, SQL time, slowest); EXPLAIN of the heavy
    pages' slowest query; a pyinstrument profile of any page that missed its target."""
    app = bench_app(url, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    client = app.test_client()
    api_headers = {"Authorization": f"Bearer {s['token']}", "Accept": "application/json"}
    found, plans, profiles = {}, {}, []
    with app.app_context():
        log = QueryLog(db.engine)
        _client_sign_in(client)
        for name, _path_of, api, *body_of in pages(s):
            row = next(r for r in rows if r["page"] == name)
            if body_of or row["verdict"] == "missing" or row["verdict"].startswith("error"):
                continue  # POSTs: the model's own time is bench.suggest_accuracy's "model_only"
            path = row["path"]
            log.take()
            client.get(path, headers=api_headers if api else None)
            queries = log.take()
            slowest = max(queries, key=lambda q: q[0]) if queries else None
            found[name] = {"queries": len(queries), "sql_ms": _r(sum(q[0] for q in queries)),
                           "slowest_ms": _r(slowest[0]) if slowest else None,
                           "slowest_sql": _short(slowest[1]) if slowest else None}
            if slowest and name in EXPLAINED:
                plans[name] = explain(db.engine, slowest[1], slowest[2])
            if row["verdict"] == "MISS":
                profiles.append(_profile(client, path, api_headers if api else None, profile_dir, label, name))
        db.session.remove()
    app_engine_dispose(app)
    return found, plans, [p for p in profiles if p]


def _client_sign_in(client, username=BENCH_OPERATOR):
    form = client.get("/login")
    match = CSRF.search(form.get_data(as_text=True))
    data = {"username": username, "password": BENCH_PASSWORD}
    if match:
        data["csrf_token"] = match.group(1) or match.group(2)
    client.post("/login", data=data)


def _short(sql, limit=600):
    sql = " ".join(sql.split())
    return sql if len(sql) <= limit else sql[:limit] + " …"


def explain(engine, statement, params):
    """The database's plan for one statement (EXPLAIN ANALYZE on PostgreSQL)."""
    pg = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if pg else "EXPLAIN QUERY PLAN "
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(prefix + statement, params)
        lines = [row[0] if pg else f"{'  ' * _depth(row)}{row[-1]}" for row in cur.fetchall()]
        return [_short(statement, 400)] + lines[:40]
    except Exception as exc:  # a plan is a courtesy; the figures stand without it
        return [_short(statement, 400), f"(EXPLAIN failed: {exc})"]
    finally:
        raw.rollback()
        raw.close()


def _depth(row):
    return 0 if len(row) < 4 or not row[1] else 1


def _profile(client, path, headers, profile_dir, label, name, repeat=5):
    """A pyinstrument text profile of `repeat` requests to a page that missed its target."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.0005 if repeat > 1 else 0.005)
    profiler.start()
    for _ in range(repeat):
        client.get(path, headers=headers)
    profiler.stop()
    slug = re.sub(r"[^a-z0-9]+", "-", f"{label}-{name}".lower()).strip("-")
    out = profile_dir / f"profile-{slug}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return str(out.relative_to(RESULTS.parent.parent))


def run(backend, n_tickets, quick=False, log=print, profile_dir=RESULTS, then=None, pages_too=True,
        under_load=False):
    """Generate `n_tickets` into a fresh database, serve it with gunicorn, time every page.
    `then`: (name, fn(url)) pairs run afterwards on the same data (dashboard, scheduler); their
    results come back under "after". `pages_too=False` runs only those. `under_load`: last (the
    texts it sends change the data), the pages again while texts arrive (`under_ingest`)."""
    from bench.generate import check

    rounds, limit = (5, 40) if quick else (30, 240)
    if quick:  # a smoke's profiles would overwrite the committed ones
        profile_dir = Path(tempfile.gettempdir()) / "hotline-bench-profiles"
    label = f"{backend}-{n_tickets // 1000}k"
    after = {}
    log(f"[console {label}] {n_tickets:,} tickets (generated once, then copied from the cache)")
    with serve.generated_database(backend, n_tickets, log=log) as (url, gen):
        gen["check"] = check(url)
        load = serve.load_average()
        rows, queries, plans, profiles, server_errors = [], {}, [], {}, []
        if pages_too:
            s = samples(url)
            log(f"[console {label}] timing pages ({rounds} rounds)")
            with serve.gunicorn("wsgi:app", url, workers=2) as server:
                seen, missing = measure(server.base, s, rounds, limit)
                server_errors = server.errors()
            rows = summarise(seen, missing, n_tickets)
            log(f"[console {label}] queries, plans and profiles")
            queries, plans, profiles = inspect_pages(url, s, rows, profile_dir, label)
        for name, fn in then or []:
            after[name] = fn(url)
        under = None
        if pages_too and under_load:
            log(f"[console {label}] pages while texts arrive")
            under = under_ingest(url, s, n_tickets, quick=quick, log=log)
    for row in rows:
        row.update(queries.get(row["page"], {}))
    return {"backend": backend, "tickets": n_tickets, "generate": gen, "load_average": load, "after": after,
            "rounds": rounds, "under_ingest": under,
            "target_ms": target_for(n_tickets), "pages": rows, "plans": plans, "profiles": profiles,
            "server_errors": sum(ln.startswith("Traceback") for ln in server_errors),
            "server_error_sample": sorted({e[:300] for e in server_errors if "Error: " in e})[:5]}
