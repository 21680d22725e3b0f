"""The SQL figures equal the pure formulas; roll-ups equal the raw rows; drill-down lists count the same."""

from datetime import date, timedelta

import pytest

from hotline.dashboard import call_figures, metrics, rollups
from hotline.extensions import db
from hotline.models import DailyFigure, Role
from hotline.timeutil import to_local
from tests.dashboard.call_data import hand_worked_facts, noise, random_facts, store

DAY = date(2025, 6, 10)


def _local_hour(fact):
    return to_local(fact.queued_at, "Asia/Shanghai").hour


def test_sql_gives_the_hand_worked_figures(app, make_user):
    op = make_user(Role.OPERATOR)
    store(hand_worked_facts(operator_id=op.id))
    start, end = call_figures.day_bounds(DAY)
    t = call_figures.tally_between(start, end)
    assert (t.offered, t.answered, t.abandoned, t.short_abandoned, t.within_sl) == (10, 7, 2, 1, 4)
    assert t.answer_rate == pytest.approx(0.7) and t.service_level == pytest.approx(0.4)
    assert t.asa == pytest.approx(100 / 7) and t.aht == pytest.approx(200)
    assert call_figures.tally_by_operator(start, end) == {op.id: metrics.tally(
        [f for f in hand_worked_facts(op.id) if f.answered_at])}


@pytest.fixture
def random_day(app, make_user):
    ops = [make_user(Role.OPERATOR).id for _ in range(4)]
    start, end = call_figures.day_bounds(DAY)
    # Half an hour either side of the day: calls that must not count.
    facts = random_facts(500, start - timedelta(minutes=30), end - start + timedelta(hours=1), ops)
    store(facts)
    noise(start, end - start)
    inside = [f for f in facts if start <= f.queued_at < end]
    assert 400 < len(inside) < 500
    return inside


def test_sql_and_pure_formulas_agree_on_random_calls(random_day):
    start, end = call_figures.day_bounds(DAY)
    assert call_figures.tally_between(start, end) == metrics.tally(random_day)
    assert call_figures.tally_by_hour(DAY) == metrics.tally_by(random_day, _local_hour)
    answered = [f for f in random_day if f.answered_at]
    assert call_figures.tally_by_operator(start, end) == metrics.tally_by(answered, lambda f: f.operator_id)
    hours = {}
    for f in answered:
        hours.setdefault(f.operator_id, set()).add(_local_hour(f))
    assert call_figures.active_hours_by_operator(DAY) == {op: len(h) for op, h in hours.items()}


def test_roll_up_reads_back_the_raw_figures_and_drill_down_counts_match(random_day):
    rollups.refresh_day(DAY)
    db.session.commit()
    assert db.session.query(DailyFigure).filter(DailyFigure.figure == "calls.offered", DailyFigure.key == "").one().n \
        == len(random_day)
    rolled = call_figures.days_figures(DAY, DAY, today=DAY + timedelta(days=1))[DAY]
    assert rolled.whole == metrics.tally(random_day)
    start, end = call_figures.day_bounds(DAY)
    for figure in ("offered", "answered", "abandoned", "short_abandoned", "within_sl"):
        assert call_figures.count_calls(start, end, figure) == getattr(rolled.whole, figure), figure
    hour, by_hour = max(rolled.hours.items(), key=lambda item: item[1].offered)
    assert call_figures.count_calls(start, end, "answered", hour=hour, day=DAY) == by_hour.answered
    op, by_op = next(iter(rolled.operators.items()))
    assert call_figures.count_calls(start, end, "answered", operator_id=op) == by_op.answered
    assert rolled.active_hours[op] == call_figures.active_hours_by_operator(DAY)[op]


def test_a_day_not_rolled_up_yet_is_computed_from_the_calls(random_day):
    figures = call_figures.days_figures(DAY - timedelta(days=1), DAY, today=DAY + timedelta(days=5))
    assert figures[DAY].whole == metrics.tally(random_day)
    # The half hour before the day belongs to the day before.
    before = call_figures.count_calls(*call_figures.day_bounds(DAY - timedelta(days=1)), "offered")
    assert 0 < figures[DAY - timedelta(days=1)].whole.offered == before
    assert call_figures.missing_days(DAY - timedelta(days=1), DAY) == [DAY, DAY - timedelta(days=1)]


def test_refreshing_a_day_twice_writes_it_once(random_day):
    def calls_rows():
        return db.session.query(DailyFigure).filter(DailyFigure.figure.like("calls.%")).count()

    rollups.refresh_day(DAY)
    first = calls_rows()
    rollups.refresh_day(DAY)
    db.session.commit()
    assert first == calls_rows() == len(list(call_figures.compute(DAY)))


def test_the_scheduler_job_rolls_up_today_yesterday_and_missing_days(random_day):
    from freezegun import freeze_time

    from hotline.dashboard.jobs import refresh_daily_figures
    from hotline.jobs.scheduler import interval_of

    assert interval_of("daily-figures") == 300

    with freeze_time("2025-06-11 04:00:00"):  # 12:00 on the 11th in Shanghai
        result = refresh_daily_figures()
    db.session.commit()
    assert result == {"days": 7}  # today, yesterday and five older days without a roll-up
    rolled = call_figures.days_figures(DAY, DAY, today=DAY + timedelta(days=1))[DAY]
    assert rolled.whole == metrics.tally(random_day)
    # Five older days per run: the 9th back to the 5th; the 4th waits for the next run.
    assert call_figures.missing_days(DAY - timedelta(days=6), DAY) == [DAY - timedelta(days=6)]


def test_answered_calls_without_an_operator_count_for_the_day_only(app):
    store(hand_worked_facts(operator_id=None))
    rows = list(call_figures.compute(DAY))
    assert ("calls.answered", "", 7, 0.0) in rows
    assert not [key for _f, key, _n, _t in rows if key.startswith("operator=")]
