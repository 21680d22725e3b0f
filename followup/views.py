"""Follow-up pages: the working-day calendar, clocks on a case, scheduler job status."""

from flask import Blueprint

bp = Blueprint("followup", __name__)
