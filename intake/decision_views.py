"""Intake decisions: one-time codes, accept or reject, repeat flags."""

from flask import Blueprint

bp = Blueprint("intake_decision", __name__)
