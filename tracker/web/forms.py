"""One form class per screen; the workflow's guards stay the judge of what an action needs."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField
from wtforms import DateField
from wtforms import DecimalField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import StopValidation
from wtforms.widgets import HiddenInput

from tracker.services.conversation import MAX_MESSAGE_LENGTH
from tracker.web.form_input import PostedForm
from tracker.workflow.guards import APPEAL_DECISIONS
from tracker.workflow.guards import REFUSAL_CODES
from tracker.workflow.guards import SETTLEMENT_OUTCOMES
from tracker.workflow.guards import TERMINATION_GROUNDS

#: The data guards of the transition tables and the action-form field that satisfies each.
GUARD_FIELDS = {
    "reason_given": "reason",
    "refusal_code_valid": "refusal_code",
    "settlement_outcome_valid": "outcome",
    "appeal_decision_valid": "decision",
    "explanation_given": "explanation",
    "missing_items_given": "missing_items",
    "reply_date_valid": "reply_by",
    "termination_ground_valid": "termination_ground",
    "agreement_terms_given": "terms",
}

#: Fields shown after a guard's own field because its data comes with them (an agreement's amount and date).
GUARD_EXTRA_FIELDS = {
    "agreement_terms_given": ("amount", "perform_by"),
}

#: Fields of the action form that become the action's data when filled in.
ACTION_DATA_FIELDS = (*GUARD_FIELDS.values(), *(name for names in GUARD_EXTRA_FIELDS.values() for name in names))

#: Interface languages and how each is named in its own language.
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


#: The length message every free-text field of the case page shares.
TOO_LONG_MESSAGE = _l("Please write at most %(max)d characters.")

#: Longest case number and access code a visitor can sensibly type (with spaces and dashes).
MAX_CASE_NUMBER_LENGTH = 30
MAX_ACCESS_CODE_LENGTH = 30


def _strip(value: object) -> object:
    """Trim typed text, so that a field of spaces counts as empty."""
    return value.strip() if isinstance(value, str) else value


def _choices(labels: dict) -> list[SelectChoice]:
    """A select's options: an empty prompt first, so that nobody agrees to a value by accident."""
    return [SelectChoice("", _l("Choose…")), *(SelectChoice(code, label) for code, label in labels.items())]


def _finite_amount(form, field) -> None:
    """An amount is a number: NaN and infinities stop here, before any comparison chokes on them."""
    if field.data is not None and not field.data.is_finite():
        field.errors[:] = []
        raise StopValidation(_l("Enter an amount of 0 or more."))


def fields_for(needs: tuple[str, ...]) -> list[str]:
    """The form fields an action's data guards ask for, in the table's order."""
    return [
        name
        for guard in needs if guard in GUARD_FIELDS
        for name in (GUARD_FIELDS[guard], *GUARD_EXTRA_FIELDS.get(guard, ()))
    ]


class LoginForm(PostedForm):
    """The login screen."""

    email = EmailField(_l("E-mail"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ActionForm(PostedForm):
    """One workflow action on the case page; only the fields the action needs are shown and sent."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    refusal_code = SelectField(_l("Ground for refusal"), choices=_choices(REFUSAL_CODES), validators=[Optional()])
    outcome = SelectField(
        _l("What the settlement gives the consumer"), choices=_choices(SETTLEMENT_OUTCOMES), validators=[Optional()]
    )
    decision = SelectField(_l("Decision"), choices=_choices(APPEAL_DECISIONS), validators=[Optional()])
    explanation = TextAreaField(_l("Explanation for the applicant"), validators=[Optional(), Length(max=2000)])
    missing_items = TextAreaField(
        _l("What the applicant must send (one item per line)"), validators=[Optional(), Length(max=2000)]
    )
    reply_by = DateField(_l("Reply by"), validators=[Optional()])
    termination_ground = SelectField(
        _l("Ground for ending mediation"), choices=_choices(TERMINATION_GROUNDS), validators=[Optional()]
    )
    terms = TextAreaField(_l("Agreed terms"), validators=[Optional(), Length(max=5000)])
    amount = DecimalField(
        _l("Amount agreed (yuan, optional)"), places=2,
        validators=[Optional(), _finite_amount,
                    NumberRange(min=0, max=9999999999, message=_l("Enter an amount of 0 or more."))],
    )
    perform_by = DateField(_l("To be carried out by"), validators=[Optional()])

    def action_data(self) -> dict[str, object]:
        """The values the user filled in, trimmed; empty fields are left for the guards to refuse."""
        data = {}
        for name in ACTION_DATA_FIELDS:
            value = self[name].data
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                data[name] = value
        return data


class MessageForm(PostedForm):
    """A message on the case page; staff may mark it as an internal note."""

    body = TextAreaField(
        _l("Your message"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please write a message.")),
            Length(max=MAX_MESSAGE_LENGTH, message=TOO_LONG_MESSAGE),
        ],
    )
    internal = BooleanField(_l("Internal note: only staff will see it"))
    submit = SubmitField(_l("Send message"))


class SupplementForm(PostedForm):
    """The applicant's answer to a request for information: a message, files, or both."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    message = TextAreaField(
        _l("Your answer"),
        filters=[_strip],
        validators=[Length(max=MAX_MESSAGE_LENGTH, message=TOO_LONG_MESSAGE)],
    )
    files = MultipleFileField(_l("Documents or photos (JPEG, PNG, WebP or PDF)"))
    submit = SubmitField(_l("Send the information"))

    def chosen_files(self) -> list:
        """The files actually chosen (a browser sends an empty part when none is)."""
        return [storage for storage in self.files.data or [] if storage and storage.filename]

    def validate_message(self, field) -> None:
        """An answer needs some content: text, a file, or both."""
        if not field.data and not self.chosen_files():
            raise ValidationError(_l("Write an answer or attach at least one file."))


class ConfirmEnterpriseForm(PostedForm):
    """An officer confirms the enterprise a consumer entered, correcting its credit code if needed."""

    credit_code = StringField(
        _l("Unified social credit code"),
        filters=[_strip],
        validators=[Optional(), Length(min=18, max=18, message=_l("The code has 18 characters."))],
    )


class RatingForm(PostedForm):
    """The applicant's rating of a closed case: 1 to 5 stars and an optional comment."""

    score = IntegerField(
        _l("Your rating"),
        validators=[
            InputRequired(message=_l("Choose a rating from 1 to 5 stars.")),
            NumberRange(min=1, max=5, message=_l("Choose a rating from 1 to 5 stars.")),
        ],
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=MAX_MESSAGE_LENGTH, message=TOO_LONG_MESSAGE)],
    )
    submit = SubmitField(_l("Send rating"))


class ReopenRequestForm(PostedForm):
    """The applicant's request to reopen a closed case, with the reason an officer will weigh."""

    reason = TextAreaField(
        _l("Why should the case be reopened?"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please say why the case should be reopened.")),
            Length(max=MAX_MESSAGE_LENGTH, message=TOO_LONG_MESSAGE),
        ],
    )
    submit = SubmitField(_l("Ask to reopen"))


class TrackForm(PostedForm):
    """Public tracking: the case number and the access code given at filing."""

    number = StringField(
        _l("Case number"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the case number.")),
            Length(max=MAX_CASE_NUMBER_LENGTH, message=TOO_LONG_MESSAGE),
        ],
    )
    access_code = StringField(
        _l("Access code"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the access code.")),
            Length(max=MAX_ACCESS_CODE_LENGTH, message=TOO_LONG_MESSAGE),
        ],
    )
    submit = SubmitField(_l("Track the case"))


class LanguageForm(PostedForm):
    """The language switch in the navigation bar."""

    lang = HiddenField(validators=[InputRequired(), AnyOf(list(LANGUAGE_NAMES))])
    next = HiddenField()
