"""Admin forms: accounts and API tokens."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from hotline import accounts, phones
from hotline.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from hotline.admin import services
from hotline.models import Role

ROLE_LABELS = {
    Role.OPERATOR: _l("Operator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.DEPARTMENT: _l("Department staff"),
    Role.ADMIN: _l("Admin"),
}
NO_DEPARTMENT = 0


def _strong_password(form, field):
    """The password rules (hotline.accounts.password_problem), with the account's own names
    counted as easy guesses."""
    problem = accounts.password_problem(field.data, form.names_of_account())
    if problem:
        raise ValidationError(problem)


def password_fields(label=None):
    """A new password and its repetition, checked against the password rules."""
    return (
        PasswordField(
            label or _l("Password"),
            validators=[
                DataRequired(),
                Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH, message=_l("At least %(min)d characters.")),
                _strong_password,
            ],
        ),
        PasswordField(
            _l("Repeat password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
        ),
    )


class AccountForm(FlaskForm):
    """The fields an admin edits on any account."""

    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=services.MAX_DISPLAY_NAME)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])
    department = SelectField(_l("Department"), coerce=int, default=NO_DEPARTMENT)
    phone = StringField(_l("Own phone (for bridged calls)"), validators=[Optional(), Length(max=services.MAX_OWN_PHONE)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = [SelectChoice(NO_DEPARTMENT, "—")] + [
            SelectChoice(d.id, f"{d.code} {d.name}") for d in services.active_departments()
        ]

    def validate_phone(self, field):
        if not field.data:
            field.data = None
            return
        try:
            field.data = phones.normalise(field.data, current_app.config.get("DEFAULT_PHONE_REGION", "CN"))
        except phones.InvalidPhone as exc:
            raise ValidationError(_l("Not a phone number.")) from exc

    def validate_department(self, field):
        if self.role.data == Role.DEPARTMENT and field.data == NO_DEPARTMENT:
            raise ValidationError(_l("A department account needs a department."))

    def account_fields(self):
        """The validated fields as service keyword arguments."""
        return {
            "display_name": self.display_name.data.strip(),
            "role": Role(self.role.data),
            "department": services.department(self.department.data),
            "phone": self.phone.data,
        }


class NewUserForm(AccountForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=services.MAX_USERNAME),
            Regexp(services.USERNAME_PATTERN, message=_l("Letters, digits, '.', '-' and '_' only.")),
        ],
    )
    password, confirm = password_fields()

    def names_of_account(self):
        return (self.username.data, self.display_name.data)

    def validate_username(self, field):
        if services.username_taken(field.data):
            raise ValidationError(_l("This username is taken."))


class EditUserForm(AccountForm):
    active = BooleanField(_l("Active (may sign in)"))


class PasswordForm(FlaskForm):
    """An admin sets a new password for `user`."""

    password, confirm = password_fields()

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def names_of_account(self):
        return (self.user.username, self.user.display_name)


class TokenForm(FlaskForm):
    owner = SelectField(_l("Owner"), coerce=int)
    name = StringField(_l("What it is for"), validators=[DataRequired(), Length(max=services.MAX_TOKEN_NAME)])

    def __init__(self, users, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [
            SelectChoice(u.id, u.display_name) for u in users if u.active
        ]
