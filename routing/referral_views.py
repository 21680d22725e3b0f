"""The referral directory, referring a case, call transfer TwiML, appeals."""

from flask import Blueprint

bp = Blueprint("referrals", __name__)
