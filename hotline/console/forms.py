"""Console forms (Flask-WTF, so every one carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from hotline import tickets
from hotline.calls import WRAPUP_REASONS
from hotline.console.labels import AVAILABILITY, choices


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=tickets.MAX_NOTE)])


class AvailabilityForm(FlaskForm):
    availability = SelectField(_l("Availability"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.availability.choices = choices(AVAILABILITY)


class WrapupForm(FlaskForm):
    """Closing after-call work: why the call ended up as it did; the reason is required."""

    reason = SelectField(_l("Wrap-up reason"), choices=[], validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", str(_l("— choose —")))] + choices(WRAPUP_REASONS)
