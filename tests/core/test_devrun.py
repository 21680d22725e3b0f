"""`make run` stops as a whole: a SIGTERM to it (kill, a process manager, a closed terminal's
hang-up aside) stops gunicorn and the scheduler too, so the port is free for the next start and
no second scheduler keeps running against the database."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.core.test_logs import ROOT, _free_port, wait_until_serving


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return not status.stdout.strip().startswith("Z")  # a zombie has stopped; only its exit status waits


@pytest.mark.timeout(120)
def test_sigterm_stops_the_web_and_the_scheduler(tmp_path):
    port = _free_port()
    env = dict(os.environ, PORT=str(port), HOTLINE_CONFIG="development", PYTHONUNBUFFERED="1",
               DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite'}")
    proc = subprocess.Popen([sys.executable, "-m", "hotline.devrun"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = []
    try:
        wait_until_serving(port, proc, time.monotonic() + 60)
        children = _children(proc.pid)
        assert len(children) == 2  # gunicorn's master and the scheduler

        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(_alive(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(child) for child in children)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
    finally:
        if proc.poll() is None:
            proc.kill()
        for child in children + _children(proc.pid):
            if _alive(child):  # left behind by a failure above: gunicorn stops its workers on SIGTERM
                os.kill(child, signal.SIGTERM)
