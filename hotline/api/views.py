"""REST API /api/v1 (placeholder until the API work lands)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
