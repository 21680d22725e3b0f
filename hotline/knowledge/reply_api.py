"""The canned replies under /api/v1, the API twin of the pickers: the active replies of a screen,
and one reply filled for a case the token's user may see (hotline.access: a department only its
own cases). PATHS and SCHEMAS are this API's part of the OpenAPI document."""

from flask import Blueprint, g, jsonify, request

from hotline import access, inputs, sms_texts
from hotline.extensions import db
from hotline.knowledge import replies
from hotline.models import CannedReply, ReplyScope, Role
from hotline.rest import (
    AUTH_ERRORS,
    STRING,
    api_roles,
    error_response,
    json_content,
    json_object,
    obj,
    ref,
    refuse,
    response_ref,
    text_field,
    unknown_fields,
)

bp = Blueprint("replies_api", __name__)

# Everyone who answers callers or works cases; admins manage replies on the pages and may read
# the list here too, but see no case to fill one for (hotline.access.CASE_ROLES).
LIST_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT, Role.ADMIN)
RENDER_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
# A screen's picker offers its own replies and those for any screen.
PICKER_SCOPES = (ReplyScope.SMS.value, ReplyScope.DESK.value)
NOT_FOUND = "no such active reply, or no such case you may see"
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)  # as reply_views: they add, edit, reorder and deactivate
MOVES = {"up": -1, "down": 1}


def _refuse(field, why):
    return error_response(422, "validation failed", f"invalid query parameter: {field}", fields={field: why})


def reply_json(reply, managed=False):
    """A reply as the pickers offer it; `managed`: with whether it is offered and its place, as the
    supervisors' page lists it."""
    shown = {"id": reply.id, "title": reply.title, "body": reply.body, "scope": reply.scope.value}
    return {**shown, "active": bool(reply.active), "position": reply.position} if managed else shown


@bp.get("/replies")
@api_roles(*LIST_ROLES)
def list_replies():
    scope = request.args.get("scope", "").strip() or None
    if scope is not None and scope not in PICKER_SCOPES:
        return _refuse("scope", "one of: " + ", ".join(PICKER_SCOPES))
    everything = request.args.get("include_inactive", "").strip()
    if everything not in ("", "true", "false"):
        return _refuse("include_inactive", "true or false")
    if everything == "true":
        # The supervisors' page: every reply, active first, with its state and place.
        if g.api_user.role not in MANAGERS:
            return error_response(403, "Forbidden", f"the role {g.api_user.role.value} may not list inactive replies")
        if scope is not None:
            return _refuse("scope", "not with include_inactive: the page lists every reply")
        return jsonify(items=[reply_json(r, managed=True) for r in replies.ordered()])
    return jsonify(items=[reply_json(r) for r in replies.list_for(scope)])


def _reply(raw_id):
    """The reply with this id, active or not (the supervisors' page edits both), or None."""
    found = inputs.parse_int(raw_id, 1)
    return db.session.get(CannedReply, found) if found is not None else None


def _no_reply():
    return error_response(404, "Not Found", "no such reply")


def _fields(body, reply):
    """({title, body, scope, active}, errors): the body's fields over the reply's own (a new one:
    title, body and scope required, active unless it says not)."""
    errors = unknown_fields(body, ("title", "body", "scope", "active"))
    values = {"title": reply.title, "body": reply.body, "scope": reply.scope.value, "active": reply.active} \
        if reply is not None else {"active": True}
    if reply is None or "title" in body:
        values["title"] = text_field(body, "title", replies.MAX_TITLE, errors, required=True)
    if reply is None or "body" in body:
        values["body"] = text_field(body, "body", replies.MAX_BODY, errors, required=True)
        unknown = replies.unknown_variables(values["body"]) if values["body"] else []
        if unknown:
            errors["body"] = ("unknown variable(s): " + ", ".join("{" + n + "}" for n in unknown)
                              + "; the variables are " + ", ".join("{" + n + "}" for n in replies.VARIABLES))
    if reply is None or "scope" in body:
        values["scope"] = body.get("scope")
        if values["scope"] not in [s.value for s in ReplyScope]:
            errors["scope"] = "one of " + ", ".join(s.value for s in ReplyScope)
    if "active" in body:
        values["active"] = body["active"]
        if not isinstance(values["active"], bool):
            errors["active"] = "true or false"
    return values, errors


def _saved(action, status=200):
    """Run replies.create / update as reply_views._edit does; its ReplyError (the checks above
    missed it) is a 422 on the body."""
    try:
        reply = action()
    except replies.ReplyError as exc:
        db.session.rollback()
        return refuse({"body" if exc.code != "too-long" else "title": exc.code})
    db.session.commit()
    return jsonify(reply_json(reply, managed=True)), status


@bp.post("/replies")
@api_roles(*MANAGERS)
def create_reply():
    """{"title", "body", "scope", "active"?}: a new reply, last in the order; audited."""
    values, errors = _fields(json_object(), None)
    if errors:
        return refuse(errors)
    return _saved(lambda: replies.create(**values, actor=g.api_user, ip=request.remote_addr), 201)


@bp.patch("/replies/<reply_id>")
@api_roles(*MANAGERS)
def update_reply(reply_id):
    """The fields sent change, the others stay; `"active": true` offers a deactivated reply again."""
    reply = _reply(reply_id)
    if reply is None:
        return _no_reply()
    values, errors = _fields(json_object(), reply)
    if errors:
        return refuse(errors)
    return _saved(lambda: replies.update(reply, **values, actor=g.api_user, ip=request.remote_addr))


@bp.post("/replies/<reply_id>/deactivate")
@api_roles(*MANAGERS)
def deactivate_reply(reply_id):
    """No body (or {}): out of every picker, kept; audited when it was offered."""
    reply = _reply(reply_id)
    if reply is None:
        return _no_reply()
    errors = unknown_fields(json_object(required=False), ())
    if errors:
        return refuse(errors)
    replies.deactivate(reply, g.api_user, ip=request.remote_addr)
    db.session.commit()
    return jsonify(reply_json(reply, managed=True))


@bp.post("/replies/<reply_id>/move")
@api_roles(*MANAGERS)
def move_reply(reply_id):
    """{"direction": "up"|"down"}: one place up or down among all replies; audited. 409 at the end."""
    reply = _reply(reply_id)
    if reply is None:
        return _no_reply()
    body = json_object()
    errors = unknown_fields(body, ("direction",))
    if not isinstance(body.get("direction"), str) or body["direction"] not in MOVES:
        errors["direction"] = "one of " + ", ".join(MOVES)
    if errors:
        return refuse(errors)
    if not replies.move(reply, MOVES[body["direction"]], g.api_user, ip=request.remote_addr):
        db.session.rollback()
        return error_response(409, "Conflict", f"the reply is already {'first' if body['direction'] == 'up' else 'last'}")
    db.session.commit()
    return jsonify(items=[reply_json(r, managed=True) for r in replies.ordered()])


@bp.get("/replies/<reply_id>/render")
@api_roles(*RENDER_ROLES)
def render_reply(reply_id):
    number = request.args.get("case", "").strip()
    if not number:
        return _refuse("case", "required: the case number, e.g. 20260110-00042")
    reply, ticket = replies.get_active(reply_id), access.get_ticket(number, g.api_user)
    # One answer for "no such reply" and "a case you may not see": a department learns nothing
    # about another department's case numbers.
    if reply is None or ticket is None:
        return error_response(404, "Not Found", NOT_FOUND)
    text = replies.render(reply.body, ticket, "zh")  # the caller's language
    return jsonify(id=reply.id, case=ticket.number, text=text, characters=len(text),
                   segments=sms_texts.segments(text))


# --- the OpenAPI part ----------------------------------------------------------------------------

_SCOPE = {"type": "string", "enum": [s.value for s in ReplyScope]}
PATHS = {
    "/replies": {"get": {
        "operationId": "listCannedReplies",
        "summary": "The active canned replies (常用语), in the supervisors' order",
        "description": "`scope=sms` gives what the console's SMS form offers, `scope=desk` what the department "
                       "desk offers (each with the replies for any screen); without it, every active reply. "
                       "Bodies carry the variables {" + "}, {".join(replies.VARIABLES) + "}.",
        "parameters": [{"name": "scope", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": list(PICKER_SCOPES)}}],
        "responses": {
            "200": json_content(obj({"items": {"type": "array", "items": ref("CannedReply")}}), "the replies"),
            "422": response_ref("ValidationFailed"), **AUTH_ERRORS,
        },
    }},
    "/replies/{reply_id}/render": {"get": {
        "operationId": "renderCannedReply",
        "summary": "A canned reply filled for one case (operators, supervisors, and a department for its own cases)",
        "description": "The variables are filled as the pickers fill them, in the caller's language (Chinese); "
                       "one the case has no value for reads （暂无）. Another department's case answers 404.",
        "parameters": [
            {"name": "reply_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
            {"name": "case", "in": "query", "required": True,
             "schema": {"type": "string", "pattern": r"^\d{8}-\d{5}$"}, "description": "the case number"},
        ],
        "responses": {
            "200": json_content(ref("RenderedReply"), "the filled text"),
            "404": response_ref("NotFound"), "422": response_ref("ValidationFailed"), **AUTH_ERRORS,
        },
    }},
}
_ID = {"name": "reply_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
       "description": "the `id` the list gives"}
_MANAGERS = " (supervisors and admins)"
_FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": replies.MAX_TITLE},
    "body": {"type": "string", "minLength": 1, "maxLength": replies.MAX_BODY,
             "description": "the text; the only variables are {" + "}, {".join(replies.VARIABLES) + "}"},
    "scope": {**_SCOPE, "description": "sms: the console's SMS form; desk: the department desk; any: both"},
    "active": {"type": "boolean", "description": "offered in the pickers"},
}
_WRITE_ERRORS = {"400": response_ref("BadRequest"), "422": response_ref("ValidationFailed"), **AUTH_ERRORS}
_SAVED = json_content(ref("CannedReply"), "the reply as saved, with `active` and `position`")
PATHS["/replies"]["get"]["parameters"].append({
    "name": "include_inactive", "in": "query", "required": False, "schema": {"type": "string", "enum": ["true", "false"]},
    "description": "true (supervisors and admins, without `scope`): every reply as their page lists it, active first, "
                   "each with `active` and `position`"})
PATHS["/replies"]["post"] = {
    "operationId": "createCannedReply",
    "summary": "Add a canned reply, last in the order" + _MANAGERS,
    "description": "As the supervisors' page; audited (canned_reply.create).",
    "requestBody": {"required": True, "content": {"application/json": {"schema": obj(_FIELDS, required=[
        "title", "body", "scope"])}}},
    "responses": {"201": _SAVED, **_WRITE_ERRORS},
}
PATHS["/replies/{reply_id}"] = {"patch": {
    "operationId": "updateCannedReply",
    "summary": "Change a canned reply: the fields sent change; active: true offers it again" + _MANAGERS,
    "description": "As the supervisors' page; audited (canned_reply.update) when anything changed.",
    "parameters": [_ID],
    "requestBody": {"required": True, "content": {"application/json": {"schema": obj(_FIELDS, required=[])}}},
    "responses": {"200": _SAVED, "404": response_ref("NotFound"), **_WRITE_ERRORS},
}}
PATHS["/replies/{reply_id}/deactivate"] = {"post": {
    "operationId": "deactivateCannedReply",
    "summary": "Take a canned reply out of every picker; it is kept" + _MANAGERS,
    "description": "No body, or an empty JSON object. Audited (canned_reply.deactivate) when it was offered.",
    "parameters": [_ID],
    "requestBody": {"required": False, "content": {"application/json": {"schema": obj({})}}},
    "responses": {"200": _SAVED, "404": response_ref("NotFound"), **_WRITE_ERRORS},
}}
PATHS["/replies/{reply_id}/move"] = {"post": {
    "operationId": "moveCannedReply",
    "summary": "Move a canned reply one place up or down" + _MANAGERS,
    "description": "As the page's arrows; audited (canned_reply.move).",
    "parameters": [_ID],
    "requestBody": {"required": True, "content": {"application/json": {"schema": obj({
        "direction": {"type": "string", "enum": list(MOVES)}})}}},
    "responses": {
        "200": json_content(obj({"items": {"type": "array", "items": ref("CannedReply")}}),
                            "every reply in the new order, as the page lists them"),
        "404": response_ref("NotFound"),
        "409": json_content(ref("Error"), "the reply is already first (up) or last (down)"),
        **_WRITE_ERRORS,
    },
}}
SCHEMAS = {
    "CannedReply": obj({"id": {"type": "integer"}, "title": STRING, "body": STRING, "scope": _SCOPE,
                        "active": {"type": "boolean", "description": "only on the supervisors' list and answers"},
                        "position": {"type": "integer", "description": "only on the supervisors' list and answers"}},
                       required=["id", "title", "body", "scope"]),
    "RenderedReply": obj({
        "id": {"type": "integer"}, "case": STRING, "text": STRING,
        "characters": {"type": "integer"}, "segments": {"type": "integer", "description": "SMS segments the text costs"},
    }),
}
