"""Call facts for the dashboard's tests: the hand-worked day, and random days."""

import random
from datetime import datetime, timedelta

from hotline.dashboard.metrics import CallFact
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction

# Tue 2025-06-10 10:00 in Shanghai.
DAY_START_LOCAL_10H = datetime(2025, 6, 10, 2, 0, 0)
# (queue s, outcome, talk s, wrap-up s): wrap-up None = form not saved, -1 = saved during the call.
HAND_WORKED = [
    (5, "answered", 120, 60),
    (10, "answered", 200, 40),
    (15, "answered", 100, 20),
    (20, "answered", 300, -1),
    (30, "answered", 60, None),
    (4, "answered", 180, 120),
    (16, "talking", None, None),
    (3, "abandoned", None, None),
    (40, "abandoned", None, None),
    (120, "left", None, None),
]


def fact_from(queued, queue, outcome, talk, wrapup, operator_id=None):
    """A CallFact as the call services would have left it."""
    answered = queued + timedelta(seconds=queue) if outcome in ("answered", "talking") else None
    abandoned = queued + timedelta(seconds=queue) if outcome == "abandoned" else None
    ended = answered + timedelta(seconds=talk) if outcome == "answered" else abandoned
    if outcome == "left":
        ended = queued + timedelta(seconds=queue)
    wrapup_at = None
    if wrapup == -1:
        wrapup_at = answered + timedelta(seconds=10)
    elif wrapup is not None:
        wrapup_at = ended + timedelta(seconds=wrapup)
    return CallFact(queued_at=queued, answered_at=answered, abandoned_at=abandoned, ended_at=ended,
                    wrapup_ended_at=wrapup_at, queue_seconds=queue, talk_seconds=talk,
                    operator_id=operator_id if answered else None)


def hand_worked_facts(operator_id=None):
    return [fact_from(DAY_START_LOCAL_10H + timedelta(minutes=7 * i), *row, operator_id=operator_id)
            for i, row in enumerate(HAND_WORKED)]


def store(facts, created_before=timedelta(seconds=20)):
    """Contact rows for the facts (committed); returns them."""
    rows = [Contact(channel=Channel.VOICE, direction=Direction.INBOUND, created_at=f.queued_at - created_before,
                    queued_at=f.queued_at, answered_at=f.answered_at, abandoned_at=f.abandoned_at,
                    ended_at=f.ended_at, wrapup_ended_at=f.wrapup_ended_at, queue_seconds=f.queue_seconds,
                    talk_seconds=f.talk_seconds, answered_by_id=f.operator_id,
                    queue_result="bridged" if f.answered_at else ("hangup" if f.abandoned_at else None))
            for f in facts]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def random_facts(n, start, span, operator_ids, seed=7):
    """n random calls queued in [start, start + span), with microseconds, any outcome."""
    r = random.Random(seed)
    facts = []
    for _ in range(n):
        queued = start + timedelta(seconds=r.uniform(0, span.total_seconds()))
        outcome = r.choices(["answered", "talking", "abandoned", "left"], [70, 5, 20, 5])[0]
        queue = r.choice([0, 1, 4, 5, 6, 14, 15, 16, 30, r.randrange(0, 300)])
        talk = r.randrange(10, 900) if outcome == "answered" else None
        wrapup = r.choice([None, -1, 0, r.randrange(1, 400)]) if outcome == "answered" else None
        fact = fact_from(queued, queue, outcome, talk, wrapup, operator_id=r.choice(operator_ids))
        micro = timedelta(microseconds=r.randrange(1_000_000))
        if fact.wrapup_ended_at is not None:
            fact = CallFact(**{**fact.__dict__, "wrapup_ended_at": fact.wrapup_ended_at + micro})
        facts.append(fact)
    return facts


def noise(start, span):
    """Rows that are not offered calls: outbound, SMS, never queued. Committed."""
    rows = []
    for i in range(5):
        at = start + span * (i / 5)
        rows += [
            Contact(channel=Channel.VOICE, direction=Direction.OUTBOUND, created_at=at, answered_at=at, ended_at=at),
            Contact(channel=Channel.SMS, direction=Direction.INBOUND, created_at=at, queued_at=at),
            Contact(channel=Channel.VOICE, direction=Direction.INBOUND, created_at=at, ended_at=at,
                    end_reason="blocked"),
        ]
    db.session.add_all(rows)
    db.session.commit()
