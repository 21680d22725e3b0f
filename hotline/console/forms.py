"""Console forms (Flask-WTF, so every one carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from hotline.console.labels import AVAILABILITY, choices


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])


class AvailabilityForm(FlaskForm):
    availability = SelectField(_l("Availability"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.availability.choices = choices(AVAILABILITY)


