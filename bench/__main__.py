"""`python -m bench [--quick] [--only console|ingest] [--db sqlite|postgresql|both] [--tickets N]`"""

import argparse
import sys
import time

from bench import console, ingest, report, serve


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description="Hotline benchmarks (127.0.0.1 only).")
    parser.add_argument("--quick", action="store_true", help="a ~1-minute smoke: small data, short runs")
    parser.add_argument("--only", choices=["console", "ingest"], help="run one benchmark")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=None,
                        help="tickets for the console benchmark (default 100000; 3000 with --quick)")
    parser.add_argument("--no-write", action="store_true", help="print only, write nothing to bench/results/")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    started = time.monotonic()
    tickets = args.tickets or (3000 if args.quick else 100_000)
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    have_pg = "postgresql" not in backends or serve.pg_available()

    def log(*parts, **kwargs):
        print(*parts, **kwargs, file=sys.stderr, flush=True)

    results = {"console": [], "ingest": []}
    for backend in backends:
        if backend == "postgresql" and not have_pg:
            missing = {"backend": backend, "missing": f"PostgreSQL not reachable at {serve.PG_ADMIN_URL}"}
            results["console"].append(dict(missing))
            results["ingest"].append(dict(missing))
            continue
        if args.only in (None, "console"):
            results["console"].append(console.run(backend, tickets, quick=args.quick, log=log))
        if args.only in (None, "ingest"):
            results["ingest"].append(ingest.run(backend, quick=args.quick, log=log,
                                                profile_dir=None if args.quick else report.RESULTS))
    doc = report.document({"quick": args.quick, "only": args.only, "db": args.db, "tickets": tickets},
                          results["console"], results["ingest"], time.monotonic() - started)
    print(report.render(doc))
    if not args.no_write:
        print(f"\nwritten: {report.write(doc).relative_to(serve.ROOT)}")


if __name__ == "__main__":
    main()
