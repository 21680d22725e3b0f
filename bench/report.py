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


def ingest_table(runs):
    rows = []
    for run in runs:
        if "missing" in run:
            rows.append([run["backend"], run["missing"]] + [None] * 8 + ["missing"])
            continue
        for r in run["rows"]:
            integrity = None
            if "ok200" in r:
                integrity = ("exact" if r["exact"] else "NOT EXACT") + \
                    f" ({r['ok200']} ok, {r['lost']} lost, {r['doubled']} doubled)"
            rows.append([run["backend"], r["target"], r["connections"], r.get("rps"), r.get("p50_ms"),
                         r.get("p99_ms"), None if r.get("ratio") is None else f"{r['ratio']}x",
                         r.get("non200"), r.get("errors"), integrity, r["verdict"]])
    return table(["db", "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "vs baseline", "non-200", "sock err",
                  "rows check", "verdict"], rows)


def document(args, console, ingest, seconds):
    commit, dirty = serve.git_commit()
    return {
        "commit": commit, "dirty_tree": dirty, "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": serve.machine(), "args": args, "seconds": round(seconds, 1),
        "targets": {"console": "median < 100 ms at 100k tickets, < 200 ms at 1M",
                    "ingest": "req/s >= 70% of the baseline's; p99 < 50 ms at 16 connections; every 200 one ticket"},
        "console": console, "ingest": ingest,
    }


def write(doc, out_dir=RESULTS):
    """bench/results/<date>-<short commit>[-quick].json and latest.json; returns the dated path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if doc["args"].get("quick") else ""
    name = f"{doc['date'][:10]}-{doc['commit'][:8]}{suffix}.json"
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    (out_dir / name).write_text(text + "\n")
    (out_dir / ("latest-quick.json" if suffix else "latest.json")).write_text(text + "\n")
    return out_dir / name


def render(doc):
    head = (f"Hotline benchmarks  {doc['date']}  commit {doc['commit'][:10]}{' (dirty tree)' if doc['dirty_tree'] else ''}"
            f"  {doc['machine']['cores']} cores, {doc['machine']['memory_gb']} GB  ({doc['seconds']} s)")
    parts = [head]
    if doc["console"]:
        parts += ["", "Console and API pages (median of rounds; ratio to GET /healthz on the same server)",
                  console_table(doc["console"])]
    if doc["ingest"]:
        parts += ["", "Webhook ingest (wrk; median of rounds; ratio to a bare Flask insert on the same settings)",
                  ingest_table(doc["ingest"])]
    return "\n".join(parts)
