"""What every /api/v1 view shares, the core's (hotline.api) and the features' (e.g. intake.api),
so a feature never imports the core's API views:

- one bearer-token authenticator, `api_roles`, declared per view like hotline.authz;
- one error body, `error_response`: {"error": <HTTP reason phrase>, "message": ..., ...}, the same
  for a missing or bad token (401), a refused role (403) and every other error;
- the language of the labels an answer gives beside its codes (`reader_language`);
- reading a JSON body (`json_object`), checking its fields (`text_field`, `unknown_fields`) and
  refusing them (`refuse`, `ValidationFailed`);
- the OpenAPI building blocks, and the feature parts of the document (`add_openapi`).
"""

from functools import wraps

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import BadRequest

from hotline import accounts, inputs
from hotline.extensions import db
from hotline.models import Ticket

# The largest amount of money a case holds (its column's precision): 9999999999.99.
MAX_AMOUNT = inputs.max_decimal(*inputs.numeric_limits(Ticket.amount))

# --- authentication and the error body --------------------------------------------------------


def error_response(status, error, message, headers=None, **extra):
    """The API's one error shape: {"error", "message", ...}."""
    return jsonify(error=error, message=message, **extra), status, headers or {}


def _bearer_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _unauthorised(token):
    if token is None:
        return error_response(
            401, "Unauthorized", "send a token: Authorization: Bearer <token>",
            {"WWW-Authenticate": 'Bearer realm="hotline"'},
        )
    return error_response(
        401, "Unauthorized", "the token is invalid or revoked",
        {"WWW-Authenticate": 'Bearer realm="hotline", error="invalid_token"'},
    )


def api_roles(*roles):
    """Let the bearer token's user through when their role is one of `roles` (as g.api_user);
    401 or 403 in the one error body otherwise.

    Records the roles on the view as hotline.authz does, so the route walk sees them.
    """
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = _bearer_token()
            user = accounts.user_for_token(token)
            if user is None:
                return _unauthorised(token)
            db.session.commit()  # keeps the token's last use even if the view fails
            if user.role not in allowed:
                return error_response(403, "Forbidden", f"the role {user.role.value} may not do this")
            g.api_user = user
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorate


# --- labels ---------------------------------------------------------------------------------------


def reader_language():
    """The language of the labels beside an answer's codes (a case's history, a clock's kind):
    the request's Accept-Language (as the Open311 API reads it), else the token user's own
    language, else the default. Answers say it in Content-Language."""
    languages = current_app.config["LANGUAGES"]
    own = g.api_user.locale if g.api_user.locale in languages else None
    return request.accept_languages.best_match(languages) or own or current_app.config["BABEL_DEFAULT_LOCALE"]


# --- request bodies -----------------------------------------------------------------------------


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


def text_field(body, name, limit, errors, required=False):
    """A text field of a JSON body, stripped (None when absent or blank); what is wrong with it
    goes to `errors` under its name: not text, NUL or characters no database stores, too long."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not storable(value) or (required and not value.strip()):
        errors[name] = "required text" if required else "must be text"
        return None
    if len(value.strip()) > limit:
        errors[name] = f"at most {limit} characters"
        return None
    return value.strip() or None


def storable(value):
    """Whether a string can go into both databases (PostgreSQL refuses NUL; lone surrogates cannot be encoded)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unknown_fields(body, allowed):
    """{name: "unknown field"} for every field of `body` not in `allowed`."""
    return {name: "unknown field" for name in body if name not in allowed}


def refuse(errors):
    """422 in the validation error shape, naming every bad field."""
    return error_response(422, "validation failed", "invalid fields: " + ", ".join(sorted(errors)), fields=errors)


class ValidationFailed(ValueError):
    """Some request fields are wrong; `fields` maps each to what is wrong with it."""

    def __init__(self, fields, message="some fields are invalid"):
        super().__init__(message)
        self.fields = fields
        self.message = message


# --- OpenAPI building blocks --------------------------------------------------------------------


def nullable(schema):
    return {**schema, "type": [schema["type"], "null"]}


STRING = {"type": "string"}
MOMENT = {"type": "string", "format": "date-time"}
MAYBE_MOMENT = nullable(MOMENT)
MAYBE_STRING = nullable(STRING)
MAYBE_INT = {"type": ["integer", "null"]}


def obj(properties, required=None):
    """A closed object schema; every property required unless `required` says which."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def response_ref(name):
    return {"$ref": f"#/components/responses/{name}"}


# The one error body (error_response), and the answers every authenticated operation may give.
ERROR = {
    "type": "object",
    "properties": {"error": STRING, "message": STRING},
    "required": ["error", "message"],
}
AUTH_ERRORS = {"401": response_ref("Unauthorized"), "403": response_ref("Forbidden"), "default": response_ref("Error")}


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
