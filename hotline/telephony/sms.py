"""Twilio SMS webhooks (/twilio/sms...)."""

from flask import Blueprint

bp = Blueprint("sms", __name__)
