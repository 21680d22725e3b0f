"""Development-only pages: the call/SMS simulator and the sandbox outbox."""

from flask import Blueprint

bp = Blueprint("devtools", __name__)
