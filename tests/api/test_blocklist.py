"""The API twin of the block list (hotline.console.calls.blocklist): supervisors block and
unblock a number, audited; a blocked number's call opens no case, as from the console."""

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Role, Ticket
from tests.api.conftest import audit_entries


def test_a_supervisor_blocks_a_number_its_call_opens_no_case_then_unblocks_it(as_role, phone, call_clock):
    supervisor = as_role(Role.SUPERVISOR)
    added = supervisor.post("/api/v1/blocklist", json={"phone": "137 0000 0001", "reason": "反复骚扰"})
    assert added.status_code == 201
    assert added.json["phone_masked"] == "137****0001" and added.json["reason"] == "反复骚扰"
    assert [i["id"] for i in supervisor.get("/api/v1/blocklist").json["items"]] == [added.json["id"]]
    assert len(audit_entries("caller_blocked")) == 1

    root = phone(number="+8613700000001").call()
    assert root.find("Hangup") is not None
    assert db.session.scalar(select(func.count(Ticket.id))) == 0

    assert supervisor.delete(f"/api/v1/blocklist/{added.json['id']}").status_code == 204
    assert supervisor.get("/api/v1/blocklist").json["items"] == []
    assert supervisor.delete(f"/api/v1/blocklist/{added.json['id']}").status_code == 404
    assert supervisor.delete("/api/v1/blocklist/x1").status_code == 404
    assert supervisor.delete("/api/v1/blocklist/99999999999999999999").status_code == 404
    assert len(audit_entries("caller_unblocked")) == 1


def test_only_supervisors_and_bad_input_is_named(as_role):
    assert as_role(Role.OPERATOR).get("/api/v1/blocklist").status_code == 403
    assert as_role(Role.OPERATOR).post("/api/v1/blocklist", json={"phone": "13700000001", "reason": "x"}).status_code == 403
    assert as_role(Role.ADMIN).get("/api/v1/blocklist").status_code == 403
    supervisor = as_role(Role.SUPERVISOR)
    refused = supervisor.post("/api/v1/blocklist", json={"phone": "not a number", "reason": ""})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"reason"}
    refused = supervisor.post("/api/v1/blocklist", json={"phone": "not a number", "reason": "骚扰"})
    assert refused.status_code == 422 and refused.json["fields"] == {"phone": "not a phone number"}
    refused = supervisor.post("/api/v1/blocklist", json={"phone": "1" * 41, "reason": "骚扰", "until": "2027"})
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"phone", "until"}
    assert supervisor.post("/api/v1/blocklist", data="[]", content_type="application/json").status_code == 400
    assert supervisor.get("/api/v1/blocklist").json["items"] == [] and audit_entries("caller_blocked") == []
