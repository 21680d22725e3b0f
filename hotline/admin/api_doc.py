"""The admin API's part of the OpenAPI document served at /api/v1/openapi.json (hotline.api.openapi
merges it in): accounts, API tokens, Open311 api keys and outbound webhooks, built from the limits
hotline/admin/api.py checks."""

from hotline import outbound_webhooks
from hotline.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from hotline.admin import services
from hotline.admin.api import MAX_DEPARTMENT_CODE, ROLES
from hotline.models import OutboxStatus
from hotline.open311 import forms as open311_forms
from hotline.rest import (
    AUTH_ERRORS,
    MAYBE_MOMENT,
    MAYBE_STRING,
    MOMENT,
    STRING,
    json_content,
    obj,
    ref,
    response_ref,
)

ADMINS = " (admins)"
ID = {"type": "integer"}
ROLE = {"type": "string", "enum": list(ROLES)}
DEPARTMENT = {"type": ["string", "null"], "minLength": 1, "maxLength": MAX_DEPARTMENT_CODE,
              "description": "the code of an active department; required for the department role"}
DISPLAY_NAME = {"type": "string", "minLength": 1, "maxLength": services.MAX_DISPLAY_NAME}
OWN_PHONE = {"type": ["string", "null"], "maxLength": services.MAX_OWN_PHONE,
             "description": "the own phone Twilio rings to bridge a call; null for none"}
PASSWORD = {"type": "string", "minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH,
            "format": "password",
            "description": "under the password rules: not a common password, not easy to guess (with the "
                           "username and display name counted as guesses); the 422 says why one is refused"}

USER = obj({
    "id": ID,
    "username": STRING,
    "display_name": STRING,
    "role": ROLE,
    "department": {**MAYBE_STRING, "description": "the department's code"},
    "phone_masked": {**MAYBE_STRING, "examples": ["138****1234"], "description": "the own phone, masked"},
    "active": {"type": "boolean", "description": "may sign in"},
    "locked": {"type": "boolean", "description": "sign-in is locked from some address now"},
    "locked_addresses": {"type": "integer", "minimum": 0},
    "locked_until": {**MAYBE_MOMENT, "description": "when the latest lock ends; null when not locked"},
    "failed_logins": {"type": "integer", "minimum": 0, "description": "failed sign-ins since the last success"},
    "last_login_at": MAYBE_MOMENT,
})
NEW_USER = obj({
    "username": {"type": "string", "minLength": 1, "maxLength": services.MAX_USERNAME,
                 "pattern": services.USERNAME_PATTERN},
    "password": PASSWORD,
    "display_name": DISPLAY_NAME,
    "role": ROLE,
    "department": DEPARTMENT,
    "phone": OWN_PHONE,
}, required=["username", "password", "display_name", "role"])
USER_CHANGES = obj({
    "display_name": DISPLAY_NAME,
    "role": ROLE,
    "department": DEPARTMENT,
    "phone": OWN_PHONE,
    "active": {"type": "boolean"},
}, required=[])
NEW_PASSWORD = obj({"password": PASSWORD})
TOKEN_PROPERTIES = {
    "id": ID,
    "prefix": {**STRING, "description": "the token's first characters, to recognise it"},
    "name": {**STRING, "description": "what it is for"},
    "owner": obj({"id": ID, "username": STRING, "display_name": STRING}),
    "created_at": MOMENT,
    "last_used_at": {**MAYBE_MOMENT, "description": "to the ten minutes"},
    "revoked_at": MAYBE_MOMENT,
}
TOKEN = obj(TOKEN_PROPERTIES)
CREATED_TOKEN = obj({**TOKEN_PROPERTIES,
                     "token": {**STRING, "description": "the secret: shown in this answer only, never again"}})
NEW_TOKEN = obj({
    "owner": {"type": "integer", "minimum": 1, "description": "the id of the active account it acts as"},
    "name": {"type": "string", "minLength": 1, "maxLength": services.MAX_TOKEN_NAME},
})


def _id(name, what):
    return {"name": name, "in": "path", "required": True, "schema": ID, "description": f"the `id` of {what}"}


USER_ID = [_id("user_id", "the account")]
TOKEN_ID = [_id("token_id", "the token")]
NO_USER = json_content(ref("Error"), "no such account")
NO_TOKEN = json_content(ref("Error"), "no such token")


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS = {
    "/admin/users": {
        "get": {
            "operationId": "listUsers",
            "summary": "Every staff account, by username" + ADMINS,
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("User")}}), "the accounts"),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "createUser",
            "summary": "Create a staff account" + ADMINS + "; audited",
            "requestBody": _body(NEW_USER),
            "responses": {
                "201": json_content(ref("User"), "the new account"),
                "400": response_ref("BadRequest"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/users/{user_id}": {
        "patch": {
            "operationId": "editUser",
            "summary": "Change an account's name, role, department, own phone or active flag" + ADMINS + "; audited",
            "description": "Only the fields sent change. An admin may not deactivate or demote their own account.",
            "parameters": USER_ID,
            "requestBody": _body(USER_CHANGES),
            "responses": {
                "200": json_content(ref("User"), "the account, changed"),
                "400": response_ref("BadRequest"),
                "404": NO_USER,
                "409": json_content(ref("Error"), "the change would deactivate or demote the acting admin"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/users/{user_id}/password": {
        "post": {
            "operationId": "setUserPassword",
            "summary": "Set an account's password" + ADMINS + "; audited",
            "description": "Every session signed in with the old password ends and the sign-in locks are "
                           "lifted; the account's API tokens stay.",
            "parameters": USER_ID,
            "requestBody": _body(NEW_PASSWORD),
            "responses": {
                "200": json_content(ref("User"), "the account (never its password)"),
                "400": response_ref("BadRequest"),
                "404": NO_USER,
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/users/{user_id}/unlock": {
        "post": {
            "operationId": "unlockUser",
            "summary": "Lift an account's sign-in locks" + ADMINS + "; audited",
            "description": "Every address locked out may sign in again and the failure count starts afresh.",
            "parameters": USER_ID,
            "responses": {
                "200": json_content(ref("User"), "the account, unlocked"),
                "404": NO_USER,
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/tokens": {
        "get": {
            "operationId": "listTokens",
            "summary": "Every API token, newest first" + ADMINS,
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("ApiToken")}}),
                                    "the tokens, without their secrets"),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "createToken",
            "summary": "Create an API token acting as an account" + ADMINS + "; audited",
            "description": "The answer carries the token's secret (`token`) this once; it is not stored and "
                           "cannot be shown again (Cache-Control: no-store).",
            "requestBody": _body(NEW_TOKEN),
            "responses": {
                "201": json_content(ref("CreatedApiToken"), "the new token, with its secret"),
                "400": response_ref("BadRequest"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/tokens/{token_id}/revoke": {
        "post": {
            "operationId": "revokeToken",
            "summary": "Revoke an API token" + ADMINS + "; audited",
            "description": "From now on the token answers 401.",
            "parameters": TOKEN_ID,
            "responses": {
                "200": json_content(ref("ApiToken"), "the token, revoked"),
                "404": NO_TOKEN,
                "409": json_content(ref("Error"), "the token is revoked already"),
                **AUTH_ERRORS,
            },
        },
    },
}
SCHEMAS = {
    "User": USER,
    "ApiToken": TOKEN,
    "CreatedApiToken": CREATED_TOKEN,
}

# --- Open311 api keys -----------------------------------------------------------------------

RATE = {"type": "integer", "minimum": open311_forms.MIN_PER_MINUTE, "maximum": open311_forms.MAX_PER_MINUTE,
        "description": "requests a minute the key may make"}
KEY_PROPERTIES = {
    "id": ID,
    "prefix": {**STRING, "description": "the key's first characters, to recognise it"},
    "name": {**STRING, "description": "the client that uses the key"},
    "requests_per_minute": RATE,
    "created_by": {**MAYBE_STRING, "description": "username of the admin who made it"},
    "created_at": MOMENT,
    "last_used_at": MAYBE_MOMENT,
    "revoked_at": MAYBE_MOMENT,
}
NEW_KEY = obj({
    "name": {"type": "string", "minLength": 1, "maxLength": open311_forms.MAX_KEY_NAME},
    "requests_per_minute": {**RATE, "default": open311_forms.DEFAULT_PER_MINUTE},
}, required=["name"])
KEY_ID = [_id("key_id", "the api key")]
NO_KEY = json_content(ref("Error"), "no such api key")
KEY_REVOKED = json_content(ref("Error"), "the api key is revoked")

PATHS.update({
    "/admin/open311/keys": {
        "get": {
            "operationId": "listOpen311Keys",
            "summary": "Every Open311 api key, newest first" + ADMINS,
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("Open311Key")}}),
                                    "the keys, without the keys themselves"),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "createOpen311Key",
            "summary": "Issue an Open311 api key" + ADMINS + "; audited",
            "description": "The answer carries the key (`api_key`) this once; only a hash of it is kept "
                           "(Cache-Control: no-store).",
            "requestBody": _body(NEW_KEY),
            "responses": {
                "201": json_content(ref("CreatedOpen311Key"), "the new key, with the key itself"),
                "400": response_ref("BadRequest"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/open311/keys/{key_id}/rate": {
        "post": {
            "operationId": "setOpen311KeyRate",
            "summary": "Set how many requests a minute an Open311 api key may make" + ADMINS + "; audited",
            "description": "Applies at once.",
            "parameters": KEY_ID,
            "requestBody": _body(obj({"requests_per_minute": RATE})),
            "responses": {
                "200": json_content(ref("Open311Key"), "the key, with its new rate"),
                "400": response_ref("BadRequest"),
                "404": NO_KEY,
                "409": KEY_REVOKED,
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/open311/keys/{key_id}/revoke": {
        "post": {
            "operationId": "revokeOpen311Key",
            "summary": "Revoke an Open311 api key" + ADMINS + "; audited",
            "description": "From now on Open311 refuses the key (403).",
            "parameters": KEY_ID,
            "responses": {
                "200": json_content(ref("Open311Key"), "the key, revoked"),
                "404": NO_KEY,
                "409": json_content(ref("Error"), "the api key is revoked already"),
                **AUTH_ERRORS,
            },
        },
    },
})
SCHEMAS.update({
    "Open311Key": obj(KEY_PROPERTIES),
    "CreatedOpen311Key": obj({**KEY_PROPERTIES,
                              "api_key": {**STRING, "description": "the key: shown in this answer only, never again"}}),
})

# --- outbound webhooks ----------------------------------------------------------------------

EVENTS = {"type": "string", "enum": list(outbound_webhooks.EVENTS)}
ENDPOINT_PROPERTIES = {
    "id": ID,
    "url": STRING,
    "description": MAYBE_STRING,
    "events": {"type": "array", "items": EVENTS},
    "active": {"type": "boolean", "description": "false once deactivated: nothing is queued or sent to it"},
    "created_at": MOMENT,
}
SIGNED = {**STRING, "description": "the signing secret (HMAC-SHA256 key): shown in this answer only"}
NEW_ENDPOINT = obj({
    "url": {"type": "string", "minLength": 1, "maxLength": outbound_webhooks.MAX_URL,
            "description": "https:// on a public host (or one in WEBHOOK_ALLOWED_HOSTS); the 422 says why not"},
    "events": {"type": "array", "items": EVENTS, "description": "at least one"},
    "description": {"type": ["string", "null"], "maxLength": outbound_webhooks.MAX_DESCRIPTION},
}, required=["url", "events"])
DELIVERY = obj({
    "id": {**ID, "description": "the X-Hotline-Delivery header the receiver got"},
    "event": STRING,
    "number": {**MAYBE_STRING, "description": "the case's number"},
    "status": {"type": "string", "enum": [s.value for s in OutboxStatus]},
    "attempts": {"type": "integer", "minimum": 0},
    "http_status": {**MAYBE_STRING, "description": "the receiver's last HTTP status"},
    "duration_ms": {"type": ["integer", "null"], "description": "how long the last POST took"},
    "last_error": MAYBE_STRING,
    "created_at": MOMENT,
    "next_attempt_at": {**MAYBE_MOMENT, "description": "when it is tried next, while it waits"},
})
ENDPOINT_ID = [_id("endpoint_id", "the webhook endpoint")]
NO_ENDPOINT = json_content(ref("Error"), "no such webhook endpoint")
INACTIVE = json_content(ref("Error"), "the webhook endpoint is inactive")

PATHS.update({
    "/admin/webhooks": {
        "get": {
            "operationId": "listWebhooks",
            "summary": "Every outbound webhook endpoint, active first" + ADMINS,
            "responses": {
                "200": json_content(obj({"items": {"type": "array", "items": ref("WebhookEndpoint")}}),
                                    "the endpoints, without their secrets"),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "operationId": "createWebhook",
            "summary": "Register an outbound webhook endpoint" + ADMINS + "; audited",
            "description": "The answer carries the signing secret (`secret`) this once (Cache-Control: no-store).",
            "requestBody": _body(NEW_ENDPOINT),
            "responses": {
                "201": json_content(ref("WebhookEndpointWithSecret"), "the new endpoint, with its secret"),
                "400": response_ref("BadRequest"),
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/webhooks/{endpoint_id}/deactivate": {
        "post": {
            "operationId": "deactivateWebhook",
            "summary": "Stop sending to a webhook endpoint" + ADMINS + "; audited",
            "description": "No delivery is queued for it from now on, and those queued do not go out.",
            "parameters": ENDPOINT_ID,
            "responses": {
                "200": json_content(ref("WebhookEndpoint"), "the endpoint, inactive"),
                "404": NO_ENDPOINT,
                "409": json_content(ref("Error"), "the endpoint is inactive already"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/webhooks/{endpoint_id}/rotate": {
        "post": {
            "operationId": "rotateWebhookSecret",
            "summary": "Give a webhook endpoint a new signing secret at once" + ADMINS + "; audited",
            "description": "The answer carries the new secret this once (Cache-Control: no-store); retries of "
                           "older deliveries are signed with it.",
            "parameters": ENDPOINT_ID,
            "responses": {
                "200": json_content(ref("WebhookEndpointWithSecret"), "the endpoint, with its new secret"),
                "404": NO_ENDPOINT,
                "409": INACTIVE,
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/webhooks/{endpoint_id}/deliveries": {
        "get": {
            "operationId": "listWebhookDeliveries",
            "summary": "A webhook endpoint's delivery log, newest first" + ADMINS,
            "parameters": [*ENDPOINT_ID, {"name": "before", "in": "query", "required": False,
                                          "schema": {"type": "string"},
                                          "description": "only deliveries with a lower id: the previous page's "
                                                         "`older`"}],
            "responses": {
                "200": json_content(obj({
                    "items": {"type": "array", "items": ref("WebhookDelivery")},
                    "older": {"type": ["integer", "null"], "description": "`before` for the next page; null on "
                                                                         "the last"},
                }), "one page of deliveries"),
                "404": NO_ENDPOINT,
                "422": response_ref("ValidationFailed"),
                **AUTH_ERRORS,
            },
        },
    },
    "/admin/webhooks/{endpoint_id}/deliveries/{message_id}/retry": {
        "post": {
            "operationId": "retryWebhookDelivery",
            "summary": "Queue a failed delivery again, with fresh attempts" + ADMINS + "; audited",
            "parameters": [*ENDPOINT_ID, _id("message_id", "the delivery")],
            "responses": {
                "200": json_content(ref("WebhookDelivery"), "the delivery, waiting again"),
                "404": json_content(ref("Error"), "no such endpoint, or no such delivery of it"),
                "409": json_content(ref("Error"), "the endpoint is inactive, or the delivery has not failed"),
                **AUTH_ERRORS,
            },
        },
    },
})
SCHEMAS.update({
    "WebhookEndpoint": obj(ENDPOINT_PROPERTIES),
    "WebhookEndpointWithSecret": obj({**ENDPOINT_PROPERTIES, "secret": SIGNED}),
    "WebhookDelivery": DELIVERY,
})
