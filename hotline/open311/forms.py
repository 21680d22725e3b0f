"""Admin forms for Open311 api keys."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, NumberRange

from hotline.inputs import WholeNumberField

MAX_PER_MINUTE = 10_000


def _rate_field():
    return WholeNumberField(
        _l("Requests per minute"), default=60,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_PER_MINUTE, message=_l("From 1 to 10000."))],
    )


class KeyForm(FlaskForm):
    """A new key: who it is for and how fast it may call."""

    name = StringField(_l("Client (who uses the key)"), validators=[DataRequired(), Length(max=120)])
    requests_per_minute = _rate_field()


class RateForm(FlaskForm):
    requests_per_minute = _rate_field()
