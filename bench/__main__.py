"""`python -m bench [--quick] [--only ...] [--db sqlite|postgresql|both] [--tickets N] [--big N]`"""

import argparse
import sys
import time

from bench import console, dashboard, ingest, queue_cost, report, scheduler, serve, twomachines

PARTS = ["console", "dashboard", "scheduler", "queue", "ingest", "twomachines"]


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description="Hotline benchmarks (127.0.0.1 only).")
    parser.add_argument("--quick", action="store_true", help="a ~1-minute smoke: small data, short runs")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these benchmarks (repeatable)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=None,
                        help="tickets for the console, dashboard and scheduler (default 100000; 3000 with --quick)")
    parser.add_argument("--big", type=int, default=None,
                        help="the large run's tickets for console and dashboard (default 1000000; 0 skips it; "
                             "none with --quick)")
    parser.add_argument("--before", metavar="GIT_REF", default=None,
                        help="the queue benchmark also serves the same polls with this commit's code "
                             "(e.g. the commit before the live snapshot) for a before/after figure")
    parser.add_argument("--soak", action="store_true",
                        help="after the ingest rounds, 64 senders for 60 s with the scheduler running")
    parser.add_argument("--no-write", action="store_true", help="print only, write nothing to bench/results/")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    started = time.monotonic()
    tickets = args.tickets or (3000 if args.quick else 100_000)
    big = args.big if args.big is not None else (0 if args.quick else 1_000_000)
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    have_pg = "postgresql" not in backends or serve.pg_available()
    parts = args.only or PARTS

    def log(*parts, **kwargs):
        print(*parts, **kwargs, file=sys.stderr, flush=True)

    results = {"console": [], "dashboard": [], "scheduler": [], "ingest": [], "two_machines": None, "queue": []}
    load_before = serve.load_average()
    for backend in backends:
        if backend == "postgresql" and not have_pg:
            missing = {"backend": backend, "missing": f"PostgreSQL not reachable at {serve.PG_ADMIN_URL}"}
            for key in ("console", "dashboard", "scheduler", "ingest", "queue"):
                results[key].append(dict(missing))
            continue
        for size in [tickets] + ([big] if big and big != tickets else []):
            results_for_size(backend, size, size == tickets, parts, args.quick, results, log)
            if "queue" in parts:
                results["queue"].append(queue_cost.run(backend, size, quick=args.quick, log=log,
                                                       before_ref=args.before))
        if "ingest" in parts:
            results["ingest"].append(ingest.run(backend, quick=args.quick, log=log, soak=args.soak,
                                                profile_dir=None if args.quick else report.RESULTS))
    if "twomachines" in parts and "postgresql" in backends:
        results["two_machines"] = twomachines.run(quick=args.quick, log=log)
    doc = report.document({"quick": args.quick, "only": args.only, "db": args.db, "tickets": tickets, "big": big},
                          results["console"], results["ingest"], time.monotonic() - started,
                          dashboard=results["dashboard"], scheduler=results["scheduler"],
                          two_machines=results["two_machines"], load=[load_before, serve.load_average()],
                          queue=results["queue"])
    print(report.render(doc))
    if not args.no_write:
        print(f"\nwritten: {report.write(doc).relative_to(serve.ROOT)}")


def results_for_size(backend, size, small, parts, quick, results, log):
    """Console pages on `size` tickets, then the dashboard (and, on the small size, the scheduler)
    on the same copy of the data."""
    then = []
    if "dashboard" in parts:
        then.append(("dashboard", lambda url: dashboard.run(backend, url, size, _end(url), quick=quick, log=log)))
    if small and "scheduler" in parts:
        then.append(("scheduler", lambda url: scheduler.run(backend, url, quick=quick, log=log)))
    pages = "console" in parts
    if not pages and not then:
        return
    run = console.run(backend, size, quick=quick, log=log, then=then, pages_too=pages,
                      under_load=small)
    after = run.pop("after")
    if pages:
        results["console"].append(run)
    if "dashboard" in after:
        results["dashboard"].append(after["dashboard"])
    if "scheduler" in after:
        results["scheduler"].append(after["scheduler"])


def _end(url):
    """The generated data's last day (the reports' 90 days end there)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(day) FROM case_counters")).scalar()
    engine.dispose()
    return f"{last[:4]}-{last[4:6]}-{last[6:8]}"


if __name__ == "__main__":
    main()
