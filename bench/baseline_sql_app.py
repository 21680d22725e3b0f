"""The ingest benchmark's second baseline, the floor for this work: a plain Flask app that writes
the rows a new text or call must leave, in one transaction of Core statements on the hotline's
own tables, with no signature check, no ORM, no hooks:

    the caller (INSERT ... ON CONFLICT DO NOTHING RETURNING, else read it, locked on PostgreSQL),
    the day's case number, the case and its "created" event, the Contact (ON CONFLICT (sid) DO
    NOTHING: a repeat writes nothing) and, for a text, the acknowledgement in the outbox.

    gunicorn bench.baseline_sql_app:app   (DATABASE_URL in the environment, the hotline schema made)

POST /twilio/sms and /twilio/voice take the webhooks' form fields and answer the same TwiML.
"""

import os
from datetime import timedelta

from flask import Flask, Response, request
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bench.baseline_app import make_engine
from hotline.models import (
    Caller,
    CaseCounter,
    Channel,
    Contact,
    Direction,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from hotline.timeutil import now

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
LOCAL = timedelta(hours=8)  # the hotline's case numbers count local (Asia/Shanghai) days


def create_app(url):
    app = Flask(__name__)
    engine = make_engine(url)
    app.extensions["engine"] = engine  # for an in-process user to dispose (bench/ingest_cpu.py)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    callers, counters = Caller.__table__, CaseCounter.__table__
    tickets, events, contacts, outbox = Ticket.__table__, TicketEvent.__table__, Contact.__table__, OutboxMessage.__table__

    def caller_id(conn, phone, moment):
        new = conn.execute(dialect.insert(callers).values(phone=phone, created_at=moment, updated_at=moment)
                           .on_conflict_do_nothing(index_elements=["phone"]).returning(callers.c.id)).scalar()
        if new is not None:
            return new
        return conn.execute(select(callers.c.id).where(callers.c.phone == phone).with_for_update()).scalar_one()

    def open_case(conn, channel, caller, moment, summary=None):
        day = (moment + LOCAL).strftime("%Y%m%d")
        seq = conn.execute(dialect.insert(counters).values(day=day, last=1).on_conflict_do_update(
            index_elements=["day"], set_={"last": counters.c.last + 1}).returning(counters.c.last)).scalar_one()
        number = f"{day}-{seq:05d}"
        ticket = conn.execute(insert(tickets).values(
            number=number, channel=channel, caller_id=caller, kind=TicketKind.UNKNOWN, status=TicketStatus.NEW,
            summary=summary, created_at=moment, updated_at=moment).returning(tickets.c.id)).scalar_one()
        conn.execute(insert(events).values(ticket_id=ticket, type="created", to_value=str(channel), at=moment))
        return ticket, number

    def contact(conn, **values):
        stmt = dialect.insert(contacts).values(direction=Direction.INBOUND, **values)
        return conn.execute(stmt.on_conflict_do_nothing(index_elements=["sid"]).returning(contacts.c.id)).scalar()

    @app.post("/twilio/sms")
    def sms():
        form, moment = request.form, now()
        with engine.connect() as conn, conn.begin() as tx:
            caller = caller_id(conn, form["From"], moment)
            ticket, number = open_case(conn, Channel.SMS, caller, moment, form.get("Body", "")[:60])
            if contact(conn, sid=form["MessageSid"], channel=Channel.SMS, ticket_id=ticket, caller_id=caller,
                       from_number=form["From"], to_number=form.get("To"), status="received",
                       body=form.get("Body"), first_reply_at=moment) is None:
                tx.rollback()
                return Response(EMPTY_TWIML, mimetype="text/xml")
            conn.execute(insert(outbox).values(
                channel=OutboxChannel.SMS, to=form["From"], body=f"您的投诉已登记，案件编号{number}。", purpose="ack",
                ticket_id=ticket, legal=False, status=OutboxStatus.PENDING, attempts=0, next_attempt_at=moment))
        return Response(EMPTY_TWIML, mimetype="text/xml")

    @app.post("/twilio/voice")
    def voice():
        form, moment = request.form, now()
        with engine.connect() as conn, conn.begin() as tx:
            caller = caller_id(conn, form["From"], moment)
            ticket, _number = open_case(conn, Channel.VOICE, caller, moment)
            if contact(conn, sid=form["CallSid"], channel=Channel.VOICE, ticket_id=ticket, caller_id=caller,
                       from_number=form["From"], to_number=form.get("To"), status="ringing") is None:
                tx.rollback()
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response><Say>您好</Say></Response>',
                        mimetype="text/xml")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


app = create_app(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
