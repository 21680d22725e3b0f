"""The call-centre formulas against a day worked out by hand (no app, no database)."""

from datetime import datetime, timedelta

import pytest

from hotline.dashboard import metrics
from hotline.dashboard.metrics import CallFact, Tally, tally, tally_by
from tests.dashboard.call_data import hand_worked_facts


def test_ten_calls_give_the_hand_worked_figures():
    t = tally(hand_worked_facts())
    # 7 reached an operator (one still talking); 2 hung up in the queue, one after 3 s; one timed out.
    assert (t.offered, t.answered, t.abandoned, t.short_abandoned, t.long_abandoned) == (10, 7, 2, 1, 1)
    assert t.answer_rate == pytest.approx(0.7)
    # Answered within 15 s: queues of 5, 10, 15 and 4 s (16 s is late) -> 4 of 10 offered.
    assert t.service_level == pytest.approx(0.4)
    # ASA: (5 + 10 + 15 + 20 + 30 + 4 + 16) / 7 answered.
    assert t.asa == pytest.approx(100 / 7)
    # AHT over the 6 ended calls: (120+60) + (200+40) + (100+20) + (300+0 saved during the call)
    # + (60+0 never saved) + (180+120) = 1200 s.
    assert t.handled == 6
    assert t.aht == pytest.approx(200)


def test_figures_of_no_calls_are_unknown_not_zero():
    t = tally([])
    assert (t.answer_rate, t.service_level, t.asa, t.aht) == (None, None, None, None)


def test_tallies_add_up_across_groups():
    facts = hand_worked_facts()
    by_hour = tally_by(facts, key=lambda f: f.queued_at.hour)
    assert sum(by_hour.values(), Tally()) == tally(facts)
    assert sorted(by_hour) == [2, 3]


def test_the_reservation_of_a_ringing_call_is_not_an_answer():
    queued = datetime(2025, 6, 10, 2, 0)
    ringing = CallFact(queued_at=queued, operator_id=5)  # answered_by set, answered_at not
    assert tally([ringing]).answered == 0


def test_wrap_up_counts_whole_seconds_and_never_below_zero():
    ended = datetime(2025, 6, 10, 2, 0, 0, 900_000)
    fact = CallFact(queued_at=ended, answered_at=ended, ended_at=ended, talk_seconds=0,
                    wrapup_ended_at=ended + timedelta(seconds=1, microseconds=200_000))
    assert metrics.wrapup_seconds(fact) == 2  # 02:00:02.1 - 02:00:00.9 counted as 2 - 0
    early = CallFact(queued_at=ended, ended_at=ended, wrapup_ended_at=ended - timedelta(seconds=30))
    assert metrics.wrapup_seconds(early) == 0


def test_thresholds():
    assert metrics.answer_rate_low(0.94) and not metrics.answer_rate_low(0.95)
    assert not metrics.answer_rate_low(None)
    assert metrics.wait_too_long(16) and not metrics.wait_too_long(15)
    assert metrics.calls_per_hour(12, 3) == 4
