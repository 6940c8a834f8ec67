"""Forms of invitations: inviting someone (administrators, enterprise users) and accepting a link."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import ValidationError

from tracker.passwords import password_problems
from tracker.web.account_forms import confirmation_field
from tracker.web.account_forms import new_password_field
from tracker.web.account_forms import password_messages
from tracker.web.filing_forms import strip_text
from tracker.web.form_input import PostedForm


def email_field() -> EmailField:
    """The address the invitation goes to."""
    return EmailField(
        _l("E-mail"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Enter the e-mail address.")),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )


class ColleagueInviteForm(PostedForm):
    """An enterprise user invites a colleague of the same enterprise."""

    email = email_field()
    submit = SubmitField(_l("Send the invitation"))


class AdminInviteForm(PostedForm):
    """An administrator invites staff, an expert or an enterprise's user (the enterprise chosen from the list)."""

    email = email_field()
    role = SelectField(_l("Role"), validators=[DataRequired(message=_l("Choose a role."))])
    enterprise_id = SelectField(_l("Enterprise (for enterprise users)"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Send the invitation"))


class AcceptInvitationForm(PostedForm):
    """The invited person's name and password."""

    display_name = StringField(
        _l("Your name"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=100)],
    )
    password = new_password_field(_l("Password"))
    confirm = confirmation_field(_l("The password again"))
    submit = SubmitField(_l("Open my account"))

    def __init__(self, *args, invited_email: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email

    def validate_password(self, field) -> None:
        """The password rules of every account (tracker.passwords), shown with the other fields' errors."""
        problems = password_problems(field.data, email=self.invited_email)
        if problems:
            raise ValidationError(" ".join(password_messages(problems)))
