"""The API twins of the admin console's outbound webhook pages (hotline.admin.outbound_webhooks,
twinned in hotline/admin/api.py): list, register (the secret shown once), deactivate, rotate,
the delivery log and a retry; admins only, audited as the console. Nothing here is sent: the
deliveries are the outbox rows the dispatcher would send."""

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxChannel, OutboxMessage, OutboxStatus, Role, WebhookEndpoint
from tests.api.conftest import audit_entries
from tests.hostile import refused_unchanged

URL = "https://hooks.example.com/hotline"
NEW = {"url": URL, "events": ["case.created"], "description": "CRM"}
CASE = {"phone": "13812345678", "kind": "complaint", "facts": "空调不制冷"}


def _deliveries(endpoint_id):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.webhook_endpoint_id == endpoint_id)).all()


def _failed_delivery(endpoint_id):
    message = OutboxMessage(channel=OutboxChannel.WEBHOOK, to=URL, body="{}", purpose="case.created",
                            status=OutboxStatus.FAILED, attempts=5, last_error="HTTP 500",
                            webhook_endpoint_id=endpoint_id)
    db.session.add(message)
    db.session.commit()
    return message


def test_a_registered_endpoint_is_sent_cases_until_deactivated(admin_api, operator_api):
    created = admin_api.post("/api/v1/admin/webhooks", json=NEW)
    assert created.status_code == 201, created.json
    assert created.headers["Cache-Control"] == "no-store"
    secret = created.json["secret"]
    assert created.json["events"] == ["case.created"] and created.json["active"] is True
    assert db.session.get(WebhookEndpoint, created.json["id"]).secret == secret
    listed = admin_api.get("/api/v1/admin/webhooks")
    assert [e["url"] for e in listed.json["items"]] == [URL]
    assert secret not in listed.get_data(as_text=True) and "secret" not in listed.json["items"][0]
    assert len(audit_entries("webhook_created")) == 1

    assert operator_api.post("/api/v1/tickets", json=CASE).status_code == 201
    (queued,) = _deliveries(created.json["id"])
    log = admin_api.get(f"/api/v1/admin/webhooks/{created.json['id']}/deliveries")
    assert [d["id"] for d in log.json["items"]] == [queued.id] and log.json["older"] is None
    assert log.json["items"][0]["event"] == "case.created"

    off = admin_api.post(f"/api/v1/admin/webhooks/{created.json['id']}/deactivate")
    assert off.status_code == 200 and off.json["active"] is False and "secret" not in off.json
    assert operator_api.post("/api/v1/tickets", json=CASE).status_code == 201
    assert len(_deliveries(created.json["id"])) == 1  # the second case queued nothing for it
    assert admin_api.post(f"/api/v1/admin/webhooks/{created.json['id']}/deactivate").status_code == 409
    assert admin_api.post(f"/api/v1/admin/webhooks/{created.json['id']}/rotate").status_code == 409
    assert len(audit_entries("webhook_deactivated")) == 1 and audit_entries("webhook_secret_rotated") == []


def test_rotate_gives_a_new_secret_once(admin_api):
    created = admin_api.post("/api/v1/admin/webhooks", json=NEW).json
    rotated = admin_api.post(f"/api/v1/admin/webhooks/{created['id']}/rotate")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    assert rotated.json["secret"] != created["secret"]
    assert db.session.get(WebhookEndpoint, created["id"]).secret == rotated.json["secret"]
    assert len(audit_entries("webhook_secret_rotated")) == 1
    for missing in ("99999", "x1", "99999999999999999999"):
        assert admin_api.post(f"/api/v1/admin/webhooks/{missing}/rotate").status_code == 404
        assert admin_api.post(f"/api/v1/admin/webhooks/{missing}/deactivate").status_code == 404
        assert admin_api.get(f"/api/v1/admin/webhooks/{missing}/deliveries").status_code == 404


def test_a_failed_delivery_is_retried_once_and_only_while_the_endpoint_is_active(admin_api):
    endpoint = admin_api.post("/api/v1/admin/webhooks", json=NEW).json
    other = admin_api.post("/api/v1/admin/webhooks", json={**NEW, "url": URL + "/2"}).json
    message = _failed_delivery(endpoint["id"])
    path = f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries/{message.id}/retry"
    assert admin_api.post(f"/api/v1/admin/webhooks/{other['id']}/deliveries/{message.id}/retry").status_code == 404
    assert admin_api.post(f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries/99999/retry").status_code == 404
    retried = admin_api.post(path)
    assert retried.status_code == 200, retried.json
    assert (retried.json["status"], retried.json["attempts"]) == ("pending", 0)
    assert retried.json["next_attempt_at"] is not None
    assert admin_api.post(path).status_code == 409  # waiting, not failed
    assert len(audit_entries("outbox_retry")) == 1

    failed_again = _failed_delivery(endpoint["id"])
    admin_api.post(f"/api/v1/admin/webhooks/{endpoint['id']}/deactivate")
    refused = admin_api.post(f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries/{failed_again.id}/retry")
    assert refused.status_code == 409 and "inactive" in refused.json["message"]
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed_again.id).status == OutboxStatus.FAILED
    assert len(audit_entries("outbox_retry")) == 1


def test_bad_endpoints_are_422_naming_the_field_and_change_nothing(admin_api):
    path = "/api/v1/admin/webhooks"
    for body, fields in [
        ({**NEW, "url": "http://hooks.example.com/x"}, {"url"}),  # https only
        ({**NEW, "url": "https://127.0.0.1/x"}, {"url"}),
        ({**NEW, "url": "https://user:pw@hooks.example.com/"}, {"url"}),
        ({**NEW, "url": "https://intranet.local/x"}, {"url"}),
        ({**NEW, "url": "https://example.com/" + "x" * 500}, {"url"}),
        ({**NEW, "events": []}, {"events"}),
        ({**NEW, "events": ["case.deleted"]}, {"events"}),
        ({**NEW, "events": "case.created"}, {"events"}),
        ({**NEW, "description": "x" * 201, "secret": "mine"}, {"description", "secret"}),
        ({}, {"url", "events"}),
    ]:
        refused_unchanged(admin_api, path, body, 422, fields)
    https_only = refused_unchanged(admin_api, path, {**NEW, "url": "http://hooks.example.com/x"}, 422, {"url"})
    assert https_only.json["fields"]["url"] == "Only https:// addresses can receive webhooks."
    refused_unchanged(admin_api, path, "[]", 400)
    created = admin_api.post(path, json=NEW).json
    bad_page = admin_api.get(f"{path}/{created['id']}/deliveries", query_string={"before": "x"})
    assert bad_page.status_code == 422 and set(bad_page.json["fields"]) == {"before"}


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_only_admins(admin_api, as_role, role):
    other = as_role(role)
    endpoint = admin_api.post("/api/v1/admin/webhooks", json=NEW).json
    message = _failed_delivery(endpoint["id"])
    assert other.get("/api/v1/admin/webhooks").status_code == 403
    assert other.post("/api/v1/admin/webhooks", json=NEW).status_code == 403
    assert other.post(f"/api/v1/admin/webhooks/{endpoint['id']}/deactivate").status_code == 403
    assert other.post(f"/api/v1/admin/webhooks/{endpoint['id']}/rotate").status_code == 403
    assert other.get(f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries").status_code == 403
    assert other.post(f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries/{message.id}/retry").status_code == 403
    db.session.expire_all()
    stored = db.session.get(WebhookEndpoint, endpoint["id"])
    assert stored.active and stored.secret == endpoint["secret"]
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.FAILED
