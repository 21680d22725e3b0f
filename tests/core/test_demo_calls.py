"""The demo's calls (`flask hotline seed-demo`) that reach operators start while the hotline is
open: inside OPENING_HOURS, never on a public holiday it is closed, never in the future, so the
supervisor's figures look like a real hotline's. One more came last night after closing and asked
to be called back: it is on the callback list and in no queue figure."""

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from hotline.calls import is_open_now, pending_callback_requests
from hotline.demo import seed_demo
from hotline.extensions import db
from hotline.models import Channel, Contact, Direction, Ticket
from hotline.timeutil import now, to_local


def seeded_calls():
    """The inbound calls that reached the queue (the after-hours callback request did not)."""
    return db.session.scalars(select(Contact).where(Contact.channel == Channel.VOICE, Contact.queued_at.is_not(None),
                                                    Contact.direction == Direction.INBOUND)).all()


def local(moment):
    return to_local(moment, "Asia/Shanghai")


@pytest.fixture
def seed(app, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path)

    def run():
        seed_demo(n_cases=40)
        db.session.commit()
        return seeded_calls()

    return run


@pytest.mark.parametrize("moment", [
    "2025-06-10 06:30:00",  # Tuesday 14:30 in Beijing: the hotline is open
    "2025-06-09 22:30:00",  # Tuesday 06:30 in Beijing: not yet open today
    "2025-10-03 04:00:00",  # 12:00 on 3 October: the hotline closed for National Day since the 1st
])
def test_every_seeded_call_starts_while_the_hotline_is_open(app, seed, moment):
    with freeze_time(moment):
        calls = seed()
        assert len(calls) > 100  # the cases' calls and a week of call traffic
        for call in calls:
            started = call.queued_at or call.created_at
            assert is_open_now(started), local(started)
            assert started <= now()
            assert 8 <= local(started).hour < 20  # the default OPENING_HOURS 08:00-20:00
        voice_cases = db.session.scalars(select(Ticket).where(Ticket.channel == Channel.VOICE)).all()
        assert voice_cases and all(is_open_now(t.created_at) for t in voice_cases if t not in asked_back())


def asked_back():
    return [ticket for ticket, _event in pending_callback_requests()]


def test_last_nights_caller_is_on_the_callback_list_and_in_no_queue_figure(app, seed):
    with freeze_time("2025-06-10 06:30:00"):  # Tuesday 14:30 in Beijing
        seed()
        (ticket,) = asked_back()
        (call,) = ticket.contacts
        assert local(call.created_at).strftime("%m-%d %H:%M") == "06-09 23:10"  # after closing
        assert not is_open_now(call.created_at) and call.queued_at is None and call.answered_at is None


def test_the_opening_hours_setting_is_followed(app, seed):
    app.config["OPENING_HOURS"] = "09:00-12:00,14:00-17:00"
    with freeze_time("2025-06-10 06:30:00"):
        calls = seed()
    minutes = {local(c.queued_at).hour * 60 + local(c.queued_at).minute for c in calls}
    assert minutes and all(540 <= m < 720 or 840 <= m < 1020 for m in minutes)


def test_a_closed_day_has_no_calls_and_the_open_days_have_them(app, seed):
    with freeze_time("2025-10-03 04:00:00"):  # 12:00 on 3 October: closed since the 1st (public holidays)
        days = {local(c.queued_at).date() for c in seed()}
    assert not days & {date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}
    assert date(2025, 9, 30) in days  # the last open day before the holiday has calls
