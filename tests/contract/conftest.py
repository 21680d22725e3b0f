"""`prism_url`: Twilio's REST API as a checking mock (Stoplight Prism on the project's copy of
Twilio's OpenAPI spec), one per test session."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / ".tools" / "node_modules" / ".bin" / "prism"
SPEC = Path(__file__).with_name("twilio_api_v2010.json")
START_TIMEOUT = 30


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url):
    try:
        urllib.request.urlopen(url + "/2010-04-01/Accounts.json", timeout=1)  # noqa: S310 (local Prism)
    except urllib.error.HTTPError:
        return True  # any HTTP answer (401, 422...) means it is listening
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def prism_url():
    """http://127.0.0.1:<port> of a running Prism mock; skipped (CI: failed) without Prism."""
    require("prism", PRISM.exists(), "run `make tools` (npm install of @stoplight/prism-cli)")
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # Prism logs every request; a file, unlike a pipe, never fills up and blocks it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        try:
            _wait_until_listening(process, url, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_listening(process, url, log):
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"Prism did not start within {START_TIMEOUT}s: {log.read()[-2000:]!r}")
        time.sleep(0.2)
