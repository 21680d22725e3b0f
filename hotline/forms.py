"""Forms every package's pages share."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField

from hotline import inputs


class ConfirmForm(FlaskForm):
    """A button-only form: the CSRF token is its whole content."""


class TypedDateField(DateField):
    """A date typed into a text box (2026-05-01, 2026/5/1, 2026年5月1日; see inputs.parse_typed_date),
    not the browser's date box, which shows its own language's mm/dd/yyyy on a Chinese page."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"type": "text", "inputmode": "numeric", "autocomplete": "off", "size": 10,
                     "placeholder": _l("YYYY-MM-DD"), **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        self.data = inputs.parse_typed_date(valuelist[0])
        if self.data is None:
            raise ValueError(str(_l("Enter the date as YYYY-MM-DD.")))
