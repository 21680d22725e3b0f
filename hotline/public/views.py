"""The public case-status page."""

from flask import Blueprint

bp = Blueprint("status", __name__)
