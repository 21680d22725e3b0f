"""Supervisors (and admins) maintain the departments: list, create, edit, every save audited."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import AuditLog, Department, Role
from tests.routing import rules_helpers
from tests.routing.rules_helpers import category

world = rules_helpers.world


def form(**overrides):
    data = {"code": "MS04", "name": "朝阳市场监管所", "region": "朝阳区", "contact_phone": "010-65000004",
            "working_hours": "08:30-17:30", "description": "", "sms_lead": "y", "active": "y",
            "categories": [category("G01").id, category("S03").id]}
    return {**data, **overrides}


def audits():
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "department_saved").order_by(AuditLog.id)).all()


def test_supervisor_creates_a_department_with_its_categories(world, client, login):
    login(world["supervisor"])
    response = client.post("/routing/departments/new", data=form())
    assert response.status_code == 302
    dept = db.session.scalar(select(Department).where(Department.code == "MS04"))
    assert (dept.name, dept.region, dept.contact_phone, dept.working_hours) == (
        "朝阳市场监管所", "朝阳区", "010-65000004", "08:30-17:30")
    assert dept.sms_lead is True and dept.active is True
    assert sorted(c.code for c in dept.categories) == ["G01", "S03"]
    [entry] = audits()
    assert entry.user_id == world["supervisor"].id and entry.data["before"] is None
    assert entry.data["after"]["categories"] == ["G01", "S03"]
    listing = client.get("/routing/departments")
    assert "朝阳市场监管所" in listing.text and "家用电器" in listing.text


def test_editing_records_before_and_after(world, client, login):
    dept = world["departments"]["MS01"]
    login(world["supervisor"])
    page = client.get(f"/routing/departments/{dept.id}")
    assert page.status_code == 200 and "东城市场监管所" in page.text
    response = client.post(f"/routing/departments/{dept.id}", data=form(
        code="MS01", name="东城区市场监管局", region="东城区", categories=[category("S09").id], sms_lead=""))
    assert response.status_code == 302
    db.session.refresh(dept)
    assert (dept.name, dept.sms_lead, [c.code for c in dept.categories]) == ("东城区市场监管局", False, ["S09"])
    [entry] = audits()
    assert (entry.data["before"]["name"], entry.data["after"]["name"]) == ("东城市场监管所", "东城区市场监管局")
    assert (entry.data["before"]["categories"], entry.data["after"]["categories"]) == ([], ["S09"])


def test_deactivating_keeps_the_department_listed_but_not_offered_for_forwarding(world, client, login):
    dept = world["departments"]["MS02"]
    login(world["supervisor"])
    client.post(f"/routing/departments/{dept.id}", data=form(code="MS02", name=dept.name, active=""))
    db.session.refresh(dept)
    assert dept.active is False
    assert "西城市场监管所" in client.get("/routing/departments").text
    triage = client.get("/routing/triage").text
    assert f'<option value="{dept.id}"' not in triage


@pytest.mark.parametrize(("field", "value"), [
    ("code", "MS02"),  # taken by another department
    ("code", "bad code!"),
    ("name", ""),
    ("working_hours", "9-5"),
    ("working_hours", "25:00-17:00"),
    ("contact_phone", "not a phone"),
    ("categories", "999999"),
])
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(world, client, login, field, value):
    login(world["supervisor"])
    response = client.post("/routing/departments/new", data=form(**{field: value}))
    assert response.status_code == 200 and 'class="error"' in response.text
    assert db.session.scalar(select(Department).where(Department.name == "朝阳市场监管所")) is None
    assert audits() == []


def test_a_problem_type_is_not_a_category_a_department_handles(world, client, login):
    login(world["supervisor"])
    page = client.get("/routing/departments/new")
    assert "G01" in page.text and "P01" not in page.text
    response = client.post("/routing/departments/new", data=form(categories=[category("P01").id]))
    assert response.status_code == 200 and 'class="error"' in response.text


def test_admins_may_maintain_departments_too(world, client, login, make_user):
    login(make_user(Role.ADMIN))
    assert client.get("/routing/departments").status_code == 200
    assert client.post("/routing/departments/new", data=form()).status_code == 302


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT])
def test_operators_and_department_staff_cannot(world, client, login, make_user, role):
    dept = world["departments"]["MS01"]
    login(make_user(role, department=dept if role == Role.DEPARTMENT else None))
    assert client.get("/routing/departments").status_code == 403
    assert client.post("/routing/departments/new", data=form()).status_code == 403
    assert client.post(f"/routing/departments/{dept.id}", data=form(code="MS01", name="x")).status_code == 403
    db.session.refresh(dept)
    assert dept.name == "东城市场监管所"


def test_unknown_department_is_404(world, client, login):
    login(world["supervisor"])
    assert client.get("/routing/departments/99999").status_code == 404


def test_a_department_has_a_name_not_a_person_s_name(world, client, login):
    # "Name" is a person's (姓名) on most screens; a department's or a rule's is 名称.
    login(world["supervisor"])
    client.post("/lang/zh")
    for path in ("/routing/departments", "/routing/departments/new", "/routing/rules/new"):
        page = client.get(path).text
        assert "名称" in page and "姓名" not in page, path
    client.post("/lang/en")
    assert "<th>Name</th>" in client.get("/routing/departments").text


def test_a_category_no_checkbox_offers_is_refused_in_chinese(world, client, login):
    login(world["supervisor"])
    response = client.post("/routing/departments/new", data=form(categories=[999999]), headers={"Accept-Language": "zh"})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "不是有效的选择" in page and "not a valid choice" not in page
    assert db.session.scalar(select(Department).where(Department.code == "MS04")) is None
