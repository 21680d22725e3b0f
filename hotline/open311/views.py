"""The GeoReport v2 endpoints."""

from flask import Blueprint

bp = Blueprint("open311", __name__)
