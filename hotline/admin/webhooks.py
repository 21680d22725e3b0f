"""Admins register webhook endpoints and read their delivery log."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)
