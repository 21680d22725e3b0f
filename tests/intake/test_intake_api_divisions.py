"""The intake API places the business as the form does: a division code given, or derived from
the address; an online purchase needs platform and shop or order number, not a street address."""

from hotline.models import Role
from tests.intake import test_intake_api as intake_api
from tests.intake.test_intake_api import COMPLAINT, URL

# The intake API tests' fixtures: a checked client per role, departments and categories seeded.
as_role, departments, spec = intake_api.as_role, intake_api.departments, intake_api.spec

ONLINE = {**{k: v for k, v in COMPLAINT.items() if k not in ("respondent_address", "respondent_region")},
          "platform": "京东", "order_number": "JD-20260102-77"}


def test_a_division_given_stands_over_the_address(as_role):
    api = as_role(Role.OPERATOR)
    case = api.post(URL, json={**COMPLAINT, "respondent_division": "110105"}).json
    assert (case["respondent_division"], case["respondent_region"]) == ("110105", "北京市朝阳区")
    changed = api.patch(f"{URL}/{case['number']}", json={"version": case["version"],
                                                         "respondent_address": "上海市浦东新区张江路88号"})
    assert changed.json["respondent_division"] == "310115"  # a new address moves it
    bad = api.post(URL, json={**COMPLAINT, "respondent_division": "999999"})
    assert bad.status_code == 422 and set(bad.json["fields"]) == {"respondent_division"}


def test_an_online_purchase_is_a_complete_complaint_without_a_street_address(as_role):
    api = as_role(Role.OPERATOR)
    response = api.post(URL, json=ONLINE)
    assert response.status_code == 201 and response.json["respondent_address"] is None
    accepted = api.post(f"{URL}/{response.json['number']}/accept", json={})
    assert accepted.status_code == 200 and accepted.json["status"] in ("accepted", "forwarded")
    kept = api.post(URL, json={**ONLINE, "order_number": None})
    assert kept.status_code == 201 and kept.json["missing"] == ["seller"]  # the shop or the order number
