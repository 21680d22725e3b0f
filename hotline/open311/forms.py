"""Admin forms for Open311 api keys."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, NumberRange

from hotline.inputs import WholeNumberField

# A key's limits, read by this form and the API twin (hotline/admin/api.py) alike.
MIN_PER_MINUTE, MAX_PER_MINUTE, DEFAULT_PER_MINUTE = 1, 10_000, 60
MAX_KEY_NAME = 120


def _rate_field():
    return WholeNumberField(
        _l("Requests per minute"), default=DEFAULT_PER_MINUTE,
        validators=[DataRequired(),
                    NumberRange(min=MIN_PER_MINUTE, max=MAX_PER_MINUTE, message=_l("From 1 to 10000."))],
    )


class KeyForm(FlaskForm):
    """A new key: who it is for and how fast it may call."""

    name = StringField(_l("Client (who uses the key)"), validators=[DataRequired(), Length(max=MAX_KEY_NAME)])
    requests_per_minute = _rate_field()


class RateForm(FlaskForm):
    requests_per_minute = _rate_field()
