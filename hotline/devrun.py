"""`make run`: the web console and the scheduler side by side, stopped together."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from hotline.demo import DEMO_USERS

ROOT = Path(__file__).resolve().parents[1]


def web_command(bin_dir, port):
    """The gunicorn command of `make run`: two workers, the access log on stdout, written without
    query strings (gunicorn.conf.py)."""
    return [os.path.join(bin_dir, "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--access-logfile", "-",
            "wsgi:app"]


def main():
    port = os.environ.get("PORT", "5000")
    env = dict(os.environ, HOTLINE_CONFIG=os.environ.get("HOTLINE_CONFIG", "development"))
    bin_dir = os.path.dirname(sys.executable)
    # `kill` (SIGTERM) stops both children as Ctrl-C does; by default it would end this process
    # alone and leave gunicorn holding the port and a second scheduler running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    scheduler = subprocess.Popen([os.path.join(bin_dir, "flask"), "hotline", "scheduler"], env=env)  # noqa: S603 (fixed argv)
    web = subprocess.Popen(web_command(bin_dir, port), env=env)  # noqa: S603 (fixed argv)
    print(f"\nHotline console: http://127.0.0.1:{port}/  (Ctrl-C stops web and scheduler)", flush=True)
    print("Demo logins: " + ", ".join(f"{user} / {password}" for user, password, *_ in DEMO_USERS) + "\n", flush=True)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (web, scheduler):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (web, scheduler):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
