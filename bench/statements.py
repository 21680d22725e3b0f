"""SQL statements per webhook: how many a new-number text, a known caller's text and a new call
cost, counted with a `before_cursor_execute` listener on the real app (in-process, test client,
signed requests). BEGIN/COMMIT are counted too, where the driver sends them as statements
(SQLite's BEGIN IMMEDIATE is; psycopg's implicit BEGIN is not, so PostgreSQL adds one).

    .venv/bin/python -m bench.statements [--db sqlite|postgresql|both] [--show]

Counting is deterministic, so one request of each kind is enough (after one warm-up of each).
"""

import argparse
import json
from contextlib import contextmanager
from urllib.parse import urlencode

from sqlalchemy import event
from twilio.request_validator import RequestValidator

from bench import serve
from bench.generate import HOTLINE_NUMBER, app_engine_dispose, bench_app
from bench.ingest import SMS_TEXT
from hotline.extensions import db

BASE = "http://bench.invalid"
CASES = ("new-number text", "known-caller text", "new call")


@contextmanager
def counting(engine):
    seen = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _post(client, path, params):
    signature = RequestValidator(serve.TWILIO_TOKEN).compute_signature(BASE + path, params)
    resp = client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 200, resp.status_code
    return resp


def _sms(n, phone):
    sid = f"SM{n:032x}"
    return {"MessageSid": sid, "SmsSid": sid, "From": phone, "To": HOTLINE_NUMBER, "Body": SMS_TEXT,
            "NumMedia": "0", "AccountSid": "AC" + "0" * 32}


def _call(n, phone):
    return {"CallSid": f"CA{n:032x}", "From": phone, "To": HOTLINE_NUMBER, "CallStatus": "ringing",
            "Direction": "inbound", "AccountSid": "AC" + "0" * 32}


def webhook_app(url):
    """The real app on an empty hotline at `url`, open around the clock, signing as the bench does."""
    from hotline.seeds import seed_categories

    app = bench_app(url, PUBLIC_BASE_URL=BASE, TWILIO_AUTH_TOKEN=serve.TWILIO_TOKEN,
                    OPENING_HOURS="00:00-24:00", OPEN_ON_HOLIDAYS=True)
    with app.app_context():
        db.create_all()
        seed_categories()
        db.session.commit()
    return app


def count(url):
    """{case: [statement, ...]} for one request of each kind on a fresh hotline at `url`."""
    app = webhook_app(url)
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    # Warm-up: one of each, so first-use work (metadata, caches) is not counted.
    _post(client, "/twilio/sms", _sms(1, "+8613900000001"))
    _post(client, "/twilio/sms", _sms(2, "+8613900000001"))
    _post(client, "/twilio/voice", _call(3, "+8613900000002"))
    requests = {
        "new-number text": ("/twilio/sms", _sms(10, "+8613900000010")),
        # A known caller whose earlier text is no longer a NEW case: the full path, no join.
        "known-caller text": ("/twilio/sms", _sms(11, "+8613900000001")),
        "new call": ("/twilio/voice", _call(12, "+8613900000012")),
    }
    out = {}
    for case, (path, params) in requests.items():
        with counting(engine) as seen:
            _post(client, path, params)
        out[case] = seen
    app_engine_dispose(app)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--show", action="store_true", help="print every statement")
    args = parser.parse_args(argv)
    results = {}
    for name in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        if name == "postgresql" and not serve.pg_available():
            print(f"postgresql missing: not reachable at {serve.PG_ADMIN_URL}")
            continue
        with serve.fresh_database(name, "statements") as url:
            results[name] = count(url)
    for name, cases in results.items():
        for case in CASES:
            print(f"{name:10} {case:18} {len(cases[case]):3} statements")
            if args.show:
                for statement in cases[case]:
                    print("    ", statement)
    print("BENCH_JSON " + json.dumps({db_: {c: len(s) for c, s in cases.items()} for db_, cases in results.items()}))
    return results


if __name__ == "__main__":
    main()
