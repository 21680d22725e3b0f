"""The ingest benchmark's baseline: a bare Flask app that stores one row per POST and answers
a short XML string, under the same gunicorn settings and database as the real webhooks.

    gunicorn bench.baseline_app:app   (DATABASE_URL in the environment; run create_table first)
"""

import os

from flask import Flask, Response, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, event, insert

from hotline.timeutil import now

metadata = MetaData()
rows = Table(
    "bench_baseline", metadata,
    Column("id", Integer, primary_key=True),
    Column("sid", String(64), unique=True),
    Column("body", Text),
    Column("created_at", DateTime),
)


def make_engine(url):
    """The same engine settings the app uses (WAL and a busy timeout on SQLite)."""
    engine = create_engine(url, pool_pre_ping=True)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA busy_timeout=5000")
    return engine


def create_table(url):
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def count(url):
    from sqlalchemy import func, select

    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(rows))
    engine.dispose()
    return n


def create_app(url):
    app = Flask(__name__)
    engine = make_engine(url)

    @app.post("/sms")
    def sms():
        with engine.begin() as conn:
            conn.execute(insert(rows).values(sid=request.form.get("MessageSid"), body=request.form.get("Body"),
                                             created_at=now()))
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', mimetype="text/xml")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


app = create_app(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
