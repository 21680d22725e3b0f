"""Per-process snapshots of live state (the queue, the wall) that every poller shares.

Two hundred operators poll the queue every few seconds; each poll running its own queries costs
the server a core at a million cases. A snapshot is built at most once per
LIVE_SNAPSHOT_SECONDS per process and served to every reader in between, with three exceptions
that make it fresher:
- read-your-writes: a signed-in user's request that commits a change stamps their session
  (`live_wrote`, wall-clock seconds); their next poll, whichever worker takes it, refuses a
  snapshot whose queries started before that write;
- this process's own writes (a session that flushed changes commits) mark the snapshots dirty; a
  dirty snapshot is rebuilt, but at most every LIVE_SNAPSHOT_SECONDS / 4, so that webhooks
  committing a hundred times a second do not force a rebuild on every poll;
- LIVE_SNAPSHOT_SECONDS = 0 (the test configuration) builds one for every read.
Writes of the other gunicorn workers show within LIVE_SNAPSHOT_SECONDS.
"""

import threading
import time
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context, has_request_context, session
from sqlalchemy import event
from sqlalchemy.orm import Session

_STATE = "hotline.live"
_STARTED = "live_request_started"
WROTE = "live_wrote"


@dataclass
class Snapshot:
    value: object
    built_at: float  # wall clock when its queries started (comparable across workers)
    built_mono: float
    renders: dict = field(default_factory=dict)  # what readers made of it, e.g. panel HTML per role


class _Store:
    def __init__(self):
        self.lock = threading.RLock()  # a snapshot may read another (the wall reads the queue's)
        self.snapshots = {}
        self.dirty_at = 0.0  # monotonic time of this process's last committed change


def init_app(app):
    app.before_request(_note_start)


def _note_start():
    g.setdefault(_STARTED, time.time())


def _store(app):
    store = app.extensions.get(_STATE)
    if store is None:
        store = app.extensions.setdefault(_STATE, _Store())
    return store


def get(key, build, wrote=None):
    """The shared snapshot `key` (a Snapshot; `.value` is what `build()` returned), rebuilt when
    too old, dirty, or older than the reader's own last write (`wrote`, by default read from the
    request's session)."""
    app = current_app._get_current_object()
    store = _store(app)
    max_age = app.config.get("LIVE_SNAPSHOT_SECONDS", 1)
    wrote = _reader_wrote() if wrote is None else wrote
    with store.lock:  # one build per process at a time; the others wait and share it
        snap = store.snapshots.get(key)
        mono = time.monotonic()
        if snap is None or not _fresh(snap, store, max_age, wrote, mono):
            # The request's transaction may have begun (and, on SQLite, fixed what it reads)
            # before the build: it counts from the request's start.
            started = g.get(_STARTED, time.time()) if has_request_context() else time.time()
            snap = Snapshot(build(), started, time.monotonic())
            store.snapshots[key] = snap
        return snap


def peek(app, key, wrote):
    """The snapshot `get` would serve as it is to a reader whose last write was at `wrote`, or
    None where it would build one. Needs no context: for callers in front of Flask."""
    store = _store(app)
    max_age = app.config.get("LIVE_SNAPSHOT_SECONDS", 1)
    with store.lock:
        snap = store.snapshots.get(key)
        if snap is not None and _fresh(snap, store, max_age, wrote, time.monotonic()):
            return snap
    return None


def drop(key):
    """Forget this process's snapshot `key`: its next reader builds it."""
    if has_app_context():
        store = _store(current_app._get_current_object())
        with store.lock:
            store.snapshots.pop(key, None)


def _fresh(snap, store, max_age, wrote, mono):
    age = mono - snap.built_mono
    if age >= max_age or snap.built_at < wrote:
        return False
    return not (store.dirty_at >= snap.built_mono and age >= max_age / 4)


def render(snap, key, make):
    """What `make()` makes of `snap` for readers of kind `key`, made once per snapshot."""
    if key not in snap.renders:
        snap.renders[key] = make()
    return snap.renders[key]


def _reader_wrote():
    if not has_request_context():
        return 0.0
    try:
        return float(session.get(WROTE, 0))
    except (TypeError, ValueError):
        return 0.0


# --- invalidation: committed changes of this process ---------------------------------------
_CHANGED = "hotline.live.changed"


@event.listens_for(Session, "after_flush")
def _flushed(sess, flush_context):
    if sess.new or sess.dirty or sess.deleted:
        sess.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    # Set-based writes (UPDATE/DELETE/INSERT statements) change rows without a flush.
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(sess):
    if not sess.info.pop(_CHANGED, False) or not has_app_context():
        return
    _store(current_app._get_current_object()).dirty_at = time.monotonic()
    # The signed-in user as Flask-Login already loaded it (no query inside the commit hook).
    if has_request_context() and getattr(g.get("_login_user"), "is_authenticated", False):
        session[WROTE] = time.time()


@event.listens_for(Session, "after_rollback")
def _rolled_back(sess):
    sess.info.pop(_CHANGED, None)
