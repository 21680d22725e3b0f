"""In-process CPU per webhook: the real /twilio/voice and /twilio/sms (each request a new SID from a
new number, signed as Twilio signs) through Flask's test client, against the SQL floor
(bench/baseline_sql_app.py) doing the same requests the same way in the same run.

    .venv/bin/python -m bench.ingest_cpu [--db sqlite|postgresql|both] [-n 300] [--before GIT_REF]

time.process_time() over `n` requests after a warm-up: this process's CPU only (PostgreSQL's own
work is in its server process, not here), so it measures what the app adds on top of the floor.
Targets run interleaved in rounds so the shared machine's noise falls on all alike. `--before`
runs the same measurement on an older commit's code (git archive into a temporary directory, in
a subprocess) before this one's.
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench import baseline_sql_app, serve, statements
from bench.generate import HOTLINE_NUMBER, app_engine_dispose

BASE = statements.BASE
SMS_TEXT = "你好，我在网店买的空调用了两周就不制冷，商家拒绝退换，请帮忙处理。"
TARGETS = ("floor_voice", "voice", "floor_sms", "sms")
ROUNDS, WARMUP = 3, 20


def _params(kind, n):
    phone = f"+86139{n:08d}"
    if kind == "voice":
        return {"CallSid": f"CA{n:032x}", "From": phone, "To": HOTLINE_NUMBER, "CallStatus": "ringing",
                "Direction": "inbound", "AccountSid": "AC" + "0" * 32}
    sid = f"SM{n:032x}"
    return {"MessageSid": sid, "SmsSid": sid, "From": phone, "To": HOTLINE_NUMBER, "Body": SMS_TEXT,
            "NumMedia": "0", "AccountSid": "AC" + "0" * 32}


def _signed(kind, n):
    path = f"/twilio/{kind}"
    params = _params(kind, n)
    signature = RequestValidator(serve.TWILIO_TOKEN).compute_signature(BASE + path, params)
    return path, urlencode(params), signature


def _run(client, kind, numbers):
    """CPU and wall seconds for one signed request per number (bodies signed beforehand)."""
    prepared = [_signed(kind, n) for n in numbers]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for path, body, signature in prepared:
        resp = client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature})
        if resp.status_code != 200:
            raise RuntimeError(f"{path} answered {resp.status_code}")
    return time.process_time() - cpu0, time.perf_counter() - wall0


def measure(url, n=300, rounds=ROUNDS, warmup=WARMUP):
    """{target: {"cpu_ms": per request, "wall_ms": per request}} on the empty hotline at `url`."""
    app = statements.webhook_app(url)
    floor = baseline_sql_app.create_app(url)
    clients = {"voice": app.test_client(), "sms": app.test_client(),
               "floor_voice": floor.test_client(), "floor_sms": floor.test_client()}
    counter = iter(range(1, 10_000_000))  # every request a new SID and a new number

    def numbers(k):
        return [next(counter) for _ in range(k)]

    for target in TARGETS:
        _run(clients[target], target.removeprefix("floor_"), numbers(warmup))
    totals = {t: [0.0, 0.0, 0] for t in TARGETS}
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        for target in TARGETS:
            cpu, wall = _run(clients[target], target.removeprefix("floor_"), numbers(per_round))
            totals[target][0] += cpu
            totals[target][1] += wall
            totals[target][2] += per_round
    app_engine_dispose(app)
    floor.extensions["engine"].dispose()  # PostgreSQL drops the database after: no connection left
    out = {t: {"cpu_ms": round(c / k * 1000, 3), "wall_ms": round(w / k * 1000, 3), "requests": k}
           for t, (c, w, k) in totals.items()}
    for kind in ("voice", "sms"):
        out[kind]["x_floor_cpu"] = round(out[kind]["cpu_ms"] / out[f"floor_{kind}"]["cpu_ms"], 2)
    return out


def run(backends, n):
    results = {}
    for name in backends:
        if name == "postgresql" and not serve.pg_available():
            results[name] = {"missing": f"not reachable at {serve.PG_ADMIN_URL}"}
            continue
        with serve.fresh_database(name, "ingestcpu") as url:
            results[name] = measure(url, n)
    return results


def _before(ref, args):
    """The same measurement on `ref`'s code: this script copied into its exported tree."""
    from bench.queue_cost import exported

    with exported(ref) as tmp:
        # This run's script, floor and set-up (statements.webhook_app); the ref's app.
        for name in ("ingest_cpu.py", "baseline_sql_app.py", "statements.py"):
            shutil.copyfile(Path(__file__).with_name(name), tmp / "bench" / name)
        proc = subprocess.run([sys.executable, "-m", "bench.ingest_cpu", "--db", args.db, "-n", str(args.n)],
                              cwd=tmp, capture_output=True, text=True, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"before run failed: {proc.stderr[-2000:]}")


def render(label, results):
    lines = []
    for name, figures in results.items():
        if "missing" in figures:
            lines.append(f"{label:7} {name:10} missing: {figures['missing']}")
            continue
        for kind in ("voice", "sms"):
            me, floor = figures[kind], figures[f"floor_{kind}"]
            lines.append(f"{label:7} {name:10} /twilio/{kind:5} {me['cpu_ms']:7.2f} ms CPU  floor {floor['cpu_ms']:6.2f} ms"
                         f"  = {me['x_floor_cpu']:.2f}x the floor  (wall {me['wall_ms']:.2f} / {floor['wall_ms']:.2f} ms)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("-n", type=int, default=300, help="timed requests per target (after the warm-up)")
    parser.add_argument("--before", metavar="GIT_REF", default=None)
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    out = {"load_average": serve.load_average()}
    if args.before:
        out["before"] = _before(args.before, args)["after"]
        print(render("before", out["before"]))
    out["after"] = run(backends, args.n)
    print(render("after", out["after"]))
    out["load_average_end"] = serve.load_average()
    print(f"load average {out['load_average']} -> {out['load_average_end']}")
    print("BENCH_JSON " + json.dumps(out))
    return out


if __name__ == "__main__":
    main()
