"""Call-centre figures from call facts (docs/DOMAIN.md, "Call-centre figures"). Pure: no Flask, no session.

A `Tally` holds sums that add up across hours, days and operators, so a report can combine
daily roll-ups with today's raw rows; the rates and means are derived from it only at the end.

Counting rules:
- offered: an inbound call with `queued_at` (it reached the operator queue);
- answered: `answered_at` is set (bridged); never `answered_by_id`, which a ringing reservation sets;
- abandoned: `abandoned_at` is set; short abandons (queue time under 5 s) are a subset shown apart;
- within service level: answered with queue time of at most 15 s; service level = within / offered;
- ASA: mean queue seconds of answered calls;
- AHT: mean of talk + after-call work over answered calls that have ended (talk time known);
  after-call work = wrap-up end (intake form saved) - hang-up, 0 when not saved after hang-up.
"""

from dataclasses import dataclass, fields
from datetime import datetime

SERVICE_LEVEL_SECONDS = 15
SHORT_ABANDON_SECONDS = 5
ANSWER_RATE_TARGET = 0.95


@dataclass(frozen=True)
class CallFact:
    """The stored facts of one inbound call that reached the queue."""

    queued_at: datetime
    answered_at: datetime | None = None
    abandoned_at: datetime | None = None
    ended_at: datetime | None = None
    wrapup_ended_at: datetime | None = None
    queue_seconds: int | None = None
    talk_seconds: int | None = None
    operator_id: int | None = None


@dataclass
class Tally:
    """Additive counts and sums; every figure on the wall and in the reports derives from one."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    within_sl: int = 0
    queue_seconds: int = 0  # of answered calls
    handled: int = 0  # answered calls that ended (talk known)
    talk_seconds: int = 0  # of handled calls
    wrapup_seconds: int = 0  # of handled calls

    def __add__(self, other):
        return Tally(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def answer_rate(self):
        return ratio(self.answered, self.offered)

    @property
    def service_level(self):
        return ratio(self.within_sl, self.offered)

    @property
    def asa(self):
        return ratio(self.queue_seconds, self.answered)

    @property
    def aht(self):
        return ratio(self.talk_seconds + self.wrapup_seconds, self.handled)

    @property
    def long_abandoned(self):
        return self.abandoned - self.short_abandoned

    def as_dict(self):
        counts = {f.name: getattr(self, f.name) for f in fields(self)}
        return counts | {"answer_rate": self.answer_rate, "service_level": self.service_level,
                         "asa": self.asa, "aht": self.aht, "long_abandoned": self.long_abandoned}


def ratio(part, whole):
    """part / whole, or None when there is nothing to divide by (shown as a dash, not 0)."""
    return part / whole if whole else None


def wrapup_seconds(fact):
    """After-call work of one call: hang-up to the form saved; 0 when not saved after hang-up."""
    if fact.ended_at is None or fact.wrapup_ended_at is None:
        return 0
    # Whole seconds on both sides, as the SQL counts them (SQLite's strftime('%s') drops fractions).
    seconds = (fact.wrapup_ended_at.replace(microsecond=0) - fact.ended_at.replace(microsecond=0)).total_seconds()
    return max(int(seconds), 0)


def tally_one(fact):
    """The Tally of a single call."""
    answered = fact.answered_at is not None
    abandoned = not answered and fact.abandoned_at is not None
    queue = fact.queue_seconds or 0
    handled = answered and fact.talk_seconds is not None
    return Tally(
        offered=1,
        answered=int(answered),
        abandoned=int(abandoned),
        short_abandoned=int(abandoned and queue < SHORT_ABANDON_SECONDS),
        within_sl=int(answered and queue <= SERVICE_LEVEL_SECONDS),
        queue_seconds=queue if answered else 0,
        handled=int(handled),
        talk_seconds=fact.talk_seconds if handled else 0,
        wrapup_seconds=wrapup_seconds(fact) if handled else 0,
    )


def tally(facts):
    """The Tally of many calls."""
    total = Tally()
    for fact in facts:
        total += tally_one(fact)
    return total


def tally_by(facts, key):
    """{key(fact): Tally} for grouping by hour, day or operator."""
    groups = {}
    for fact in facts:
        k = key(fact)
        groups[k] = groups.get(k, Tally()) + tally_one(fact)
    return groups


def calls_per_hour(answered, active_hours):
    """Answered calls per hour the operator was answering (clock hours with at least one answered call)."""
    return ratio(answered, active_hours)


def answer_rate_low(rate):
    return rate is not None and rate < ANSWER_RATE_TARGET


def wait_too_long(seconds):
    return seconds is not None and seconds > SERVICE_LEVEL_SECONDS
