"""What keeping the live queue open costs the server: CPU seconds per wall-clock second.

200 operators and 3 supervisors, each a signed-in session, poll at the console's own intervals
(console.js: the queue panel and /queue/current-call every 3 s, the panel with If-None-Match as
the browser sends it; wall.js: /dashboard/wall.json every 4 s) against gunicorn as the project
runs it (gunicorn.conf.py, 2 sync workers), on a generated database with a few callers waiting.
The server's CPU is read from /proc (the master and its workers, user + system) over the window.

Runs on the same data, one after the other (the sessions signed in once):
- "healthz": every poll replaced by GET /healthz with the same cookies, at the same rate: the
  floor of Flask, the session cookie and one SELECT 1 per request;
- "after": this checkout, polled as its console.js polls (the queue page's panel poll brings the
  call pop: one request per operator every 3 s);
- "held": this checkout on threaded workers (enough threads that gunicorn.conf.py lets every
  operator's poll be held), the panel polls asking to be held as console.js asks (`Prefer:
  wait=25`), and "held-ops" the same for the 200 operators alone (the target is theirs; the
  supervisors' wall and call pops go through Flask at any thread count);
- "healthz-2" and "before" (when asked, `before_ref`): the same for an older commit's code
  (exported with `git archive` to a temporary directory; same virtualenv, same database), polled
  as the console.js before the live snapshot did (panel and current-call: two requests).
Target (issue 17.3): < 0.1 core for the 200 operators at 1M cases.
"""

import contextlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

from bench import console, serve
from bench.generate import app_engine_dispose, bench_app

TARGET_CORES = 0.1
PANEL_S, POP_S, WALL_S = 3.0, 3.0, 4.0  # console.js POLL_MS, wall.js PERIOD_MS
WAITING_CALLS = 6
HOLD_S = 25  # what console.js asks for (config QUEUE_HOLD_SECONDS)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def prepare(url, n_operators, n_supervisors):
    """Operators and supervisors to sign in as (password BENCH_PASSWORD), and callers waiting."""
    from sqlalchemy import select

    from hotline import tickets
    from hotline.dashboard.jobs import refresh_daily_figures
    from hotline.extensions import db
    from hotline.models import Availability, Channel, Contact, Direction, Role, User
    from hotline.timeutil import now

    app = bench_app(url)
    with app.app_context():
        template = db.session.scalar(select(User).where(User.role == Role.OPERATOR).limit(1))
        for role, prefix, count in ((Role.OPERATOR, "qop", n_operators), (Role.SUPERVISOR, "qsup", n_supervisors)):
            db.session.add_all(User(username=f"{prefix}{i:03d}", display_name=f"{prefix}{i:03d}", role=role,
                                    password_hash=template.password_hash, availability=Availability.AVAILABLE)
                               for i in range(count))
        for i in range(WAITING_CALLS):
            caller = tickets.find_or_create_caller(f"+86139{i:08d}")
            db.session.add(Contact(channel=Channel.VOICE, direction=Direction.INBOUND, caller=caller,
                                   from_number=caller.phone, to_number="+8610012315",
                                   queued_at=now() - timedelta(seconds=10 * i)))
        db.session.commit()
        # The scheduler's daily-figures job has rolled up yesterday on any running hotline; the
        # wall reads yesterday from it (computed live, at 1M cases, it was most of a wall build).
        refresh_daily_figures()
        db.session.commit()  # as the scheduler's job runner does
    app_engine_dispose(app)
    return ([f"qop{i:03d}" for i in range(n_operators)], [f"qsup{i:03d}" for i in range(n_supervisors)])


def held_threads(operators, workers=2):
    """Threads per worker for the held run: every operator's poll held (gunicorn.conf.py holds
    all but max(2, threads // 4)), even if the workers share them unevenly by a tenth."""
    holds = -(-operators * 11 // (10 * workers))
    return max(4, -(-holds * 4 // 3) + 1)


def sign_in(base, username):
    """A signed-in requests session (the console bench's sign-in: form, CSRF token, cookie)."""
    http = requests.Session()
    console.sign_in(http, base, username)
    return http


def plan(operators, supervisors, healthz, folded=True, seed=17):
    """[(period s, first due offset s, session index, path, sends If-None-Match)] for everyone.
    `folded`: the queue page's panel poll brings the call pop (this code's console.js); else the
    page polls /queue/current-call beside it (the console.js before the live snapshot)."""
    rng = random.Random(seed)
    polls = []
    for i in range(len(operators)):
        polls.append((PANEL_S, rng.uniform(0, PANEL_S), i, "/queue/panel", True))
        if not folded:
            polls.append((POP_S, rng.uniform(0, POP_S), i, "/queue/current-call", False))
    for j in range(len(supervisors)):
        k = len(operators) + j
        polls.append((WALL_S, rng.uniform(0, WALL_S), k, "/dashboard/wall.json", False))
        polls.append((POP_S, rng.uniform(0, POP_S), k, "/queue/current-call", False))
    if healthz:
        polls = [(p, o, i, "/healthz", False) for p, o, i, _path, _etag in polls]
    return polls


def server_cpu_seconds(pid):
    """User + system CPU seconds of `pid` and its children (the gunicorn master and workers)."""
    total = 0.0
    for p in [pid] + _children(pid):
        with contextlib.suppress(OSError), open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def _children(pid):
    found = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as f:
                found += [int(c) for c in f.read().split()]
    return found


def drive(base, sessions, polls, warmup, seconds, threads=64, hold=0):
    """Send every poll on its schedule for warmup + seconds; CPU and counts over the last part.
    Like the browser's setInterval with console.js's busy flag, a tick missed while a poll was
    still out is skipped, not sent late in a burst (counted as "missed").
    `hold` > 0: the panel polls ask to be held (`Prefer: wait=hold`) as console.js does when the
    page offers it, each on its own thread, the next one due `period` after the last one started
    or at once if it was held longer (console.js's schedule: a held poll is not a missed tick)."""
    if hold:
        threads = len(polls)
    lock = threading.Lock()
    counts = {"sent": 0, "status": {}, "missed": 0, "not_modified": 0}
    etags = {}
    start = time.monotonic() + 0.5
    stop = start + warmup + seconds

    def worker(mine):
        due = [start + offset for _period, offset, *_ in mine]
        while True:
            k = min(range(len(mine)), key=due.__getitem__)
            at = due[k]
            if at >= stop:
                return
            pause = at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            period, _offset, who, path, conditional = mine[k]
            headers = {"X-Requested-With": "fetch"}
            if conditional and etags.get((who, path)):
                headers["If-None-Match"] = etags[(who, path)]
                if hold:
                    headers["Prefer"] = f"wait={hold}"
            try:
                resp = sessions[who].get(base + path, headers=headers, allow_redirects=False, timeout=30)
                code = resp.status_code
                if conditional and resp.headers.get("ETag"):
                    etags[(who, path)] = resp.headers["ETag"]
            except requests.RequestException:
                code = "error"
            counted = time.monotonic() >= start + warmup
            with lock:
                if counted:
                    counts["sent"] += 1
                    counts["status"][code] = counts["status"].get(code, 0) + 1
                    counts["not_modified"] += code == 304
            nxt = at + period
            if hold and conditional:
                nxt = max(nxt, time.monotonic() + 0.001)
            while nxt < time.monotonic():
                nxt += period
                if counted:
                    with lock:
                        counts["missed"] += 1
            due[k] = nxt

    shares = [polls[i::threads] for i in range(threads)]
    runners = [threading.Thread(target=worker, args=(share,), daemon=True) for share in shares if share]
    for r in runners:
        r.start()
    return runners, counts, start + warmup, stop


def measure(server, proc_pid, sessions, polls, warmup, seconds, hold=0):
    runners, counts, begin, stop = drive(server.base, sessions, polls, warmup, seconds, hold=hold)
    time.sleep(max(begin - time.monotonic(), 0))
    cpu0, t0 = server_cpu_seconds(proc_pid), time.monotonic()
    time.sleep(max(stop - time.monotonic(), 0))
    cpu1, t1 = server_cpu_seconds(proc_pid), time.monotonic()
    for r in runners:
        r.join(timeout=60)
    wall = t1 - t0
    offered = sum(1 / p for p, *_ in polls)
    return {"cores": round((cpu1 - cpu0) / wall, 3), "req_per_s": round(counts["sent"] / wall, 1),
            "offered_req_per_s": round(offered, 1), "missed": counts["missed"],
            "not_modified": counts["not_modified"],
            "statuses": {str(k): v for k, v in sorted(counts["status"].items(), key=str)},
            "seconds": round(wall, 1)}


@contextlib.contextmanager
def exported(ref):
    """The project's files at git `ref`, in a temporary directory (no worktree, no checkout)."""
    tmp = Path(tempfile.mkdtemp(prefix="hotline-before-"))
    try:
        archive = subprocess.run(["git", "archive", ref], cwd=serve.ROOT, capture_output=True, check=True,
                                 timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True, timeout=120)
        for compiled in (serve.ROOT / "translations").rglob("*.mo"):  # built files, not in git
            target = tmp / compiled.relative_to(serve.ROOT)
            if target.parent.exists():
                shutil.copyfile(compiled, target)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(backend, n_tickets, quick=False, log=print, before_ref=None, operators=200, supervisors=3, seconds=None,
        hold=HOLD_S):
    """The runs ("healthz", "after"[, "before"]) on `n_tickets` cases; rows for the report."""
    warmup, seconds = (3, seconds or 8) if quick else (10, seconds or 40)
    if quick:
        operators = min(operators, 20)
    label = f"queue {backend}-{n_tickets // 1000}k"
    rows = []
    with serve.generated_database(backend, n_tickets, log=log) as (url, gen):
        ops, sups = prepare(url, operators, supervisors)
        sessions = None
        # /healthz at the rate of each kind of poller: the floor each run is compared with.
        # "held-ops": the held run's operators alone (the target's 200), without the supervisors'
        # wall and call pops, which go through Flask at any thread count.
        runs = [("healthz", None, True), ("after", None, True), ("held", None, True), ("held-ops", None, True)]
        if before_ref:
            runs += [("healthz-2", None, False), ("before", before_ref, False)]
        for name, ref, folded in runs:
            # "held": the same code on threaded workers that hold unchanged polls (gunicorn.conf.py
            # holds all but a quarter of a worker's threads): enough threads for every operator.
            held = name.startswith("held")
            threads = held_threads(len(ops)) if held else 1
            with contextlib.ExitStack() as stack:
                root = stack.enter_context(exported(ref)) if ref else serve.ROOT
                server = stack.enter_context(serve.gunicorn("wsgi:app", url, workers=2, threads=threads, cwd=root,
                                                            PYTHONPATH=str(root)))
                if sessions is None:  # once: the cookies hold for every run (same key, same database)
                    log(f"[{label}] signing in {len(ops) + len(sups)} sessions")
                    with ThreadPoolExecutor(4) as pool:
                        sessions = list(pool.map(lambda u, base=server.base: sign_in(base, u), ops + sups))
                polls = plan(ops, sups, healthz=name.startswith("healthz"), folded=folded)
                if name == "held-ops":
                    polls = [p for p in polls if p[3] == "/queue/panel"]
                log(f"[{label}] {name}: {len(polls)} polls, {warmup} s warm-up + {seconds} s measured")
                row = measure(server, server.pid, sessions, polls, warmup, seconds,
                              hold=hold if held else 0)
                row.update(run=name, ref=ref or "this checkout", errors=len(server.errors()))
                rows.append(row)
                log(f"[{label}] {name}: {row['cores']} core at {row['req_per_s']} req/s "
                    f"(offered {row['offered_req_per_s']}), {row['not_modified']} × 304, missed {row['missed']}")
    floors = {"after": "healthz", "held": "healthz", "held-ops": "healthz", "before": "healthz-2"}
    for row in rows:
        floor = next((r["cores"] for r in rows if r["run"] == floors.get(row["run"], row["run"])), None)
        row["ratio_to_healthz"] = round(row["cores"] / floor, 2) if floor else None
        row["verdict"] = ("baseline" if row["run"].startswith("healthz")
                          else "PASS" if row["cores"] < TARGET_CORES else "MISS")
    return {"backend": backend, "tickets": n_tickets, "operators": len(ops), "supervisors": len(sups),
            "generate": gen, "target_cores": TARGET_CORES, "runs": rows}


def render(result):
    """Lines for the report: one per run, the baseline first."""
    if "missing" in result:
        return [f"queue cost {result['backend']}: {result['missing']}"]
    head = (f"queue cost, {result['backend']}, {result['tickets']:,} cases, {result['operators']} operators + "
            f"{result['supervisors']} supervisors (target < {result['target_cores']} core):")
    lines = [head]
    for r in result["runs"]:
        lines.append(f"  {r['run']:<8} {r['cores']:>6.3f} core  {r['req_per_s']:>6.1f} req/s "
                     f"(offered {r['offered_req_per_s']})  ×healthz {r['ratio_to_healthz']}  "
                     f"304s {r['not_modified']}  missed {r['missed']}  errors {r['errors']}  {r['verdict']}")
    return lines

