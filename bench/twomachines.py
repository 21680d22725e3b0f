"""Two machines' worth on one PostgreSQL (the issue's benchmark 5).

Two gunicorn instances (2 workers each) on two ports and two `flask hotline scheduler`
processes share one database. wrk loads both instances at once with signed /twilio/sms
requests (each a new case, each case an acknowledgement SMS in the outbox), 8 connections
each, 16 in all; the baseline is the bare Flask insert (bench/baseline_app.py), also as two
instances, in the same interleaved rounds.

Proof of "sent once": the schedulers' Twilio sender points at a counting stand-in for
Twilio's Messages API on 127.0.0.1 (this process), which records every POST it receives.
Every acknowledgement carries its case number, so a (To, Body) pair received twice is an SMS
sent twice; the receiver also hands out a fresh SID each time, and each received SID must be
stored on exactly one outbox row.

Proof of "fired once": before the load, open cases with clocks already overdue are written;
halfway through, the scheduler that leads is killed (SIGKILL, a machine lost) and a second
wave of overdue clocks is written, which the new leader sweeps. Afterwards every such clock
must have exactly one escalation event (clock_overdue) on its case.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from sqlalchemy import text

from bench import baseline_app, ingest, serve
from bench.generate import Sink, app_engine_dispose, bench_app, generate
from hotline.extensions import db

ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
_SEGMENTS = []


class Receiver:
    """A stand-in for POST /2010-04-01/Accounts/<sid>/Messages.json that counts what arrives."""

    def __init__(self):
        self.received, self.lock = [], threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                sid = "SM" + uuid.uuid4().hex
                with outer.lock:
                    outer.received.append((form.get("To", [""])[0], form.get("Body", [""])[0], sid))
                body = json.dumps({"sid": sid, "status": "queued", "account_sid": ACCOUNT_SID,
                                   "to": form.get("To", [""])[0], "from": form.get("From", [""])[0]}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def scheduler_process(url, receiver_url, name):
    env = serve.server_env(url, 5000, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=receiver_url,
                           TWILIO_NUMBER="+8610012315", QUIET_HOURS="", FLASK_APP="wsgi:app",
                           NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    with tempfile.NamedTemporaryFile(prefix=f"hotline-bench-{name}-", suffix=".log", delete=False) as log:
        path = Path(log.name)
    with path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "hotline", "scheduler"], cwd=serve.ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            yield SimpleProc(proc, path, name)
        finally:
            if proc.poll() is None:
                serve._stop(proc)
            path.unlink(missing_ok=True)


class SimpleProc:
    def __init__(self, proc, log_path, name):
        self.proc, self.log_path, self.name = proc, log_path, name

    def text(self):
        return self.log_path.read_text(errors="replace")

    def leads(self):
        return "is the leader" in self.text()


def seed_overdue(url, ticket_ids, at):
    """One running ACCEPT clock, already an hour overdue, on each of these cases."""
    app = bench_app(url)
    with app.app_context():
        sink = Sink(db.engine)
        sink.write(db.metadata.tables["clocks"], ["ticket_id", "kind", "state", "started_at", "due_at", "estimated"],
                   [(tid, "accept", "running", at - timedelta(days=8), at - timedelta(hours=1), False)
                    for tid in ticket_ids])
        sink.commit()
        sink.close()
    app_engine_dispose(app)


def run(quick=False, log=print):
    if not ingest.wrk_path():
        return {"missing": "wrk is not installed: two machines not measured"}
    if not serve.pg_available():
        return {"missing": f"PostgreSQL not reachable at {serve.PG_ADMIN_URL}"}
    from hotline.timeutil import now

    rounds, seconds = (1, 3) if quick else (3, 6)
    wave = 100 if quick else 400
    with serve.fresh_database("postgresql", "two") as url, tempfile.TemporaryDirectory() as tmp, Receiver() as rx:
        generate(url, 2 * wave, log=lambda *a, **k: None)  # the open cases the clocks belong to
        baseline_app.create_table(url)
        engine = baseline_app.make_engine(url)
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM tickets ORDER BY id"))]
        engine.dispose()
        at = now()
        seed_overdue(url, ids[:wave], at)
        env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_BASE_URL": rx.url, "TWILIO_NUMBER": "+8610012315",
               "QUIET_HOURS": ""}
        with serve.gunicorn("wsgi:app", url, workers=2, **env) as a, serve.gunicorn("wsgi:app", url, workers=2, **env) as b, \
                serve.gunicorn("bench.baseline_app:app", url, workers=2) as ba, \
                serve.gunicorn("bench.baseline_app:app", url, workers=2) as bb, \
                scheduler_process(url, rx.url, "s1") as s1, scheduler_process(url, rx.url, "s2") as s2:
            load = serve.load_average()
            segs = {"baseline": [], "sms": []}
            killed = None
            for r in range(rounds):
                for kind, pair in (("baseline", (ba, bb)), ("sms", (a, b))):
                    segs[kind].append(_pair_segment(url, kind, pair, seconds, tmp))
                log(f"[two machines] round {r + 1}/{rounds} done")
                if r == rounds // 2 and killed is None:
                    killed = _kill_leader(s1, s2, url, ids[wave:], log)
            drained = _drain(url, 45 if not quick else 8)
            swept = _wait_sweeps(url, 2, 75 if not quick else 3)
            errors = a.errors() + b.errors()
            sched_logs = {s1.name: s1.text()[-3000:], s2.name: s2.text()[-3000:]}
        checks = _checks(url, rx.received, ids, wave)
    return {"load_average": load, "rounds": rounds, "seconds_per_round": seconds, "connections": 16,
            "rows": _summarise(segs), "killed": killed, "outbox_left": drained, "sweeps": swept, **checks,
            "server_errors": sum(ln.startswith("Traceback") for ln in errors),
            "scheduler_log_tail": {k: v.splitlines()[-8:] for k, v in sched_logs.items()}}


def _pair_segment(url, kind, pair, seconds, tmp):
    """wrk against both instances at once, 8 connections each; one result per instance."""
    path = "/sms" if kind == "baseline" else "/twilio/sms"
    runs = []
    for i, server in enumerate(pair):
        bodies = ingest.Bodies(server.base)  # the app checks signatures against its own base URL
        _SEGMENTS.append(server.base)  # a new SID prefix and new numbers for every segment
        bodies.segment = 0x100 + len(_SEGMENTS) * 0x10
        bodies.phone_seq = len(_SEGMENTS) * 1_000_000
        out = Path(tmp) / f"bodies-{i}.txt"
        bodies.write("sms", path, 20_000, out)
        holder = []
        thread = threading.Thread(target=lambda s=server, o=out, h=holder: h.append(
            ingest.run_wrk(s.base + path, path, 8, seconds, o)))
        runs.append((thread, holder))
    for thread, _ in runs:
        thread.start()
    results = []
    for thread, holder in runs:
        thread.join(timeout=seconds + 90)
        results += holder
    return results


def _summarise(segs):
    rows = []
    base = None
    for kind in ("baseline", "sms"):
        per_round = segs[kind]
        rps = serve.median([sum(s["requests"] / (s["duration_us"] / 1e6) for s in rnd) for rnd in per_round])
        p50 = serve.median([max(s["p50_us"] for s in rnd) / 1000 for rnd in per_round])
        p99 = serve.median([max(s["p99_us"] for s in rnd) / 1000 for rnd in per_round])
        ok = sum(s["ok200"] for rnd in per_round for s in rnd)
        non200 = sum(s["non200"] for rnd in per_round for s in rnd)
        if kind == "baseline":
            base = rps
        ratio = round(rps / base, 2) if base else None
        verdict = "baseline" if kind == "baseline" else (
            "PASS" if ratio >= ingest.MIN_RATIO and p99 < ingest.MAX_P99_MS[16] else "MISS")
        rows.append({"target": kind, "rps": round(rps, 1), "p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
                     "ratio": ratio, "ok200": ok, "non200": non200, "verdict": verdict})
    return rows


def _kill_leader(s1, s2, url, second_wave, log):
    """SIGKILL the scheduler that leads (a lost machine), then make more clocks overdue."""
    from hotline.timeutil import now

    leader = s1 if s1.leads() else s2 if s2.leads() else s1
    os.kill(leader.proc.pid, signal.SIGKILL)
    leader.proc.wait(timeout=10)
    seed_overdue(url, second_wave, now())
    log(f"[two machines] killed scheduler {leader.name} (the leader: {leader.leads()}); "
        f"{len(second_wave)} more clocks overdue")
    return {"name": leader.name, "was_leader_by_log": leader.leads(), "at": time.time()}


def _count(url, sql, **params):
    engine = baseline_app.make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value


def _drain(url, limit_s):
    """Wait (bounded) for the dispatcher to send the due outbox; returns what is still due."""
    deadline = time.monotonic() + limit_s
    while True:
        left = _count(url, "SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'sending') "
                           "AND next_attempt_at <= now() AT TIME ZONE 'utc'")
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(2)


def _wait_sweeps(url, runs, limit_s):
    deadline = time.monotonic() + limit_s
    while True:
        overdue = _count(url, "SELECT count(*) FROM clocks WHERE overdue_at IS NULL AND state = 'running' "
                              "AND due_at < now() AT TIME ZONE 'utc'")
        if not overdue or time.monotonic() > deadline:
            return {"overdue_not_escalated": overdue,
                    "sweep_runs": _count(url, "SELECT coalesce(max(runs), 0) FROM job_runs WHERE job_id = 'clock-sweep'")}
        time.sleep(2)


def _checks(url, received, ids, wave):
    pairs = [(to, body) for to, body, _ in received]
    sids = [sid for *_, sid in received]
    engine = baseline_app.make_engine(url)
    with engine.connect() as conn:
        stored = {r[0]: r[1] for r in conn.execute(text(
            "SELECT provider_sid, count(*) FROM outbox_messages WHERE provider_sid IS NOT NULL GROUP BY provider_sid"))}
        sent_rows = conn.execute(text("SELECT count(*) FROM outbox_messages WHERE status = 'sent'")).scalar()
        outbox_total = conn.execute(text("SELECT count(*) FROM outbox_messages")).scalar()
        fired = conn.execute(text(
            "SELECT count(*), count(DISTINCT ticket_id) FROM ticket_events WHERE type = 'clock_overdue' "
            "AND ticket_id <= :last"), {"last": ids[-1]}).one()
        escalated = conn.execute(text("SELECT count(*) FROM clocks WHERE overdue_at IS NOT NULL")).scalar()
    engine.dispose()
    sent_twice = len(pairs) - len(set(pairs))
    unknown = sum(1 for s in sids if s not in stored)
    return {
        "sms": {"received": len(received), "received_twice": sent_twice, "outbox_rows": outbox_total,
                "outbox_sent": sent_rows, "sids_not_stored": unknown,
                "sids_on_two_rows": sum(1 for n in stored.values() if n > 1),
                "verdict": "PASS" if sent_twice == 0 and unknown == 0 and received else "MISS"},
        "clocks": {"overdue_seeded": 2 * wave, "escalated": escalated, "events": fired[0],
                   "cases_with_event": fired[1], "fired_twice": fired[0] - fired[1],
                   "verdict": "PASS" if fired[0] == fired[1] == escalated and escalated else "MISS"},
        # (clocks not yet escalated when the run ended are reported under "sweeps")
    }
