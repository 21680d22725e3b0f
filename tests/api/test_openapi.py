"""The OpenAPI document is valid and served without a token."""

import pytest
from flask import Response
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.validation.response.exceptions import ResponseValidationError
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder

from tests.api.conftest import _SentRequest


def test_the_document_is_served_publicly_and_is_valid(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"]
    }
    assert "masked" in doc["info"]["description"]


def test_the_document_describes_every_endpoint_and_filter(api):
    doc = api.get("/api/v1/openapi.json").json
    assert set(doc["paths"]) == {"/tickets", "/tickets/{number}", "/openapi.json",
                                 "/tickets/{number}/notes", "/tickets/{number}/sms", "/tickets/{number}/reveal-phone",
                                 "/callback-requests", "/callback-requests/{number}/done", "/blocklist",
                                 "/blocklist/{caller_id}", "/outbox/failed", "/outbox/messages/{message_id}/retry",
                                 # the intake API (intake/api.py, described by intake/api_doc.py)
                                 "/suggest", "/intake/tickets", "/intake/tickets/{number}",
                                 "/intake/tickets/{number}/accept", "/intake/tickets/{number}/reject",
                                 "/intake/tickets/{number}/duplicate", "/intake/tickets/{number}/otp/send",
                                 "/intake/tickets/{number}/otp/verify",
                                 "/tickets/{number}/evidence", "/suggestion-rules", "/suggestion-rules/{rule_id}",
                                 # the routing API (routing/api.py, described by routing/api_doc.py)
                                 "/tickets/{number}/forward", "/tickets/{number}/refer",
                                 "/tickets/{number}/transfer", "/tickets/{number}/appeal", "/desk/tickets", "/desk/tickets/{number}/take-up",
                                 "/desk/tickets/{number}/return", "/desk/tickets/{number}/steps",
                                 "/desk/tickets/{number}/result", "/departments", "/departments/{department_id}",
                                 "/routing-rules", "/routing-rules/{rule_id}", "/routing-rules/{rule_id}/move",
                                 "/routing-rules/{rule_id}/history", "/routing-rules/try",
                                 "/referral-entries", "/referral-entries/{entry_id}",
                                 "/referral-entries/{entry_id}/active", "/divisions", "/divisions/parse",
                                 # callback visits and legal clocks (followup/api.py, described by followup/api_doc.py)
                                 "/callback-visits", "/callback-visits/{visit_id}/outcome",
                                 "/callback-visits/{visit_id}/call", "/callback-visits/{visit_id}/survey",
                                 "/tickets/{number}/clocks", "/clocks/{clock_id}/pause", "/clocks/{clock_id}/resume",
                                 "/calendar", "/calendar/{day}",
                                 # canned replies (hotline/knowledge/reply_api.py)
                                 "/replies", "/replies/{reply_id}/render", "/replies/{reply_id}",
                                 "/replies/{reply_id}/deactivate", "/replies/{reply_id}/move",
                                 # knowledge articles (hotline/knowledge/api.py)
                                 "/knowledge", "/knowledge/{article_id}", "/knowledge/{article_id}/draft",
                                 "/knowledge/{article_id}/submit", "/knowledge/{article_id}/publish",
                                 "/knowledge/{article_id}/return", "/knowledge/{article_id}/retire",
                                 "/knowledge/{article_id}/reviewed",
                                 # accounts, API tokens, Open311 keys, webhooks (hotline/admin/api.py, described by hotline/admin/api_doc.py)
                                 "/admin/users", "/admin/users/{user_id}", "/admin/users/{user_id}/password",
                                 "/admin/users/{user_id}/unlock", "/admin/tokens", "/admin/tokens/{token_id}/revoke",
                                 "/admin/open311/keys", "/admin/open311/keys/{key_id}/rate",
                                 "/admin/open311/keys/{key_id}/revoke", "/admin/webhooks",
                                 "/admin/webhooks/{endpoint_id}/deactivate", "/admin/webhooks/{endpoint_id}/rotate",
                                 "/admin/webhooks/{endpoint_id}/deliveries",
                                 "/admin/webhooks/{endpoint_id}/deliveries/{message_id}/retry"}
    names = {p["name"] for p in doc["paths"]["/tickets"]["get"]["parameters"]}
    assert names == {"status", "kind", "category", "department", "phone", "created_from", "created_to",
                     "text", "page", "per_page"}
    for op in (doc["paths"]["/tickets"]["get"], doc["paths"]["/tickets/{number}"]["get"],
               doc["paths"]["/tickets"]["post"]):
        assert {"401", "403"} <= set(op["responses"])
    assert {"201", "400", "422"} <= set(doc["paths"]["/tickets"]["post"]["responses"])


def test_every_app_route_under_the_api_is_documented(app, api):
    doc = api.get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "intake_api.", "routing_api.", "replies_api.", "followup_api.",
                                           "admin_api.")):
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented


def test_the_checked_client_rejects_a_response_the_document_does_not_describe(spec):
    request = _SentRequest(EnvironBuilder(path="/api/v1/tickets", method="GET").get_request())
    wrong = Response('{"items": "none", "page": 1}', status=200, mimetype="application/json")
    with pytest.raises(ResponseValidationError):
        spec.validate_response(request, WerkzeugOpenAPIResponse(wrong))
    right = Response('{"items": [], "page": 1, "per_page": 50, "total": 0, "total_capped": false}', status=200, mimetype="application/json")
    spec.validate_response(request, WerkzeugOpenAPIResponse(right))


def test_the_history_documents_its_labels_beside_the_codes(api):
    doc = api.get("/api/v1/openapi.json").json
    event = doc["components"]["schemas"]["Event"]
    labels = {"label", "field_label", "from_label", "to_label", "reason_label"}
    assert labels <= set(event["properties"]) and labels <= set(event["required"])
    assert {"type", "field", "from", "to", "reason"} <= set(event["required"])  # the codes stay
    detail = doc["paths"]["/tickets/{number}"]["get"]["responses"]["200"]
    assert "Content-Language" in detail["headers"]
    assert "Accept-Language" in doc["info"]["description"]
