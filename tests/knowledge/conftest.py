"""The API's fixtures, shared with tests/api: the OpenAPI document (`spec`) that every answer is
checked against, and `token_for(user)` for a bearer token."""

from tests.api.conftest import spec, token_for  # noqa: F401 (fixtures, found by pytest by name)
