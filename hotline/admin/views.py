"""Account administration (placeholder until the admin work lands)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)
