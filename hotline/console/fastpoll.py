"""The queue panel's "not modified" answered before Flask (issue 17.3).

Two hundred operators keep the queue page open; each browser asks for the panel every 3 s with the
ETag of what it shows, and about 98 % of the answers are 304. Through Flask each of those cost a
request context, the session, Flask-Login's user query, Babel, the before- and after-request
hooks: about 4 ms of CPU, 0.3 core for 200 operators at any number of cases, twice what the same
requests to /healthz cost. This WSGI layer answers them from what the worker already holds:

- the session cookie, opened as Flask opens it (the app's own signing serializer and max age);
- Flask-Login's strong session protection, the same identifier of address and browser;
- the account (active, role, availability, language, password generation) from a per-process
  snapshot of accounts (hotline/live.py's rules; a change to any account committed in this
  process drops it at once, other workers' within LIVE_SNAPSHOT_SECONDS);
- the shared queue snapshot, only if it is fresh for this reader (`live.peek`), and the panel's
  ETag and call news computed by the very functions the view uses.

Whenever one of these is missing, doubtful or different, the request goes to Flask unchanged; so
this layer says "not modified" only to a reader Flask would have said it to, with the same
headers (tested), and never sends a body. The rate limiter does not count these answers (the
panel has no limit). QUEUE_FAST_POLL = False turns it off.

Held polls: a poll that asks for it (`Prefer: wait=N`, RFC 7240; console.js sends it once it has
an ETag) and would be answered 304 is kept open, on a threaded worker, until the queue changes or
QUEUE_HOLD_SECONDS pass. One watcher thread per worker rebuilds the shared snapshot while polls are
held and wakes them when what a panel or call pop shows changes; each woken poll is checked again
exactly as a new one (so it goes to Flask when its panel changed, for the new HTML), and one
still unchanged at the end is answered 304 after the same checks. With the queue quiet, 200
operators cost 8 requests a second instead of 67, and a change (an answered call's pop) reaches
the browser within the snapshot's second instead of the next 3 s tick. At most QUEUE_HOLDS polls
are held per worker, so threads stay free for pages and saves; beyond it, and under sync workers
(which a held poll would block), a poll is answered at once, as before.
"""

import contextlib
import hashlib
import json
import logging
import re
import threading
import time

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from hotline import live, reading_only
from hotline.console import services
from hotline.extensions import db
from hotline.models import Role, User

ACCOUNTS = "accounts"
PANEL_ROLES = frozenset({Role.OPERATOR.value, Role.SUPERVISOR.value, Role.ADMIN.value})
CALL_ROLES = frozenset({Role.OPERATOR.value, Role.SUPERVISOR.value})
_ACCOUNTS_CHANGED = "hotline.fastpoll.accounts_changed"
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d{1,6})(?:$|[,;\s])")

log = logging.getLogger(__name__)


def install(app, path, security_headers):
    """Put the layer in front of `app`'s WSGI callable for GET `path` (the panel's URL)."""
    app.wsgi_app = FastPoll(app, app.wsgi_app, path, security_headers)


class FastPoll:
    def __init__(self, app, wsgi_app, path, security_headers):
        self.app, self.wsgi_app, self.path = app, wsgi_app, path
        self.static_headers = [("Cache-Control", "no-store"), ("Vary", "Cookie"), *security_headers.items()]
        self._serializer = None
        self._lock = threading.Lock()
        self.holds = Holds(app)

    def __call__(self, environ, start_response):
        if (environ.get("PATH_INFO") == self.path and environ.get("REQUEST_METHOD") == "GET"
                and environ.get("HTTP_IF_NONE_MATCH") and self.app.config.get("QUEUE_FAST_POLL", True)):
            wait = _wanted_wait(environ, self.app.config)
            holding = wait > 0 and environ.get("wsgi.multithread") and self.app.config.get("QUEUE_HOLDS", 0) > 0
            headers = self.not_modified(environ, build=holding)
            if headers is not None and holding:
                headers = self.holds.hold(environ, headers, wait, lambda: self.not_modified(environ))
            if headers is not None:
                start_response("304 NOT MODIFIED", headers)
                return []
        return self.wsgi_app(environ, start_response)

    def not_modified(self, environ, build=False):
        """The 304's headers when Flask would answer this request 304; otherwise None. `build`: a
        poll that will be held builds a stale queue snapshot here, as Flask would (else a lone
        operator's polls, 3 s apart, would always find it stale and never be held)."""
        app = self.app
        data = self._session(environ)
        if not data or not _same_browser(environ, data.get("_id")):
            return None
        try:
            user_id = int(data["_user_id"])
            wrote = float(data.get(live.WROTE, 0))
        except (KeyError, TypeError, ValueError):
            return None
        accounts = live.peek(app, ACCOUNTS, wrote) or self._build_accounts(wrote)
        account = accounts.value.get(user_id)
        if (account is None or not account.active or account.role not in PANEL_ROLES
                or data.get("session_generation", 0) != account.generation):
            return None
        queue = live.peek(app, "queue", wrote)
        if queue is None and build:
            queue = self.holds.queue(environ, wrote)
        if queue is None:
            return None
        etag = services.panel_etag(queue.value, account.role, account.availability,
                                   self._locale(environ, data, account))
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        headers = [("ETag", f'W/"{etag}"'), *self.static_headers]
        if account.role in CALL_ROLES:
            news = services.call_news(queue.value, user_id)
            headers.append(("X-Call-News", json.dumps(news, separators=(",", ":"), ensure_ascii=True)))
        return headers

    def _build_accounts(self, wrote):
        """The accounts snapshot, built now. In the app context already pushed for this app if
        there is one (as Flask's own request would reuse it), and marked as only reading: on
        SQLite its transaction begins DEFERRED and never waits for the write lock."""
        pushed = has_app_context() and current_app._get_current_object() is self.app
        context = contextlib.nullcontext() if pushed else self.app.app_context()
        with context, reading_only():
            return live.get(ACCOUNTS, _accounts, wrote=wrote)

    def _session(self, environ):
        """The session's data as Flask would open it, or None (no cookie, bad signature, too old)."""
        app = self.app
        value = parse_cookie(environ).get(app.config["SESSION_COOKIE_NAME"])
        if not value:
            return None
        if self._serializer is None:
            with self._lock:
                self._serializer = app.session_interface.get_signing_serializer(app)
        if self._serializer is None:
            return None
        try:
            return self._serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except Exception:  # BadSignature, SignatureExpired, a malformed payload: Flask's to answer
            return None

    def _locale(self, environ, data, account):
        """hotline._select_locale's answer for this reader, as Flask-Babel would name it."""
        languages = self.app.config["LANGUAGES"]
        for chosen in (data.get("lang"), account.locale):
            if chosen in languages:
                return chosen
        accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
        return accepted.best_match(languages) or self.app.config["BABEL_DEFAULT_LOCALE"]


def _root(environ):
    return environ.get("wsgi.url_scheme", "http"), environ.get("SCRIPT_NAME", "")


def _wanted_wait(environ, config):
    """The seconds this poll asks to be held (`Prefer: wait=N`), capped by QUEUE_HOLD_SECONDS."""
    found = _PREFER_WAIT.search(environ.get("HTTP_PREFER", ""))
    return min(int(found.group(1)), config.get("QUEUE_HOLD_SECONDS", 0)) if found else 0


class Holds:
    """This worker's held polls and the one watcher thread that wakes them (see the module's
    docstring). `version` counts the changes of what panels and call pops show."""

    def __init__(self, app):
        self.app = app
        self.changed = threading.Condition()
        self.waiting = 0
        self.version = 0
        self.watcher = None
        self.shown = None  # the last snapshot's signature, to tell a change from a rebuild
        self.root = ("http", "")  # (scheme, script root) the pops' URLs are built under, as a poll's are

    def hold(self, environ, headers, seconds, recheck):
        """The answer after holding: headers of a 304 (the queue unchanged for this reader until
        the end, or only their call news changed), or None when Flask must answer."""
        deadline = time.monotonic() + seconds
        with self.changed:
            if self.waiting >= self.app.config.get("QUEUE_HOLDS", 0):
                return headers
            self.waiting += 1
            seen = self.version
            self.root = _root(environ)
            if self.watcher is None:
                self.watcher = threading.Thread(target=self._watch, name="hotline-queue-watcher", daemon=True)
                self.watcher.start()
        try:
            while True:
                with self.changed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    if self.version == seen:
                        self.changed.wait(left)
                    if self.version == seen:
                        continue
                    seen = self.version
                fresh = recheck()
                if fresh != headers:  # None: the panel changed (or the reader did): Flask answers
                    return fresh
            return recheck()
        finally:
            with self.changed:
                self.waiting -= 1

    def queue(self, environ, wrote):
        """The shared queue snapshot, built now if it is stale for a reader who wrote at `wrote`:
        in a request context for the pops' url_for (relative URLs, under the polls' root), and
        only reading (on SQLite it never waits for the write lock)."""
        if environ is not None:
            self.root = _root(environ)
        scheme, script_root = self.root
        with self.app.test_request_context("/", base_url=f"{scheme}://hotline.invalid{script_root}"), reading_only():
            return live.get("queue", services.build_queue_snapshot, wrote=wrote)

    def _watch(self):
        """Rebuild the shared queue snapshot as readers would (at most once per
        LIVE_SNAPSHOT_SECONDS, sooner after this worker's writes) while polls are held; wake them
        when it shows something new. Ends when no poll is held, which is at most
        QUEUE_HOLD_SECONDS after the last one came."""
        period = max(self.app.config.get("LIVE_SNAPSHOT_SECONDS", 1), 0.05) / 4
        while True:
            with self.changed:
                if self.waiting == 0:
                    self.watcher = None
                    return
            try:
                # The signature covers what panels and call pops show (calls, counts, own calls).
                shown = self.queue(None, 0.0).value.signature
                with self.changed:
                    if shown != self.shown:
                        self.shown = shown
                        self.version += 1
                        self.changed.notify_all()
            except Exception as error:  # a database hiccup: held polls end at their deadline
                # The class only: a database error's text can carry a statement's parameters.
                log.warning("queue watcher: %s", type(error).__name__)
            time.sleep(period)


def _same_browser(environ, identifier):
    """Flask-Login's strong session protection: the session's `_id` is the hash of the address
    and User-Agent it signed in from (flask_login.utils._create_identifier, reproduced: the
    X-Forwarded-For header's first address as sent, else the peer's)."""
    if not identifier:
        return False
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = environ.get("HTTP_USER_AGENT")
    if agent is not None:
        agent = agent.encode("utf-8")
    return hashlib.sha512(f"{address}|{agent}".encode()).hexdigest() == identifier


class Account:
    __slots__ = ("active", "role", "availability", "locale", "generation")

    def __init__(self, row):
        self.active = bool(row.active)
        self.role = row.role.value
        self.availability = row.availability.value
        self.locale = row.locale
        self.generation = row.session_generation or 0


def _accounts():
    rows = db.session.execute(select(User.id, User.active, User.role, User.availability, User.locale,
                                     User.session_generation))
    return {row.id: Account(row) for row in rows}


# A change to an account committed in this process drops the snapshot at once: a deactivation,
# a password change or an operator's availability reaches this worker's next poll.
@event.listens_for(Session, "after_flush")
def _flushed(sess, _context):
    if any(isinstance(obj, User) for obj in (*sess.new, *sess.dirty, *sess.deleted)):
        sess.info[_ACCOUNTS_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(sess):
    if sess.info.pop(_ACCOUNTS_CHANGED, False):
        live.drop(ACCOUNTS)


@event.listens_for(Session, "after_rollback")
def _rolled_back(sess):
    sess.info.pop(_ACCOUNTS_CHANGED, None)
