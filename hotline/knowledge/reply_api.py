"""The canned replies under /api/v1, the API twin of the pickers: the active replies of a screen,
and one reply filled for a case the token's user may see (hotline.access: a department only its
own cases). PATHS and SCHEMAS are this API's part of the OpenAPI document."""

from flask import Blueprint, g, jsonify, request

from hotline import access, sms_texts
from hotline.knowledge import replies
from hotline.models import ReplyScope, Role
from hotline.rest import AUTH_ERRORS, STRING, api_roles, error_response, json_content, obj, ref, response_ref

bp = Blueprint("replies_api", __name__)

# Everyone who answers callers or works cases; admins manage replies on the pages and may read
# the list here too, but see no case to fill one for (hotline.access.CASE_ROLES).
LIST_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT, Role.ADMIN)
RENDER_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.DEPARTMENT)
# A screen's picker offers its own replies and those for any screen.
PICKER_SCOPES = (ReplyScope.SMS.value, ReplyScope.DESK.value)
NOT_FOUND = "no such active reply, or no such case you may see"


def _refuse(field, why):
    return error_response(422, "validation failed", f"invalid query parameter: {field}", fields={field: why})


def reply_json(reply):
    return {"id": reply.id, "title": reply.title, "body": reply.body, "scope": reply.scope.value}


@bp.get("/replies")
@api_roles(*LIST_ROLES)
def list_replies():
    scope = request.args.get("scope", "").strip() or None
    if scope is not None and scope not in PICKER_SCOPES:
        return _refuse("scope", "one of: " + ", ".join(PICKER_SCOPES))
    return jsonify(items=[reply_json(r) for r in replies.list_for(scope)])


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
SCHEMAS = {
    "CannedReply": obj({"id": {"type": "integer"}, "title": STRING, "body": STRING, "scope": _SCOPE}),
    "RenderedReply": obj({
        "id": {"type": "integer"}, "case": STRING, "text": STRING,
        "characters": {"type": "integer"}, "segments": {"type": "integer", "description": "SMS segments the text costs"},
    }),
}
