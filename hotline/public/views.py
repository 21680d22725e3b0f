"""The public case-status page (/status/): case number + last four phone digits.

Only failed lookups count against the limits, per address and per case number (config
STATUS_FAILURES_PER_ADDRESS / STATUS_FAILURES_PER_CASE). Once either is used up, every
lookup for that address or number, right or wrong, gets the same 429 page until the window
passes, so the answer never tells whether the last guess was right. An unknown number and
wrong digits give the same page, byte for byte.
"""

import unicodedata
from pathlib import Path

from flask import Blueprint, current_app, g, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from hotline import sms_texts
from hotline.authz import public
from hotline.extensions import limiter
from hotline.public import lookup as service

bp = Blueprint("status", __name__)
STYLESHEET = Path(__file__).with_name("status.css")
NO_STORE = {"Cache-Control": "no-store"}


def _fold(text):
    """Full-width digits and dashes typed on a Chinese keyboard become ASCII."""
    return unicodedata.normalize("NFKC", text or "").strip()


class LookupForm(FlaskForm):
    number = StringField(
        _l("Case number"), filters=[_fold],
        validators=[DataRequired(_l("Enter the case number.")), Length(max=32)],
    )
    digits = StringField(
        _l("Last four digits of your phone number"), filters=[_fold],
        validators=[DataRequired(_l("Enter four digits.")), Regexp(r"^\d{4}$", message=_l("Enter four digits."))],
    )


def _failed(_response):
    return g.get("status_lookup_failed", False)


def _case_key():
    typed = _fold(request.form.get("number"))
    return "case:" + (sms_texts.parse_case_number(typed) or typed[:32] or "-")


def _address_key():
    return "addr:" + (get_remote_address() or "-")


@bp.route("/", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["STATUS_FAILURES_PER_ADDRESS"], key_func=_address_key,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["STATUS_FAILURES_PER_CASE"], key_func=_case_key,
               methods=["POST"], deduct_when=_failed)
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("public/lookup.html", form=form, failed=False), 200, NO_STORE
    ticket = service.find_ticket(form.number.data, form.digits.data)
    if ticket is None:
        g.status_lookup_failed = True
        return render_template("public/lookup.html", form=LookupForm(formdata=None), failed=True), 200, NO_STORE
    case = service.case_status(ticket, current_app.config["HOTLINE_TIMEZONE"])
    return render_template("public/status.html", case=case), 200, NO_STORE


@bp.errorhandler(429)
def too_many_tries(_exc):
    return render_template("public/too_many.html"), 429, NO_STORE


@bp.route("/status.css")
@public
def stylesheet():
    return send_file(STYLESHEET, mimetype="text/css", max_age=3600)
