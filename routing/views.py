"""Routing rules and departments (supervisors), the rule tester."""

from flask import Blueprint

bp = Blueprint("routing", __name__)
