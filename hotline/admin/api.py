"""The admin console's API twins under /api/v1/admin: staff accounts (list, create, edit, set a
password, lift a sign-in lock), API tokens (list, create, revoke), Open311 api keys (list,
create, set the rate, revoke; the console's hotline.open311.admin_views) and outbound webhook
endpoints (list, create, deactivate, rotate the secret, the delivery log and a retry; the
console's hotline.admin.outbound_webhooks). Admins only, as the console's pages; bearer tokens
like hotline.api; the same services (hotline.admin.services, hotline.open311.services,
hotline.outbound_webhooks, hotline.outbox), the same audit lines and the same limits as the
console's forms (hotline.admin.forms, hotline.open311.forms, hotline.admin.outbound_webhooks).

A password or its hash never leaves; a token's secret, an api key and a webhook's signing secret
leave once, in the answer that creates them (or, for the signing secret, rotates it)."""

import re

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale

from hotline import accounts, inputs, outbound_webhooks, outbox, phones, webhook_targets
from hotline.admin import services
from hotline.admin.outbound_webhooks import PAGE_SIZE as WEBHOOK_PAGE_SIZE
from hotline.admin.outbound_webhooks import REFUSALS
from hotline.extensions import db
from hotline.models import (
    ApiToken,
    Department,
    Open311Key,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
    WebhookEndpoint,
)
from hotline.open311 import forms as open311_forms
from hotline.open311 import services as open311_services
from hotline.rest import api_roles, error_response, json_object, refuse, storable, text_field, unknown_fields
from hotline.timeutil import to_local

bp = Blueprint("admin_api", __name__)
admin_only = api_roles(Role.ADMIN)

# Secrets shown once must not be kept by a cache (as hotline.admin.views.NO_STORE).
NO_STORE = {"Cache-Control": "no-store"}
NEW_USER_FIELDS = ("username", "password", "display_name", "role", "department", "phone")
EDIT_FIELDS = ("display_name", "role", "department", "phone", "active")
ROLES = tuple(role.value for role in Role)
MAX_DEPARTMENT_CODE = Department.code.type.length


def _tz():
    return current_app.config["HOTLINE_TIMEZONE"]


def _time(moment):
    return to_local(moment, _tz()).isoformat() if moment else None


def _found(model, raw_id):
    """The row of `model` with the id in the path (ASCII digits that fit the column), or None."""
    found = inputs.parse_int(raw_id, 1)
    return db.session.get(model, found) if found is not None else None


def _who():
    return {"actor": g.api_user, "ip": request.remote_addr}


# --- accounts -------------------------------------------------------------------------------


def user_json(user):
    """An account as the console's list shows it: the own phone masked, no password or hash."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "department": user.department.code if user.department else None,
        "phone_masked": phones.mask(user.phone) if user.phone else None,
        "active": bool(user.active),
        "locked": accounts.is_locked(user),
        "locked_addresses": accounts.locked_addresses(user),
        "locked_until": _time(user.locked_until) if accounts.is_locked(user) else None,
        "failed_logins": user.failed_logins or 0,
        "last_login_at": _time(user.last_login_at),
    }


def _user_or_404(user_id):
    user = _found(User, user_id)
    if user is None:
        return None, error_response(404, "Not Found", "no such account")
    return user, None


def _account_fields(body, errors, current=None):
    """The account fields of `body` as service keyword arguments (only those sent when editing
    `current`), checked as the console's AccountForm checks them."""
    fields = {}
    required = current is None
    if "display_name" in body or required:
        fields["display_name"] = text_field(body, "display_name", services.MAX_DISPLAY_NAME, errors, required=True)
    if "role" in body or required:
        if body.get("role") in ROLES:
            fields["role"] = Role(body["role"])
        else:
            errors["role"] = "one of " + ", ".join(ROLES)
    if "department" in body:
        code = text_field(body, "department", MAX_DEPARTMENT_CODE, errors)
        if code is not None:
            fields["department"] = services.active_department(code)
            if fields["department"] is None:
                errors["department"] = "not the code of an active department"
        elif "department" not in errors:
            fields["department"] = None
    if "phone" in body:
        raw = text_field(body, "phone", services.MAX_OWN_PHONE, errors)
        fields["phone"] = None
        if raw is not None:
            try:
                fields["phone"] = phones.normalise(raw, current_app.config.get("DEFAULT_PHONE_REGION", "CN"))
            except phones.InvalidPhone:
                errors["phone"] = "not a phone number"
    role = fields.get("role", current.role if current else None)
    department = fields.get("department", current.department if current else None)
    if role == Role.DEPARTMENT and department is None and "department" not in errors:
        errors["department"] = "a department account needs a department"
    return fields


def _password(body, errors):
    """The password as sent (not stripped: every character counts), or None with the error noted."""
    value = body.get("password")
    if not isinstance(value, str) or not value or not storable(value):
        errors["password"] = "required text"  # noqa: S105 (a message, not a password)
        return None
    return value


@bp.get("/admin/users")
@admin_only
def list_users():
    """Every account, by username (the console's account list)."""
    return jsonify(items=[user_json(user) for user in services.list_users()])


@bp.post("/admin/users")
@admin_only
def create_user():
    """A new account: {"username", "password", "display_name", "role", "department", "phone"}; audited."""
    body = json_object()
    errors = unknown_fields(body, NEW_USER_FIELDS)
    username = text_field(body, "username", services.MAX_USERNAME, errors, required=True)
    if username is not None and not re.fullmatch(services.USERNAME_PATTERN, username):
        errors["username"] = "letters, digits, '.', '-' and '_' only"
    elif username is not None and services.username_taken(username):
        errors["username"] = "taken"
    password = _password(body, errors)
    fields = _account_fields(body, errors)
    user = None
    if not errors:
        with force_locale("en"):
            try:
                user = services.create_user(**_who(), username=username, password=password, **fields)
            except accounts.WeakPassword as exc:
                errors["password"] = str(exc)
            except accounts.AccountError as exc:  # the name was taken in the meantime
                errors["username"] = str(exc)
    if errors:
        db.session.rollback()
        return refuse(errors)
    db.session.commit()
    return jsonify(user_json(user)), 201


@bp.patch("/admin/users/<user_id>")
@admin_only
def edit_user(user_id):
    """Change any of {"display_name", "role", "department", "phone", "active"}; audited. An admin
    may not deactivate or demote their own account (409)."""
    user, missing = _user_or_404(user_id)
    if missing:
        return missing
    body = json_object()
    errors = unknown_fields(body, EDIT_FIELDS)
    fields = _account_fields(body, errors, current=user)
    if "active" in body:
        if isinstance(body["active"], bool):
            fields["active"] = body["active"]
        else:
            errors["active"] = "true or false"
    if errors:
        db.session.rollback()
        return refuse(errors)
    try:
        services.update_user(**_who(), user=user, **fields)
    except services.SelfLockout:
        db.session.rollback()
        return error_response(409, "Conflict", "an admin cannot deactivate their own account or take away "
                                               "their own admin role")
    db.session.commit()
    return jsonify(user_json(user))


@bp.post("/admin/users/<user_id>/password")
@admin_only
def set_password(user_id):
    """{"password"}: the account's new password, under the password rules; every session signed
    in with the old one ends, the sign-in locks go (API tokens stay); audited."""
    user, missing = _user_or_404(user_id)
    if missing:
        return missing
    body = json_object()
    errors = unknown_fields(body, ("password",))
    password = _password(body, errors)
    if not errors:
        with force_locale("en"):
            try:
                services.reset_password(**_who(), user=user, password=password)
            except accounts.WeakPassword as exc:
                errors["password"] = str(exc)
    if errors:
        db.session.rollback()
        return refuse(errors)
    db.session.commit()
    return jsonify(user_json(user))


@bp.post("/admin/users/<user_id>/unlock")
@admin_only
def unlock_user(user_id):
    """Lift every sign-in lock of the account; audited (with whether it was locked), as the console."""
    user, missing = _user_or_404(user_id)
    if missing:
        return missing
    services.unlock_user(**_who(), user=user)
    db.session.commit()
    return jsonify(user_json(user))


# --- API tokens -----------------------------------------------------------------------------


def token_json(token, plain=None):
    """A token as the console's list shows it; `plain` (its secret) only in the answer that creates it."""
    body = {
        "id": token.id,
        "prefix": token.prefix,
        "name": token.name,
        "owner": {"id": token.user.id, "username": token.user.username, "display_name": token.user.display_name},
        "created_at": _time(token.created_at),
        "last_used_at": _time(token.last_used_at),
        "revoked_at": _time(token.revoked_at),
    }
    if plain is not None:
        body["token"] = plain
    return body


@bp.get("/admin/tokens")
@admin_only
def list_tokens():
    """Every API token, newest first (the console's token list); no secret."""
    return jsonify(items=[token_json(token) for token in services.list_tokens()])


@bp.post("/admin/tokens")
@admin_only
def create_token():
    """{"owner": account id, "name"}: a new token acting as an active account; its secret is in
    this answer only (not cached); audited."""
    body = json_object()
    errors = unknown_fields(body, ("owner", "name"))
    name = text_field(body, "name", services.MAX_TOKEN_NAME, errors, required=True)
    raw_owner = body.get("owner")
    owner = None
    if isinstance(raw_owner, int) and not isinstance(raw_owner, bool):
        owner = _found(User, str(raw_owner)) if raw_owner > 0 else None
    if owner is None or not owner.active:  # the console offers active accounts only
        errors["owner"] = "the id of an active account"
    if errors:
        return refuse(errors)
    plain, token = services.issue_token(**_who(), owner=owner, name=name)
    db.session.commit()
    return jsonify(token_json(token, plain)), 201, NO_STORE


@bp.post("/admin/tokens/<token_id>/revoke")
@admin_only
def revoke_token(token_id):
    """Revoke a token: from now on it answers 401; audited. 409 for one revoked already."""
    token = _found(ApiToken, token_id)
    if token is None:
        return error_response(404, "Not Found", "no such token")
    if token.revoked_at is not None:
        return error_response(409, "Conflict", "the token is revoked already")
    services.revoke_token(**_who(), token=token)
    db.session.commit()
    return jsonify(token_json(token))


# --- Open311 api keys -----------------------------------------------------------------------


def key_json(key, plain=None):
    """An Open311 api key as the console's list shows it; `plain` (the api_key) only in the answer
    that creates it."""
    body = {
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "requests_per_minute": key.requests_per_minute,
        "created_by": key.created_by.username if key.created_by else None,
        "created_at": _time(key.created_at),
        "last_used_at": _time(key.last_used_at),
        "revoked_at": _time(key.revoked_at),
    }
    if plain is not None:
        body["api_key"] = plain
    return body


def _rate(body, errors, default=None):
    """`requests_per_minute`: a whole number within the form's range (`default` when absent)."""
    value = body.get("requests_per_minute", default)
    low, high = open311_forms.MIN_PER_MINUTE, open311_forms.MAX_PER_MINUTE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors["requests_per_minute"] = f"a whole number from {low} to {high}"
        return None
    return value


def _live_key(key_id):
    """(key, None) for a key not revoked; (None, the 404 or 409 answer) otherwise."""
    key = _found(Open311Key, key_id)
    if key is None:
        return None, error_response(404, "Not Found", "no such api key")
    if key.revoked_at is not None:
        return None, error_response(409, "Conflict", "the api key is revoked")
    return key, None


@bp.get("/admin/open311/keys")
@admin_only
def list_open311_keys():
    """Every Open311 api key, newest first (the console's key list); no key itself."""
    return jsonify(items=[key_json(key) for key in open311_services.list_keys()])


@bp.post("/admin/open311/keys")
@admin_only
def create_open311_key():
    """{"name", "requests_per_minute"}: a new api key; the key itself is in this answer only (not
    cached); audited."""
    body = json_object()
    errors = unknown_fields(body, ("name", "requests_per_minute"))
    name = text_field(body, "name", open311_forms.MAX_KEY_NAME, errors, required=True)
    rate = _rate(body, errors, default=open311_forms.DEFAULT_PER_MINUTE)
    if errors:
        return refuse(errors)
    plain, key = open311_services.issue_key(**_who(), name=name, requests_per_minute=rate)
    db.session.commit()
    return jsonify(key_json(key, plain)), 201, NO_STORE


@bp.post("/admin/open311/keys/<key_id>/rate")
@admin_only
def set_open311_rate(key_id):
    """{"requests_per_minute"}: how fast the key may call, at once; audited when it changes. 409
    for a revoked key (the console offers no rate for one)."""
    key, refused = _live_key(key_id)
    if refused:
        return refused
    body = json_object()
    errors = unknown_fields(body, ("requests_per_minute",))
    rate = _rate(body, errors)
    if errors:
        return refuse(errors)
    open311_services.set_rate(**_who(), key=key, requests_per_minute=rate)
    db.session.commit()
    return jsonify(key_json(key))


@bp.post("/admin/open311/keys/<key_id>/revoke")
@admin_only
def revoke_open311_key(key_id):
    """Revoke a key: from now on Open311 answers it 403; audited. 409 for one revoked already."""
    key, refused = _live_key(key_id)
    if refused:
        return refused
    open311_services.revoke_key(**_who(), key=key)
    db.session.commit()
    return jsonify(key_json(key))


# --- outbound webhooks ----------------------------------------------------------------------


def endpoint_json(endpoint, secret=None):
    """A webhook endpoint as the console's list shows it; `secret` (its signing secret) only in the
    answer that creates it or rotates it."""
    body = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": [event for event in outbound_webhooks.EVENTS if event in (endpoint.events or ())],
        "active": bool(endpoint.active),
        "created_at": _time(endpoint.created_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def delivery_json(message):
    """One row of an endpoint's delivery log, as the console's log shows it (its JSON body aside)."""
    return {
        "id": message.id,
        "event": message.purpose,
        "number": message.ticket.number if message.ticket else None,
        "status": message.status.value,
        "attempts": message.attempts,
        "http_status": message.provider_status,
        "duration_ms": message.duration_ms,
        "last_error": message.last_error,
        "created_at": _time(message.created_at),
        "next_attempt_at": _time(message.next_attempt_at) if message.status == OutboxStatus.PENDING else None,
    }


def _endpoint(endpoint_id, live=False):
    """(endpoint, None), or (None, the 404 answer; with `live`, the 409 for an inactive one)."""
    endpoint = _found(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return None, error_response(404, "Not Found", "no such webhook endpoint")
    if live and not endpoint.active:
        return None, error_response(409, "Conflict", "the webhook endpoint is inactive")
    return endpoint, None


def _events(body, errors):
    """`events`: a non-empty list of event names, each one the hotline sends."""
    value = body.get("events")
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value) \
            or set(value) - set(outbound_webhooks.EVENTS):
        errors["events"] = "a non-empty list of: " + ", ".join(outbound_webhooks.EVENTS)
        return None
    return value


@bp.get("/admin/webhooks")
@admin_only
def list_webhooks():
    """Every webhook endpoint, active first (the console's list); no secret."""
    return jsonify(items=[endpoint_json(endpoint) for endpoint in outbound_webhooks.list_endpoints()])


@bp.post("/admin/webhooks")
@admin_only
def create_webhook():
    """{"url", "events", "description"}: a new endpoint; its signing secret is in this answer only
    (not cached); audited."""
    body = json_object()
    errors = unknown_fields(body, ("url", "events", "description"))
    url = text_field(body, "url", outbound_webhooks.MAX_URL, errors, required=True)
    description = text_field(body, "description", outbound_webhooks.MAX_DESCRIPTION, errors)
    chosen = _events(body, errors)
    if url is not None:
        try:
            url = outbound_webhooks.check_url(url)
        except outbound_webhooks.InvalidWebhookURL as exc:
            with force_locale("en"):
                errors["url"] = str(REFUSALS.get(exc.reason, REFUSALS[webhook_targets.INVALID]))
    if errors:
        return refuse(errors)
    endpoint = outbound_webhooks.register_endpoint(**_who(), url=url, events=chosen, description=description)
    db.session.commit()
    return jsonify(endpoint_json(endpoint, endpoint.secret)), 201, NO_STORE


@bp.post("/admin/webhooks/<endpoint_id>/deactivate")
@admin_only
def deactivate_webhook(endpoint_id):
    """Stop sending to the endpoint: no new delivery is queued for it, queued ones do not go out;
    audited. 409 for one inactive already."""
    endpoint, refused = _endpoint(endpoint_id, live=True)
    if refused:
        return refused
    outbound_webhooks.deactivate_endpoint(**_who(), endpoint=endpoint)
    db.session.commit()
    return jsonify(endpoint_json(endpoint))


@bp.post("/admin/webhooks/<endpoint_id>/rotate")
@admin_only
def rotate_webhook(endpoint_id):
    """A new signing secret at once, in this answer only (not cached); audited. 409 for an
    inactive endpoint, as the console."""
    endpoint, refused = _endpoint(endpoint_id, live=True)
    if refused:
        return refused
    secret = outbound_webhooks.rotate_secret(**_who(), endpoint=endpoint)
    db.session.commit()
    return jsonify(endpoint_json(endpoint, secret)), 200, NO_STORE


@bp.get("/admin/webhooks/<endpoint_id>/deliveries")
@admin_only
def webhook_deliveries(endpoint_id):
    """The endpoint's delivery log, newest first, a page at a time (the console's page size);
    `before`: the ids below it (the `older` of the previous page)."""
    endpoint, refused = _endpoint(endpoint_id)
    if refused:
        return refused
    raw = request.args.get("before")
    before = inputs.parse_int(raw, 1) if raw is not None else None
    if raw is not None and before is None:
        return refuse({"before": "a delivery id"})
    rows = outbound_webhooks.deliveries(endpoint, before=before, limit=WEBHOOK_PAGE_SIZE)
    older = rows[-1].id if len(rows) == WEBHOOK_PAGE_SIZE else None
    return jsonify(items=[delivery_json(row) for row in rows], older=older)


@bp.post("/admin/webhooks/<endpoint_id>/deliveries/<message_id>/retry")
@admin_only
def retry_webhook_delivery(endpoint_id, message_id):
    """Queue a failed delivery again with fresh attempts; audited. 404 for a delivery not of this
    endpoint; 409 when the endpoint is inactive or the delivery has not failed."""
    endpoint, refused = _endpoint(endpoint_id)
    if refused:
        return refused
    message = _found(OutboxMessage, message_id)
    if message is None or message.webhook_endpoint_id != endpoint.id:
        return error_response(404, "Not Found", "no such delivery of this webhook endpoint")
    if not endpoint.active:
        return error_response(409, "Conflict", "the webhook endpoint is inactive: nothing is sent to it")
    if not outbox.retry(message, g.api_user):
        return error_response(409, "Conflict", "only a failed delivery can be retried")
    db.session.commit()
    return jsonify(delivery_json(message))
