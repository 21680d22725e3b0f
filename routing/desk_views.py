"""The department desk: the department's queue, accept or return, mediation, results."""

from flask import Blueprint

bp = Blueprint("desk", __name__)
