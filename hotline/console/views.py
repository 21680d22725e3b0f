"""The operator console (placeholder until the console work lands)."""

from flask import Blueprint, render_template

from hotline.authz import roles_required

bp = Blueprint("console", __name__)


@bp.route("/")
@roles_required()
def index():
    return render_template("console/index.html")
