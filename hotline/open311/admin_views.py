"""Admins issue and revoke Open311 api keys."""

from flask import Blueprint

bp = Blueprint("open311_admin", __name__)
