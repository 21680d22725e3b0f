"""Reading a JSON request body, shared by every API view (hotline's and the features')."""

from flask import request
from werkzeug.exceptions import BadRequest


def json_object(required=True):
    """The request body as a JSON object ({} for an empty optional body), or a 400 whatever the bytes are."""
    if not required and not request.get_data():
        return {}
    try:
        body = request.get_json(force=True, silent=False)
    except (BadRequest, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object (Content-Type: application/json, UTF-8)")
    return body
