"""The public case-status page (/status/): case number + last four phone digits.

Only failed lookups count, and every limit is keyed by the asker's address, so nobody's
wrong guesses can lock the owner of a case out:

* per address, over all cases (STATUS_FAILURES_PER_ADDRESS, e.g. 10 per 15 minutes);
* per address and case number (STATUS_FAILURES_PER_ADDRESS_AND_CASE, e.g. 3 per day);
* a case number that collected STATUS_CASE_ALERT failures from all addresses together is
  being guessed at by many addresses: from then on one failed try at it uses up an address's
  whole allowance for it. The owner, asking from an address that has not failed at it,
  still gets the answer.

Once a limit is used up, every lookup it covers, right or wrong, gets the same 429 page until
the window passes, so the answer never tells whether the last guess was right. An unknown
number and wrong digits give the same page, byte for byte. The owner can always text
查询/CX <case number> to the hotline from their phone instead (hotline.telephony.sms).
"""

import unicodedata
from pathlib import Path

from flask import Blueprint, current_app, g, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from limits import parse
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from hotline import ratelimits, sms_texts
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


def _ticket():
    typed = _fold(request.form.get("number"))
    return sms_texts.parse_case_number(typed) or typed[:32] or "-"


def _address_key():
    return "addr:" + (get_remote_address() or "-")


def _address_case_key():
    return f"addr-case:{get_remote_address() or '-'}:{_ticket()}"


def _per_address_and_case():
    return current_app.config["STATUS_FAILURES_PER_ADDRESS_AND_CASE"]


def _failure_cost():
    """One, or an address's whole allowance for a case that many addresses are guessing at."""
    config = current_app.config
    if ratelimits.used_up(current_app, config["STATUS_CASE_ALERT"], "status-case", _ticket()):
        return parse(_per_address_and_case()).amount
    return 1


def _hotline_number():
    return current_app.config.get("TWILIO_NUMBER") or None


@bp.route("/", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["STATUS_FAILURES_PER_ADDRESS"], key_func=_address_key,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(_per_address_and_case, key_func=_address_case_key, methods=["POST"], deduct_when=_failed,
               cost=_failure_cost)
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return _lookup_page(form, failed=False)
    ticket = service.find_ticket(form.number.data, form.digits.data)
    if ticket is None:
        g.status_lookup_failed = True
        ratelimits.hit(current_app, current_app.config["STATUS_CASE_ALERT"], "status-case", _ticket())
        return _lookup_page(LookupForm(formdata=None), failed=True)
    case = service.case_status(ticket, current_app.config["HOTLINE_TIMEZONE"], str(get_locale() or "zh"))
    return render_template("public/status.html", case=case), 200, NO_STORE


def _lookup_page(form, failed):
    page = render_template("public/lookup.html", form=form, failed=failed, hotline_number=_hotline_number())
    return page, 200, NO_STORE


@bp.errorhandler(429)
def too_many_tries(_exc):
    return render_template("public/too_many.html", hotline_number=_hotline_number()), 429, NO_STORE


@bp.route("/status.css")
@public
def stylesheet():
    return send_file(STYLESHEET, mimetype="text/css", max_age=3600)
