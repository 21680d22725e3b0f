"""The call report: past days from roll-ups, today from the calls, and every number links to a list
of exactly that many calls."""

import html
import re
from datetime import date, datetime

import pytest
from freezegun import freeze_time

from hotline.dashboard import call_figures, metrics, rollups
from hotline.extensions import db
from hotline.models import Role
from tests.dashboard.call_data import hand_worked_facts, random_facts, store

NOW = datetime(2025, 6, 12, 6, 0, 0)  # Thu 2025-06-12 14:00 in Shanghai
EN = {"Accept-Language": "en"}
DRILL = re.compile(r'<a href="(/reports/calls/list\?[^"]+)" data-testid="drill[^"]*">(\d+)</a>')


@pytest.fixture
def calls_world(app, make_user, login):
    ops = [make_user(Role.OPERATOR).id for _ in range(3)]
    store(hand_worked_facts(operator_id=ops[0]))  # Tue 10th
    start = call_figures.day_bounds(date(2025, 6, 11))[0]
    facts = random_facts(200, start, NOW - start, ops, seed=11)  # Wed 11th and today until 14:00
    store(facts)
    with freeze_time(NOW):
        for day in (date(2025, 6, 10), date(2025, 6, 11)):
            rollups.refresh_day(day)
        db.session.commit()
        login(make_user(Role.SUPERVISOR))
        yield hand_worked_facts(ops[0]) + facts


def test_totals_combine_roll_ups_and_today(client, calls_world):
    page = client.get("/reports/calls?start=2025-06-10&end=2025-06-12", headers=EN).get_data(as_text=True)
    whole = metrics.tally(calls_world)
    total = re.search(r'data-testid="total-row">(.*?)</tr>', page, re.S).group(1)
    assert f'data-col="offered"><a href="/reports/calls/list?figure=offered&amp;start=2025-06-10&amp;end=2025-06-12" data-testid="drill-offered">{whole.offered}</a>' in total
    # A rate opens the calls it divides by.
    assert f'data-testid="drill-offered">{whole.answer_rate * 100:.1f}%</a>' in total
    row = re.search(r'data-period="2025-06-10">(.*?)</tr>', page, re.S).group(1)
    assert ">10</a>" in row and ">70.0%<" in row and ">40.0%<" in row and ">3:20<" in row


def test_every_number_lists_as_many_calls(client, calls_world):
    page = client.get("/reports/calls?start=2025-06-10&end=2025-06-12", headers=EN).get_data(as_text=True)
    links = DRILL.findall(page)
    assert len(links) > 40
    kinds = {re.search(r"figure=(\w+)", html.unescape(u)).group(1) for u, _n in links}
    assert kinds == {"offered", "answered", "long_abandoned", "short_abandoned", "abandoned", "within_sl"}
    assert any("operator=" in u for u, _n in links) and any("weekday=" in u for u, _n in links)
    for url, number in links:
        listed = client.get(html.unescape(url), headers=EN).get_data(as_text=True)
        assert f'data-testid="call-count">{number}<' in listed, url


def test_csv_export_has_the_figures(client, calls_world):
    response = client.get("/reports/calls?start=2025-06-10&end=2025-06-10&format=csv", headers=EN)
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffPeriod,Offered,Answered,Answer rate,Abandoned (5 s or more),"
                           "Short abandons (under 5 s),Abandoned in all,")
    assert "2025-06-10,10,7,70.0,1,1,2,4,40.0,14.3,200.0" in text


def test_a_bad_drill_down_is_refused(client, calls_world):
    assert client.get("/reports/calls/list?figure=asa").status_code == 400
    assert client.get("/reports/calls/list?hour=24").status_code == 400
    assert client.get("/reports/calls/list?start=nope").status_code == 400


def test_missed_offers_are_counted_per_operator(client, calls_world, make_user):
    from hotline import calls
    from hotline.models import Channel, Contact, Direction

    slow = make_user(Role.OPERATOR, username="slow-to-pick-up")
    with freeze_time(datetime(2025, 6, 11, 2, 0)):  # Wed 10:00 in Shanghai
        for _ in range(2):
            contact = Contact(channel=Channel.VOICE, direction=Direction.INBOUND, queued_at=datetime(2025, 6, 11, 2, 0),
                              answered_by_id=slow.id)
            db.session.add(contact)
            db.session.flush()
            calls.release(contact, missed=True)
        calls.release(contact, missed=True)  # the claim is gone: nothing more to count
        db.session.commit()
    page = client.get("/reports/calls?start=2025-06-10&end=2025-06-12", headers=EN).get_data(as_text=True)
    row = re.search(rf'data-operator="{slow.id}">(.*?)</tr>', page, re.S).group(1)
    missed = re.search(r'data-testid="missed-offers"><a href="([^"]+)" data-testid="drill-missed">2</a>', row)
    assert missed, row
    # The number opens the calls that rang and were not picked up: two rows, by that operator.
    listed = client.get(html.unescape(missed.group(1)), headers=EN).get_data(as_text=True)
    assert 'data-testid="call-count">2<' in listed and listed.count('data-testid="call-row"') == 2
    assert "slow-to-pick-up" in row or slow.display_name in row
    other = client.get("/reports/calls?start=2025-06-12&end=2025-06-12", headers=EN).get_data(as_text=True)
    assert f'data-operator="{slow.id}"' not in other
