"""The API twins of the intake form's division choice and its address parsing (routing/api.py):
the same lists and the same derivation as the console's, answers checked against the document."""

from hotline.models import Role
from tests.api.conftest import api, as_role, spec, token_for  # noqa: F401 (fixtures: the checked client)

BEIJING = "110000"


def test_the_levels_list_as_on_the_form_and_a_bad_parent_is_422(as_role):  # noqa: F811
    reader = as_role(Role.OPERATOR)
    provinces = reader.get("/api/v1/divisions").json
    assert provinces["parent"] is None and len(provinces["items"]) == 34
    assert {"code": BEIJING, "name": "北京市"} in provinces["items"]
    districts = reader.get("/api/v1/divisions", query_string={"parent": "110100"}).json["items"]
    assert {"code": "110108", "name": "海淀区"} in districts and len(districts) == 16
    for bad in ("999999", "x" * 12, "1101"):
        refused = reader.get("/api/v1/divisions", query_string={"parent": bad})
        assert refused.status_code == 422 and set(refused.json["fields"]) == {"parent"}
    assert reader.get("/api/v1/divisions", query_string={"parnet": BEIJING}).status_code == 422


def test_an_address_is_placed_as_intake_will_store_it(app, as_role):  # noqa: F811
    app.config["HOME_DIVISION"] = BEIJING
    reader = as_role(Role.SUPERVISOR)
    found = reader.post("/api/v1/divisions/parse", json={"address": "朝阳区建国路87号"}).json
    assert found == {"code": "110105", "name": "北京市朝阳区", "levels": [BEIJING, "110100", "110105"]}
    nowhere = reader.post("/api/v1/divisions/parse", json={"address": "中关村大街1号"}).json
    assert nowhere == {"code": None, "name": None, "levels": []}
    for body in ({"address": ""}, {"address": "路" * 501}, {}, {"address": 5}):
        refused = reader.post("/api/v1/divisions/parse", json=body)
        assert refused.status_code == 422 and set(refused.json["fields"]) == {"address"}


def test_department_staff_and_admins_do_not_reach_them(as_role, app):  # noqa: F811
    from hotline.extensions import db
    from hotline.models import Department

    office = Department(code="D1", name="某所")
    db.session.add(office)
    db.session.commit()
    for reader in (as_role(Role.DEPARTMENT, office), as_role(Role.ADMIN)):
        assert reader.get("/api/v1/divisions").status_code == 403
        assert reader.post("/api/v1/divisions/parse", json={"address": "朝阳区"}).status_code == 403
