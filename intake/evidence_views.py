"""Evidence files on a case: upload, list, download."""

from flask import Blueprint

bp = Blueprint("evidence", __name__)
