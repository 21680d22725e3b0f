"""The scheduler's two heavy jobs (the issue's benchmark 4), in-process on a generated database.

Sweep: one ACCEPT clock per generated case (100,000 at 100k), due dates spread so that about
5 % are overdue and 5 % due within a working day; followup.escalation.sweep() marks them and
writes their events. Each run starts from unmarked clocks (the previous run's marks and events
are taken away), and a second sweep right after, with nothing left to mark, is timed too: that
is what the scheduler pays every minute. Target: under 5 s.

Dispatch: 10,000 due outbox SMS sent by hotline.outbox.dispatch_due() through the real
TwilioSender to Prism (`prism mock -d`: Twilio's OpenAPI spec, random SIDs, since provider_sid
is unique) on 127.0.0.1, in 5 runs of 2,000. The baseline is the same sender calling Prism
directly, with no database, in the same run: the ratio shows what the outbox's claim-and-commit
costs over the HTTP call itself. Target: over 200 messages/s. Afterwards every message must be
SENT with its own SID.
"""

import contextlib
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import text

from bench import serve
from bench.generate import Sink, app_engine_dispose, bench_app
from hotline.extensions import db
from hotline.timeutil import now

PRISM = serve.ROOT / ".tools" / "node_modules" / ".bin" / "prism"
SPEC = serve.ROOT / "tests" / "contract" / "twilio_api_v2010.json"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SWEEP_TARGET_S, DISPATCH_TARGET = 5.0, 200
BODY = "【12315】您的诉求已受理，工单号 {number}。如需补充材料请回复本短信。"


@contextlib.contextmanager
def prism():
    """http://127.0.0.1:<port> of `prism mock -d` on Twilio's spec; None when Prism is missing."""
    if not PRISM.exists():
        yield None
        return
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))
    port = serve.free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([str(PRISM), "mock", "-d", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
                                stdout=log, stderr=subprocess.STDOUT, cwd=serve.ROOT)
        try:
            _wait_prism(url, proc, log)
            yield url
        finally:
            serve._stop(proc)


def _wait_prism(url, proc, log, timeout=60):
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(url + "/2010-04-01/Accounts.json", timeout=1)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    log.seek(0)
    raise RuntimeError(f"Prism did not start: {log.read().decode(errors='replace')[-1000:]}")


def run(backend, url, quick=False, log=print):
    """Both benchmarks on the generated database at `url` (it is changed: clocks and outbox rows)."""
    import logging

    # twilio-python logs every request and response header at INFO: 12 lines per SMS.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    app = bench_app(url, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN="bench-secret",  # noqa: S106
                    TWILIO_NUMBER="+8610012315", PUBLIC_BASE_URL="http://127.0.0.1:5000", QUIET_HOURS="")
    try:
        with app.app_context():
            sweep = _sweep(backend, runs=3, log=log)
            # Prism answers 50 to 100 requests/s on 2 busy cores: 10,000 take minutes, so SQLite gets 2,000.
            total = 300 if quick else (10_000 if backend == "postgresql" else 2_000)
            dispatch = _dispatch(backend, total, runs=3 if quick else 5, log=log)
            dispatch["stand_in"] = _dispatch_stand_in(backend, 300 if quick else 3_000, runs=3, log=log)
    finally:
        app_engine_dispose(app)
    return {"backend": backend, "sweep": sweep, "dispatch": dispatch}


def _sweep(backend, runs, log):
    from followup import escalation
    from hotline.timeutil import now

    at = now()
    tickets = db.session.execute(text("SELECT id, created_at FROM tickets ORDER BY id")).all()
    rows = []
    for i, (tid, _created) in enumerate(tickets):
        # 5 % overdue, 5 % due within the next working day, the rest up to 60 days ahead.
        slot = i % 100
        due = at - timedelta(hours=1 + slot) if slot < 5 else (
            at + timedelta(hours=1 + slot % 5) if slot < 10 else at + timedelta(days=2 + slot % 58))
        rows.append((tid, "accept", "running", at - timedelta(days=3), due, False))
    # The dashboard benchmark, run before on this copy, left clocks on the open cases: start clean.
    db.session.execute(text("DELETE FROM clocks"))
    db.session.commit()  # SQLite: the app's BEGIN IMMEDIATE holds the write lock until then
    sink = Sink(db.engine)
    sink.write(db.metadata.tables["clocks"], ["ticket_id", "kind", "state", "started_at", "due_at", "estimated"], rows)
    sink.commit()
    sink.close()
    db.session.execute(text("ANALYZE clocks") if backend == "postgresql" else text("ANALYZE"))
    db.session.commit()
    first_event = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM ticket_events"))
    log(f"[scheduler {backend}] sweeping {len(rows):,} open clocks, {runs} runs")
    firsts, idles, counts = [], [], None
    for _ in range(runs):
        db.session.execute(text("UPDATE clocks SET warned_at = NULL, overdue_at = NULL"))
        db.session.execute(text("DELETE FROM ticket_events WHERE id > :first"), {"first": first_event})
        db.session.commit()
        started = time.perf_counter()
        counts = escalation.sweep(at)
        db.session.commit()
        firsts.append(time.perf_counter() - started)
        started = time.perf_counter()
        again = escalation.sweep(at)
        db.session.commit()
        idles.append(time.perf_counter() - started)
        assert again == {"warned": 0, "overdue": 0, "sms": 0}, again
    events = db.session.scalar(text(
        "SELECT count(*) FROM ticket_events WHERE id > :first AND type IN ('clock_warned', 'clock_overdue')"),
        {"first": first_event})
    fired_twice = db.session.scalar(text(
        "SELECT count(*) FROM (SELECT ticket_id, type FROM ticket_events WHERE id > :first "
        "AND type IN ('clock_warned', 'clock_overdue') GROUP BY ticket_id, type HAVING count(*) > 1) t"),
        {"first": first_event})
    result = {"clocks": len(rows), "runs": runs, "counts": counts,
              "first_s": [round(s, 3) for s in firsts], "idle_s": [round(s, 3) for s in idles],
              "median_s": round(serve.median(firsts), 3), "idle_median_s": round(serve.median(idles), 3),
              "events": events, "events_expected": counts["warned"] + counts["overdue"],
              "fired_twice": fired_twice, "target_s": SWEEP_TARGET_S}
    result["verdict"] = "PASS" if result["median_s"] < SWEEP_TARGET_S and fired_twice == 0 \
        and events == result["events_expected"] else "MISS"
    return result


def _dispatch(backend, total, runs, log):
    from hotline import outbox
    from hotline.models import OutboxMessage, OutboxStatus
    from hotline.telephony.senders import TwilioSender, sender_for

    with prism() as prism_url:
        if prism_url is None:
            return {"missing": "Prism is not installed (make tools): dispatch not measured"}
        from flask import current_app

        sender = sender_for({**current_app.config, "TWILIO_API_BASE_URL": prism_url})
        assert isinstance(sender, TwilioSender)
        # Baseline: the same HTTP calls with no outbox around them.
        probe = SimpleNamespace(to="+8613800138000", body=BODY.format(number="20261124-00001"))
        direct_n = 60 if total < 1000 else 400
        for _ in range(10):
            sender.send(probe)
        direct = []
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(direct_n // 3):
                sender.send(probe)
            direct.append((direct_n // 3) / (time.perf_counter() - started))
        first_id = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM outbox_messages"))
        rows, moment = _queue_due_sms(total, "+86139", "ORDER BY id")
        per_run = len(rows) // runs
        log(f"[scheduler {backend}] dispatching {len(rows):,} SMS to Prism in {runs} runs")
        rates, outcomes = [], {}
        for _ in range(runs):
            started = time.perf_counter()
            got = outbox.dispatch_due(sender, now=moment + timedelta(seconds=1), batch=per_run)
            rates.append(sum(got.values()) / (time.perf_counter() - started))
            for k, v in got.items():
                outcomes[k] = outcomes.get(k, 0) + v
        db.session.remove()
        mine = OutboxMessage.id > first_id
        sent = db.session.query(OutboxMessage).filter(mine, OutboxMessage.status == OutboxStatus.SENT).count()
        sids = db.session.query(OutboxMessage.provider_sid).filter(mine, OutboxMessage.provider_sid.is_not(None)) \
            .distinct().count()
    rate, base = serve.median(rates), serve.median(direct)
    result = {"messages": len(rows), "runs": runs, "per_run": per_run, "rates": [round(r, 1) for r in rates],
              "median_per_s": round(rate, 1), "direct_per_s": round(base, 1), "ratio": round(rate / base, 2),
              "outcomes": outcomes, "sent": sent, "distinct_sids": sids, "target_per_s": DISPATCH_TARGET}
    result["verdict"] = "PASS" if rate > DISPATCH_TARGET and sent == sids == per_run * runs else "MISS"
    return result


def _dispatch_stand_in(backend, total, runs, log):
    """The dispatcher's own ceiling: the same sender against a minimal HTTP stand-in for Twilio
    (bench.twomachines.Receiver) instead of Prism, which is slow itself."""
    from flask import current_app

    from bench.twomachines import Receiver
    from hotline import outbox
    from hotline.telephony.senders import sender_for

    with Receiver() as rx:
        sender = sender_for({**current_app.config, "TWILIO_API_BASE_URL": rx.url})
        rows, moment = _queue_due_sms(total, "+86137", "ORDER BY id DESC")
        log(f"[scheduler {backend}] dispatching {len(rows):,} SMS to a minimal stand-in")
        rates = []
        for _ in range(runs):
            started = time.perf_counter()
            got = outbox.dispatch_due(sender, now=moment + timedelta(seconds=1), batch=len(rows) // runs)
            rates.append(sum(got.values()) / (time.perf_counter() - started))
        received = len(rx.received)
    return {"messages": len(rows), "received": received, "rates": [round(r, 1) for r in rates],
            "median_per_s": round(serve.median(rates), 1)}


def main():
    """`python -m bench.scheduler URL [--quick]` on an already generated database."""
    import sys

    url = sys.argv[1]
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(run(backend, url, quick="--quick" in sys.argv))


if __name__ == "__main__":
    main()



def _queue_due_sms(total, prefix, order):
    """Write one due acknowledgement per case (the first `total` cases in `order`) straight to
    the outbox in bulk; returns the rows written and the moment they became due by."""
    moment = now()
    numbers = db.session.execute(text(f"SELECT id, number FROM tickets {order} LIMIT :n"), {"n": total}).all()
    db.session.commit()
    rows = [(tid, "sms", f"{prefix}{i:08d}", BODY.format(number=number), "ack", False, "pending", 0,
             moment - timedelta(minutes=1), moment, moment) for i, (tid, number) in enumerate(numbers)]
    sink = Sink(db.engine)
    sink.write(db.metadata.tables["outbox_messages"],
               ["ticket_id", "channel", "to", "body", "purpose", "legal", "status", "attempts",
                "next_attempt_at", "created_at", "updated_at"], rows)
    sink.commit()
    sink.close()
    return rows, moment
