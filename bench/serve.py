"""What every benchmark shares: a fresh database, the app under gunicorn on 127.0.0.1, timing."""

import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-secret-key-not-for-production"  # noqa: S105 (a throwaway local server)
TWILIO_TOKEN = "bench-twilio-token"  # noqa: S105


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_available():
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def fresh_database(backend, label):
    """A new empty database (SQLite file in a temp dir, or a PostgreSQL database), removed after."""
    if backend == "sqlite":
        tmp = tempfile.mkdtemp(prefix=f"hotline-bench-{label}-")
        try:
            yield f"sqlite:///{tmp}/bench.sqlite"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    import psycopg

    name = f"hotline_bench_{label}_{datetime.now():%Y%m%d%H%M%S}_{os.getpid()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CACHE_DIR = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "hotline-bench"))


def cache_key(n_tickets):
    """Generated data is reused while the generator, the schema and the last day are the same."""
    import hashlib

    from bench import generate
    from hotline.extensions import db

    schema = sorted((t.name, c.name, str(c.type)) for t in db.metadata.sorted_tables for c in t.columns)
    digest = hashlib.sha256(Path(generate.__file__).read_bytes() + repr(schema).encode()).hexdigest()[:10]
    return f"{n_tickets}_{generate.default_end():%Y%m%d}_{digest}"


@contextlib.contextmanager
def generated_database(backend, n_tickets, log=print):
    """A private copy of generated data (SQLite file copy, or CREATE DATABASE ... TEMPLATE), removed
    after, and the generator's stats. The master copy is built once per cache_key and kept:
    BENCH_CACHE (default ~/.cache/hotline-bench) for SQLite, database hotline_benchcache_<key>."""
    import json

    from bench.generate import generate

    key, built = cache_key(n_tickets), False
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    stats_file = CACHE_DIR / f"{backend}-{key}.json"
    if backend == "sqlite":
        master = CACHE_DIR / f"{key}.sqlite"
        if not (master.exists() and stats_file.exists()):
            for old in CACHE_DIR.glob(f"{n_tickets}_*.sqlite*"):
                old.unlink()
            building = CACHE_DIR / f"building-{os.getpid()}.sqlite"
            stats = generate(f"sqlite:///{building}", n_tickets, log=log)
            _sqlite_checkpoint(building)
            building.rename(master)
            stats_file.write_text(json.dumps(stats))
            built = True
        stats = dict(json.loads(stats_file.read_text()), cached=not built)
        with fresh_database("sqlite", f"g{n_tickets // 1000}k") as url:
            started = time.monotonic()
            shutil.copyfile(master, url[len("sqlite:///"):])
            stats["copy_seconds"] = round(time.monotonic() - started, 1)
            yield url, stats
        return
    import psycopg

    master = f"hotline_benchcache_{key}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"hotline_benchcache_{n_tickets}_%",))]
        if master not in names or not stats_file.exists():
            for old in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
            building = f"hotline_benchbuild_{n_tickets}_{os.getpid()}"
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{building}"')
            stats = generate(_pg_url(building), n_tickets, log=log)
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{master}"')
            stats_file.write_text(json.dumps(stats))
            built = True
    stats = dict(json.loads(stats_file.read_text()), cached=not built)
    name = f"hotline_bench_g{n_tickets // 1000}k_{datetime.now():%Y%m%d%H%M%S}_{os.getpid()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        started = time.monotonic()
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{master}"')
        stats["copy_seconds"] = round(time.monotonic() - started, 1)
    try:
        yield _pg_url(name), stats
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_url(name):
    return PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name


def _sqlite_checkpoint(path):
    """Fold the WAL into the file, so copying the one file copies everything."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def server_env(url, port, **extra):
    env = dict(os.environ)
    env.update(
        HOTLINE_CONFIG="production",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_ACCOUNT_SID="",
        SESSION_COOKIE_SECURE="0",
        HOTLINE_INSTANCE_DIR=tempfile.gettempdir() + "/hotline-bench-instance",
        OPENING_HOURS="00:00-24:00",
        OPEN_ON_HOLIDAYS="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): ")


class Server:
    """A running gunicorn: its base URL, and the errors it logged."""

    def __init__(self, base, log, pid=None):
        self.base, self.log, self.pid = base, log, pid

    def errors(self):
        """Tracebacks and ERROR lines the app logged so far (a 500 leaves one)."""
        self.log.seek(0)
        lines = self.log.read().decode(errors="replace").splitlines()
        return [ln for ln in lines if ln.startswith(("ERROR:", "Traceback")) or "[ERROR]" in ln
                or _EXCEPTION_LINE.match(ln)]


@contextlib.contextmanager
def gunicorn(target, url, workers=2, threads=1, cwd=ROOT, **extra_env):
    """`target` (e.g. wsgi:app) under gunicorn on a free loopback port, run in `cwd` (another
    checkout's files for a before/after comparison); yields a Server."""
    port = free_port()
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"), target,
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--log-level", "warning", "--backlog", "256", "--timeout", "60",
    ]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=server_env(url, port, **extra_env), stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_up(base, proc, log)
            yield Server(base, log, proc.pid)
        finally:
            _stop(proc)


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_up(base, proc, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310 (loopback only)
            return
        except urllib.error.HTTPError:
            return  # it answers, even if not with 200 (e.g. the baseline app has no /healthz)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 30 s")


def percentile(values, p):
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values):
    return statistics.median(values) if values else None


def machine():
    """Cores, memory and the commit, for the results file."""
    mem_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": sys.version.split()[0]}


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown", bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return "unknown", False
