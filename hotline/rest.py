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


# --- the OpenAPI document's feature parts ----------------------------------------------------

_OPENAPI = "hotline.openapi"


def add_openapi(app, paths, schemas):
    """Add a feature's paths and component schemas to the /api/v1 OpenAPI document (init_app)."""
    parts = app.extensions.setdefault(_OPENAPI, [])
    if (paths, schemas) not in parts:
        parts.append((paths, schemas))


def openapi_parts(app):
    """({path: item}, {schema name: schema}) that features added, merged in the order they came."""
    paths, schemas = {}, {}
    for feature_paths, feature_schemas in app.extensions.get(_OPENAPI, ()):
        paths.update(feature_paths)
        schemas.update(feature_schemas)
    return paths, schemas
