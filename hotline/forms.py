"""Forms every package's pages share."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button-only form: the CSRF token is its whole content."""
