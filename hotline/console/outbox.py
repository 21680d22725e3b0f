"""Outbox pages in the console: operator replies, failed messages for supervisors."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)
