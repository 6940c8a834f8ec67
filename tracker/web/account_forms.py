"""Forms of the account pages: registration, password change, claiming a case filed without an account."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from tracker.passwords import MAX_LENGTH
from tracker.passwords import MIN_LENGTH
from tracker.passwords import password_problems
from tracker.web.filing_forms import PHONE_MESSAGE
from tracker.web.filing_forms import PHONE_PATTERN
from tracker.web.filing_forms import strip_text
from tracker.web.form_input import PostedForm

#: What is wrong with a new password (tracker.passwords codes), as the person choosing it reads it.
PASSWORD_PROBLEM_MESSAGES = {
    "too_short": _l("Use at least %(min)d characters.", min=MIN_LENGTH),
    "too_long": _l("Use at most %(max)d characters.", max=MAX_LENGTH),
    "common": _l(
        "This password is one of the most common ones and easy to guess. Choose another: "
        "a few unrelated words are easy to remember and hard to guess."
    ),
    "contains_email": _l("Do not use your e-mail address in your password."),
}

PASSWORD_HINT = _l(
    "At least %(min)d characters. Long passphrases are welcome; no special characters are required.", min=MIN_LENGTH
)


def password_messages(problems: list[str]) -> list[str]:
    """The messages of the password rules a new password breaks."""
    return [str(PASSWORD_PROBLEM_MESSAGES.get(problem, problem)) for problem in problems]


def new_password_field(label) -> PasswordField:
    """A new password: the rules are the accounts service's, the form only asks that something is typed."""
    return PasswordField(label, validators=[InputRequired(message=_l("Choose a password."))])


def confirmation_field(label) -> PasswordField:
    """The new password typed a second time."""
    return PasswordField(
        label,
        validators=[
            InputRequired(message=_l("Type the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class RegisterForm(PostedForm):
    """A consumer account: e-mail, a name, an optional mobile number and a password."""

    email = EmailField(
        _l("E-mail"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    display_name = StringField(
        _l("Your name"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=100)],
    )
    mobile = StringField(
        _l("Mobile number (optional)"),
        filters=[strip_text],
        validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE), Length(max=40)],
    )
    password = new_password_field(_l("Password"))
    confirm = confirmation_field(_l("The password again"))
    submit = SubmitField(_l("Create the account"))

    def validate_password(self, field: PasswordField) -> None:
        """Say what is wrong with the password together with the other fields' errors, not one round later."""
        problems = password_problems(field.data, email=self.email.data)
        if problems:
            raise ValidationError(" ".join(password_messages(problems)))


class PasswordChangeForm(PostedForm):
    """A new password, after proving the current one."""

    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(message=_l("Enter your current password."))]
    )
    password = new_password_field(_l("New password"))
    confirm = confirmation_field(_l("The new password again"))
    submit = SubmitField(_l("Change the password"))


class ClaimForm(PostedForm):
    """The case number and access code of a case filed without an account."""

    number = StringField(
        _l("Case number"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Enter the case number.")), Length(max=20)],
    )
    access_code = StringField(
        _l("Access code"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Enter the access code.")), Length(max=40)],
    )
    submit = SubmitField(_l("Add the case to my account"))
