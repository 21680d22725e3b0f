"""Rate limits that hold across workers, and client addresses that cannot be forged.

Two workers are two real processes here (each builds its own app, as gunicorn's workers do):
with a shared store they see one count; with memory:// each would allow the whole limit, which
the control case shows, so the test can tell the difference."""

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from hotline.ratelimits import SQLiteStorage
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT, PER_WORKER = 10, 8
DISCOVERY = "/open311/v2/discovery.json"

# One "worker": its own app and client, PER_WORKER anonymous Open311 reads, the status codes printed.
WORKER = """
import json, sys
from config import TestingConfig
from hotline import create_app
uri, prefix, n, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])  # argv[5]: the path
config = type("Worker", (TestingConfig,), {"RATELIMIT_STORAGE_URI": uri, "RATELIMIT_KEY_PREFIX": prefix,
                                           "OPEN311_ANONYMOUS_PER_MINUTE": limit})
client = create_app(config).test_client()
sys.stdin.readline()  # both workers start their requests together
print(json.dumps([client.get(sys.argv[5]).status_code for _ in range(n)]))
"""


def _two_workers(uri, prefix):
    env = dict(os.environ, HOTLINE_CONFIG="testing", PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(  # noqa: S603 (fixed argv)
            [sys.executable, "-c", WORKER, uri, prefix, str(PER_WORKER), str(LIMIT), DISCOVERY],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    codes = []
    try:
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-2000:]
            codes += json.loads(out.strip().splitlines()[-1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return codes


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        client.ping()
        return client
    except Exception:  # noqa: BLE001 (any failure means: no Redis here)
        return None


def test_two_workers_sharing_redis_see_one_count():
    client = _redis()
    require("redis", client is not None, "two workers share their rate-limit counts through it")
    prefix = f"hotline-test-{uuid.uuid4().hex}"
    try:
        codes = _two_workers(REDIS_URL, prefix)
    finally:
        for key in client.scan_iter(match=f"*{prefix}*", count=100):
            client.delete(key)
    assert codes.count(200) == LIMIT and codes.count(429) == 2 * PER_WORKER - LIMIT


def test_two_workers_sharing_the_local_sqlite_store_see_one_count(tmp_path):
    codes = _two_workers(f"sqlite:///{tmp_path / 'ratelimits.sqlite'}", "hotline")
    assert codes.count(200) == LIMIT and codes.count(429) == 2 * PER_WORKER - LIMIT


def test_memory_storage_counts_per_worker_which_is_why_it_is_for_tests_only():
    codes = _two_workers("memory://", "hotline")
    assert codes.count(200) == 2 * PER_WORKER  # each worker let its whole share through


def test_the_default_store_outside_tests_is_the_shared_sqlite_file():
    from config import DevelopmentConfig, ProductionConfig

    for config in (DevelopmentConfig, ProductionConfig):
        if "RATELIMIT_STORAGE_URI" not in os.environ:
            assert config.RATELIMIT_STORAGE_URI.startswith("sqlite:///")
            assert config.RATELIMIT_STORAGE_URI.endswith("ratelimits.sqlite")


def test_sqlite_counters_are_atomic_across_threads_and_expire(tmp_path, monkeypatch):
    store = SQLiteStorage(f"sqlite:///{tmp_path / 'rl.sqlite'}")
    threads = [threading.Thread(target=lambda: [store.incr("k", 60) for _ in range(50)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert store.get("k") == 400
    clock = [1_000_000.0]
    monkeypatch.setattr("hotline.ratelimits.time.time", lambda: clock[0])
    assert store.incr("w", 10) == 1 and store.incr("w", 10) == 2
    clock[0] += 11  # the window has passed: a fresh count
    assert store.get("w") == 0
    assert store.incr("w", 10) == 1
    store.clear("w")
    assert store.get("w") == 0 and store.check()


# ---- client addresses ----------------------------------------------------------------------------

def _reads(client, n, forwarded=None, remote="127.0.0.1"):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return [client.get(DISCOVERY, headers=headers, environ_base={"REMOTE_ADDR": remote}).status_code
            for _ in range(n)]


def test_x_forwarded_for_is_ignored_without_trusted_proxies(app_factory, backend):
    app = app_factory(OPEN311_ANONYMOUS_PER_MINUTE=3)
    client = app.test_client()
    # One client inventing a new address for every request is still one client.
    codes = [client.get(DISCOVERY, headers={"X-Forwarded-For": f"192.0.2.{n}"},
                        environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_behind_one_trusted_proxy_clients_are_told_apart_by_the_address_it_appended(app_factory, backend):
    app = app_factory(OPEN311_ANONYMOUS_PER_MINUTE=3, TRUSTED_PROXIES=1)
    client = app.test_client()
    proxy = "127.0.0.1"  # every request arrives from the proxy
    assert _reads(client, 4, forwarded="203.0.113.5", remote=proxy) == [200, 200, 200, 429]
    assert _reads(client, 3, forwarded="198.51.100.7", remote=proxy) == [200, 200, 200]
    # A client's own X-Forwarded-For comes first; the proxy appends the real address last.
    spoofed = _reads(client, 2, forwarded="198.51.100.99, 203.0.113.5", remote=proxy)
    assert spoofed == [429, 429]


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_audit_trail_records_the_client_address(app_factory, backend, proxies):
    from hotline import accounts
    from hotline.extensions import db
    from hotline.models import AuditLog, Role
    from tests.conftest import PASSWORD

    app = app_factory(TRUSTED_PROXIES=proxies)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("boss", PASSWORD, Role.ADMIN)
        op_id = accounts.create_user("op", PASSWORD, Role.OPERATOR).id
        db.session.commit()
    headers = {"X-Forwarded-For": "203.0.113.5"}
    env = {"REMOTE_ADDR": "127.0.0.1"}
    client.post("/login", data={"username": "boss", "password": PASSWORD}, headers=headers, environ_base=env)
    client.post(f"/admin/users/{op_id}/unlock", headers=headers, environ_base=env)
    with app.app_context():
        entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "user_unlocked"))
        assert entry.ip == ("203.0.113.5" if proxies else "127.0.0.1")



def test_workers_opening_a_new_store_at_once_all_open_it(tmp_path):
    """Two gunicorn workers booting at once both switch the file to WAL; SQLite answered one of
    them "database is locked" at once, without waiting, and that worker never booted (CI). Eight
    openers at once on each of 60 new files: before the switch was retried, about one round in
    fifteen lost one. Bounded: 60 rounds, each a few milliseconds."""
    import sqlite3

    failures = []
    for round_no in range(60):
        uri = f"sqlite:///{tmp_path}/limits-{round_no}.db"
        start = threading.Barrier(8)

        def open_store(uri=uri, start=start):
            start.wait(timeout=10)
            try:
                SQLiteStorage(uri)
            except sqlite3.Error as exc:
                failures.append(repr(exc))

        openers = [threading.Thread(target=open_store) for _ in range(8)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=30)
    assert failures == []
    with sqlite3.connect(tmp_path / "limits-0.db") as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
