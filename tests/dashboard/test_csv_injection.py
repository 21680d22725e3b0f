"""CSV injection (OWASP): text a caller, a business or a staff member typed never reaches a
spreadsheet as a formula, in any export. Each export is downloaded as a supervisor would and
opened the way a spreadsheet reads it; every text cell that began like a formula starts with '."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from hotline.dashboard import reporting, rollups
from hotline.extensions import db
from hotline.models import Department, Role, Survey
from tests.dashboard import reportdata as rd
from tests.dashboard.call_data import hand_worked_facts, store

EN = {"Accept-Language": "en"}
# What an attacker types as a caller's words, a business's name or a staff name.
PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # a full-width ＝, as a Chinese input method types it
]
DANGEROUS = reporting.FORMULA_START


def cells(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    return [cell for row in rows for cell in row]


def assert_neutralised(found, expected):
    """No cell begins like a formula, and each payload is there, behind an apostrophe."""
    assert [c for c in found if c.startswith(DANGEROUS)] == []
    for payload in expected:
        assert "'" + payload in found, payload


@pytest.fixture
def supervisor(make_user, login):
    user = make_user(Role.SUPERVISOR)
    login(user)
    return user


@pytest.fixture
def d():
    return rd.today() - timedelta(days=10)


@pytest.fixture
def hostile_cases(app, d):
    dept = Department(code="X", name="@科室")
    db.session.add(dept)
    db.session.flush()
    made = [rd.case(rd.at(d, 9 + i), department_id=dept.id, respondent_name=payload, summary=payload,
                    status="closed") for i, payload in enumerate(PAYLOADS)]
    for ticket, payload in zip(made, PAYLOADS, strict=True):
        db.session.add(Survey(ticket_id=ticket.id, phone="+8613800138000", status="answered", sent_at=rd.at(d, 9),
                              score=1, answered_at=rd.at(d, 10), comment=payload))
    db.session.commit()
    return made


def test_the_case_report_export(client, supervisor, d, hostile_cases):
    found = cells(client.get(f"/reports/cases?start={d}&end={d}&format=csv", headers=EN))
    assert_neutralised(found, PAYLOADS + ["@科室"])  # respondents (top 20) and departments


def test_the_followup_report_export(client, supervisor, d, hostile_cases):
    found = cells(client.get(f"/reports/followup?start={d}&end={d}&format=csv", headers=EN))
    assert_neutralised(found, PAYLOADS)  # the lowest-scored cases' comments, as the callers wrote them


def test_the_drill_down_list_export(client, supervisor, d, hostile_cases):
    url = f"/reports/cases/list?figure=cases.received&dim=&key=&start={d}&end={d}&format=csv"
    found = cells(client.get(url, headers=EN))
    assert_neutralised(found, PAYLOADS + ["@科室"])  # business, summary and department of each case
    assert found.count("'" + PAYLOADS[0]) == 2  # the business and the summary of the same case


def test_the_call_report_export(app, client, make_user, login):
    operators = [make_user(Role.OPERATOR) for _ in PAYLOADS[:3]]
    for user, payload in zip(operators, PAYLOADS, strict=False):
        user.display_name = payload
        store(hand_worked_facts(operator_id=user.id))
    db.session.commit()
    with freeze_time(datetime(2025, 6, 12, 6, 0, 0)):
        rollups.refresh_day(date(2025, 6, 10))
        db.session.commit()
        login(make_user(Role.SUPERVISOR))
        found = cells(client.get("/reports/calls?start=2025-06-10&end=2025-06-10&format=csv", headers=EN))
    assert_neutralised(found, PAYLOADS[:3])  # operators' names


@pytest.mark.parametrize(("value", "written"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("-5", "'-5"),  # text someone typed, even if it looks like a number
    (-5, -5),  # a figure this code computed stays a number
    (-1.5, -1.5),
    (0, 0),
    (None, None),
    ("商家 = 骗子", "商家 = 骗子"),  # only the first character matters
    ("–", "–"),  # the en dash shown for "no value" is no minus
    ("'=1", "'=1"),
])
def test_one_rule_for_every_cell(value, written):
    assert reporting.safe_cell(value) == written


def test_every_csv_the_app_writes_goes_through_the_one_helper():
    """A new export written beside it would skip the neutralising: none may exist."""
    root = Path(__file__).resolve().parents[2]
    writers = []
    for package in ("hotline", "intake", "routing", "followup"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"csv\.(writer|DictWriter)\(|text/csv", text):
                writers.append(path.relative_to(root).as_posix())
    assert writers == ["hotline/dashboard/reporting.py"]
