"""Twilio voice webhooks (/twilio/voice...)."""

from flask import Blueprint

bp = Blueprint("voice", __name__)
