"""Reports over a date range."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
