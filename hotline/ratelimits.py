"""Where rate limits count, so that every worker sees one count.

Flask-Limiter keeps its counters in the store named by RATELIMIT_STORAGE_URI. Its default,
memory://, counts per process: under gunicorn with two workers each worker allowed the full
limit (Open311 served 110 of 60 per minute). So:

* ``redis://host:port/db`` (the limits library's Redis storage) when several machines serve
  the hotline, or whenever a Redis is at hand;
* otherwise ``sqlite:///path/to/file`` (below): a small counter table in a SQLite file of its
  own, which every worker and thread on the machine opens. It is the default outside tests
  (``instance/ratelimits.sqlite``), so `make run` and a single-machine gunicorn count once.

The SQLite file is not the app's database on purpose: a request holds the app database's write
lock (BEGIN IMMEDIATE) from its first statement, and a counter written on another connection
to the same file would wait for it. Only the fixed-window strategy (Flask-Limiter's default)
is supported: each counter is one row (key, value, expiry) updated by one atomic upsert.
"""

import os
import sqlite3
import threading
import time
from urllib.parse import urlsplit

from limits import parse_many
from limits.storage import Storage

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS counters_expiry ON counters (expires_at)",
)
# Expired rows are deleted every this many increments per connection (they never count anyway).
_SWEEP_EVERY = 500


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of one machine."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = self.path_of(uri)
        self._local = threading.local()
        self._connection().close()  # creates the file and table now, and fails early if it cannot
        self._local = threading.local()

    @staticmethod
    def path_of(uri):
        """sqlite:///relative/file or sqlite:////absolute/file, as SQLAlchemy writes them."""
        path = urlsplit(uri).path
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValueError("the sqlite rate-limit storage needs a file: sqlite:///path/to/file")
        return path

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self):
        # One connection per thread and process: sqlite3 connections may not cross threads, and a
        # gunicorn worker forked from a parent must not reuse the parent's.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=True)
            # Two gunicorn workers booting at once both switch the file to WAL; the switch answers
            # "database is locked" at once instead of waiting (CI saw a worker fail to boot). Retry,
            # bounded: at most 5 s, as the connection's own busy timeout.
            for attempt in range(50):
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError:
                    if attempt == 49:
                        raise
                    time.sleep(0.1)
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            self._local.conn, self._local.pid, self._local.increments = conn, os.getpid(), 0
        return conn

    def incr(self, key, expiry, amount=1):
        now = time.time()
        conn = self._connection()
        # One statement, so atomic across processes: a live window grows, an expired one restarts.
        (value,) = conn.execute(
            "INSERT INTO counters (key, value, expires_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (key) DO UPDATE SET "
            "value = CASE WHEN counters.expires_at <= ?4 THEN excluded.value ELSE counters.value + excluded.value END, "
            "expires_at = CASE WHEN counters.expires_at <= ?4 THEN excluded.expires_at ELSE counters.expires_at END "
            "RETURNING value",
            (key, amount, now + expiry, now),
        ).fetchone()
        self._local.increments += 1
        if self._local.increments % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return value

    def get(self, key):
        row = self._connection().execute(
            "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key):
        row = self._connection().execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return row[0] if row else time.time()

    def check(self):
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self):
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key):
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))


def default_storage_uri(instance_dir):
    """The shared store of one machine, in the instance folder."""
    return f"sqlite:///{os.path.join(os.path.abspath(instance_dir), 'ratelimits.sqlite')}"


# ---- counters that are not a decorator's -----------------------------------------------------

def _identifiers(app, name, value):
    return (app.config.get("RATELIMIT_KEY_PREFIX") or "hotline", name, value)


def hit(app, limits_text, name, value):
    """Count one event against every window of `limits_text` (e.g. "10 per day") for (name, value)."""
    from hotline.extensions import limiter

    for item in parse_many(limits_text):
        limiter.limiter.hit(item, *_identifiers(app, name, value))


def used_up(app, limits_text, name, value):
    """Whether any window of `limits_text` is full for (name, value)."""
    from hotline.extensions import limiter

    return any(not limiter.limiter.test(item, *_identifiers(app, name, value)) for item in parse_many(limits_text))
