"""Operator call actions: answer next, answer one, availability."""

from flask import Blueprint

bp = Blueprint("calls", __name__)
