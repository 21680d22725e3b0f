"""The demo (make run) routes by itself: every district of Beijing has its office and rule, and
the usual platforms lead somewhere, so a typical accepted complaint forwards itself."""

import pytest
from sqlalchemy import select

from hotline import tickets
from hotline.demo import seed_demo
from hotline.extensions import db
from hotline.models import Department, OutboxMessage, RuleAction, Ticket, TicketKind, TicketStatus
from intake.decisions import accept_ticket
from routing import divisions, services


@pytest.fixture
def demo(app):
    app.config["HOME_DIVISION"] = "110000"
    seed_demo(n_cases=0)
    db.session.commit()


def complaint(**fields):
    base = dict(complainant_name="陈女士", complainant_phone="+8613800138000", complainant_address="北京市海淀区某路1号",
                respondent_name="某商家", facts="买的东西坏了，商家不管。", demand="退货退款")
    ticket = tickets.open_ticket("voice", caller=tickets.find_or_create_caller("+8613800138000"),
                                 kind=TicketKind.COMPLAINT, **{**base, **fields})
    db.session.commit()
    return ticket


def test_every_beijing_district_has_an_active_office_and_an_automatic_rule(demo):
    rules = {r.division: r for r in services.all_rules() if r.division}
    for district in divisions.children("110100"):
        rule = rules[district.code]
        assert rule.action == RuleAction.AUTO and rule.department.active, district.name
    offices = db.session.scalars(select(Department.code)).all()
    assert len(offices) == 17  # 16 district offices and the cross-region desk


TYPICAL = [
    ({"respondent_address": "北京市朝阳区三里屯路19号"}, "MS04"),
    ({"respondent_address": "东城区王府井大街255号"}, "MS01"),
    ({"respondent_address": "延庆区妫水北街"}, "MS16"),
    ({"platform": "京东", "seller": "某电器旗舰店", "order_number": "JD1"}, "MS12"),
    ({"platform": "抖音", "seller": "某服饰小店"}, "MS03"),
    ({"platform": "淘宝", "seller": "某女装店"}, "XR01"),
    ({"platform": "拼多多", "order_number": "PDD-1"}, "XR01"),
]


def test_a_typical_accepted_complaint_forwards_itself(demo, make_user):
    operator = make_user(username="op-demo-test")
    for fields, office in TYPICAL:  # one demo world for all (seeding it takes a while)
        ticket = complaint(**fields)
        accept_ticket(ticket, operator)
        db.session.commit()
        assert ticket.status == TicketStatus.FORWARDED, fields
        assert ticket.department.code == office and ticket.routed_by_rule is not None, fields


def test_the_forwarding_sms_gives_the_demo_office_s_phone_and_hours(demo, make_user):
    ticket = complaint(respondent_address="北京市朝阳区三里屯路19号")
    accept_ticket(ticket, make_user(username="op-demo-sms"))
    db.session.commit()
    [body] = db.session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.purpose == "forwarded")).all()
    assert "转交朝阳市场监管所办理，联系电话 010-65550104（工作时间 09:00-17:00）" in body
    offices = db.session.scalars(select(Department)).all()
    assert all(d.contact_phone and d.working_hours == "09:00-17:00" for d in offices)


def test_every_demo_case_waiting_on_triage_has_a_suggested_office(app):
    """The seeded cases are what a new supervisor sees first on the triage list: each accepted
    one, the online purchase included (by its platform), names the office to forward it to."""
    app.config["HOME_DIVISION"] = "110000"
    seed_demo(n_cases=16)  # every kind of demo case twice
    db.session.commit()
    rows = services.triage_cases()
    assert rows, "the demo leaves some accepted cases for triage"
    for row in rows:
        assert row.suggestion is not None, (row.ticket.respondent_name, row.ticket.platform)
    online = db.session.scalars(select(Ticket).where(Ticket.platform == "京东")).all()
    assert online and all(t.respondent_address is None and t.order_number for t in online)
    assert {t.department.code for t in online if t.department is not None} <= {"MS12"}


def test_the_demo_department_finds_work_on_its_desk(app, client):
    """dept1 signs in on `make run` and sees a case to sign for and one in hand, not an empty desk."""
    app.config["HOME_DIVISION"] = "110000"
    seed_demo()
    db.session.commit()
    sign_in = client.post("/login", data={"username": "dept1", "password": "dept1-demo-pass"})
    assert sign_in.status_code == 302
    page = client.get("/desk", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "海鲜酒楼" in page
    dept = db.session.scalar(select(Department).where(Department.code == "MS01"))
    held = db.session.scalars(select(Ticket).where(Ticket.department_id == dept.id)).all()
    assert {TicketStatus.FORWARDED, TicketStatus.IN_PROGRESS} <= {t.status for t in held}
    assert all(t.forwarded_at is not None and t.forwarded_at >= t.created_at for t in held)  # when it reached the desk
