"""No secret or personal data in any log line: requests carrying `?api_key=`, a phone number or a
token go through werkzeug's request log and `make run`'s gunicorn access log, and the app's own
messages, and none of it is written down."""

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hotline import devrun
from hotline.logs import redact

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("SECRET-KEY-1", "13912345678", "139 1234 5678", "tok-2468", "wang@example.cn")
QUERY = "?api_key=SECRET-KEY-1&From=%2B8613912345678&token=tok-2468&jurisdiction_id=x"
REFERER = "http://127.0.0.1/search?q=13912345678"


def assert_clean(text):
    for secret in SECRETS:
        assert secret not in text, (secret, text)
    assert "%2B8613912345678" not in text


@pytest.mark.parametrize(("line", "expected"), [
    ('"GET /open311/v2/requests.json?api_key=abc&status=open HTTP/1.1" 200',
     '"GET /open311/v2/requests.json?api_key=[redacted]&status=[redacted] HTTP/1.1" 200'),
    ("GET /search?q=13912345678 HTTP/1.1", "GET /search?q=[redacted] HTTP/1.1"),
    ("lead phone '139 1234 5678' is not a number", "lead phone '[removed]' is not a number"),
    ("sent to wang@example.cn", "sent to [removed]"),
    ("call CA0123456789012345678901234567ab redirected", "call CA0123456789012345678901234567ab redirected"),
    ("case 20261203-00012 forwarded", "case 20261203-00012 forwarded"),
    ("why? because", "why? because"),
])
def test_redact(line, expected):
    assert redact(line) == expected


def test_the_apps_own_messages_and_exceptions_are_cleaned(app, caplog):
    log = logging.getLogger("hotline.test")
    with caplog.at_level(logging.INFO):
        log.warning("GET /x%s from %s", QUERY, "+8613912345678")
        try:
            raise ValueError("duplicate key: phone=13912345678, email=wang@example.cn")
        except ValueError:
            log.exception("insert failed")
    text = caplog.text
    assert "GET /x?api_key=[redacted]" in text and "insert failed" in text and "ValueError" in text
    assert_clean(text)


def test_werkzeug_request_log_has_no_query_secret(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            url = f"http://127.0.0.1:{server.server_port}/open311/v2/discovery.json{QUERY}"
            request = urllib.request.Request(url, headers={"Referer": REFERER})
            try:
                urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 (loopback)
            except urllib.error.HTTPError as refused:  # an unknown api_key is refused: logged all the same
                assert refused.code == 403
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/open311/v2/discovery.json?api_key=[redacted]" in line for line in lines), lines
    assert_clean("\n".join(lines))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(port, proc, deadline):
    """Until /healthz on `port` answers; fails when `proc` exits or time.monotonic() passes `deadline`."""
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310
                return
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)


def _serve_and_fetch(argv, paths, timeout=60):
    """Run gunicorn, GET each path (with the query and referer), stop it; its whole output."""
    env = dict(os.environ, HOTLINE_CONFIG="testing", PYTHONUNBUFFERED="1")
    port = int(argv[argv.index("--bind") + 1].rsplit(":", 1)[1])
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        wait_until_serving(port, proc, deadline)
        for path in paths:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}{QUERY}",
                                             headers={"Referer": REFERER, "Authorization": "Bearer tok-2468"})
            with contextlib.suppress(urllib.error.HTTPError):  # a refusal is logged all the same
                urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 (loopback)
        time.sleep(0.5)  # the access log line is written after the response
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate(timeout=10)
    return output.decode("utf-8", "replace")


def _make_run_command():
    argv = devrun.web_command(os.path.dirname(sys.executable), _free_port())
    argv[argv.index("--workers") + 1] = "1"  # one worker is enough to read its log
    return argv


@pytest.mark.timeout(180)
def test_make_runs_gunicorn_access_log_has_no_query_secret():
    output = _serve_and_fetch(_make_run_command(), ["/healthz", "/search"])
    assert '"GET /healthz HTTP/1.1" 200' in output, output
    assert '"GET /search HTTP/1.1" 302' in output
    assert_clean(output)


@pytest.mark.timeout(180)
def test_a_changed_access_log_format_is_still_redacted():
    """Someone puts the query, referer and credentials back on the command line: still nothing."""
    argv = _make_run_command()
    argv[-1:-1] = ["--access-logformat", '"%(r)s" %(s)s "%(f)s" q=%(q)s %({query_string}e)s %({authorization}i)s']
    output = _serve_and_fetch(argv, ["/search"])
    assert '"GET /search HTTP/1.1" 302 "http://127.0.0.1/search" q=[redacted] [redacted] [redacted]' in output, output
    assert_clean(output)
    assert "Bearer" not in output


@pytest.mark.timeout(180)
def test_gunicorn_without_the_config_still_writes_no_secret():
    """`gunicorn wsgi:app` started elsewhere, with its default format (query and referer in it)."""
    argv = [a for a in _make_run_command() if a != str(ROOT / "gunicorn.conf.py")]
    argv.remove("--config")
    output = _serve_and_fetch(argv + ["--config", "/dev/null"], ["/search"])
    assert '"GET /search?api_key=[redacted]&From=[redacted]&token=[redacted]&jurisdiction_id=[redacted] HTTP/1.1"' \
        in output, output
    assert '"http://127.0.0.1/search?q=[redacted]"' in output
    assert_clean(output)
