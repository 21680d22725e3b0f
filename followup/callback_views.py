"""The callback list and the visit page."""

from flask import Blueprint

bp = Blueprint("callbacks", __name__)
