"""Leader election: only one scheduler process runs jobs.

PostgreSQL: the leader holds a session-level pg_try_advisory_lock(<key>) on a dedicated
connection. When the process dies its connection closes and PostgreSQL releases the lock, so
a waiting instance takes over. Each job run also takes its own advisory lock for the run, so
even a leader that lost its connection unnoticed cannot run a job at the same moment as the new one.
SQLite: one instance per database file, enforced with an exclusive file lock beside it
(an in-memory database has one process by construction).
"""

import fcntl
import zlib
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

DEFAULT_LOCK_KEY = 0x484F544C494E45  # "HOTLINE"
JOB_LOCK_CLASS = 0x484F54  # the first key of the two-key (int4, int4) per-job locks


class PgLeader:
    """Leadership through a session-level advisory lock on a dedicated connection."""

    def __init__(self, engine, key=DEFAULT_LOCK_KEY):
        self.engine, self.key, self.conn = engine, key, None

    def try_acquire(self):
        """Take the lock if free; False while another instance holds it."""
        try:
            if self.conn is None:
                self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except Exception:
            self.release()
            raise

    def still_leader(self):
        """Whether the lock's connection is alive (the lock dies with it)."""
        try:
            held = self.conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                     "AND pid = pg_backend_pid() AND objsubid = 1 "
                     "AND ((classid::bigint << 32) | objid::bigint) = :k"),
                {"k": self.key},
            ).scalar()
            return bool(held)
        except Exception:
            self.release()
            return False

    def release(self):
        """Close the connection, which frees the lock."""
        if self.conn is not None:
            try:
                self.conn.invalidate()
                self.conn.close()
            except Exception:  # noqa: S110 (the connection is gone already; nothing to free)
                pass
            self.conn = None


class FileLeader:
    """One instance per SQLite file: an exclusive flock beside the database."""

    def __init__(self, path):
        self.path, self.handle = Path(path), None

    def try_acquire(self):
        handle = self.handle or self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self.handle = None
            return False
        self.handle = handle
        return True

    def still_leader(self):
        return self.handle is not None

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class SoleLeader:
    """An in-memory database: the process is alone by construction."""

    def try_acquire(self):
        return True

    def still_leader(self):
        return True

    def release(self):
        pass


def leader_for(engine, key=DEFAULT_LOCK_KEY):
    """The election that fits the database behind `engine`."""
    if engine.dialect.name == "postgresql":
        return PgLeader(engine, key)
    database = engine.url.database
    if not database or database == ":memory:":
        return SoleLeader()
    return FileLeader(f"{database}.scheduler.lock")


def job_lock_key(job_id):
    """A stable int4 for a job id (the second key of its advisory lock)."""
    return zlib.crc32(job_id.encode()) - 2**31


@contextmanager
def job_guard(engine, job_id):
    """Yield True while this process alone runs `job_id` (PostgreSQL); always True elsewhere."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        args = {"a": JOB_LOCK_CLASS, "b": job_lock_key(job_id)}
        got = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), args).scalar()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), args)
