"""The enterprise's answer to a case: outcome, explanation, files, a settlement offer, a public response."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateField
from wtforms import DecimalField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from tracker.services.answers import ANSWER_OUTCOMES
from tracker.services.answers import MAX_ANSWER_TEXT
from tracker.services.answers import AnswerData
from tracker.web.form_input import PostedForm

TOO_LONG = _l("Please write at most %(max)d characters.")


def _strip(value: object) -> object:
    """Trim typed text, so that a field of spaces counts as empty."""
    return value.strip() if isinstance(value, str) else value


class AnswerForm(PostedForm):
    """One answer; the settlement part is optional and, when filled in, goes to the consumer to accept or refuse."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("", _l("Choose…")), *(SelectChoice(code, label) for code, label in ANSWER_OUTCOMES.items())
        ],
        validators=[DataRequired(message=_l("Choose the outcome of your answer."))],
    )
    explanation = TextAreaField(
        _l("Your explanation to the consumer"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Explain your answer.")), Length(max=MAX_ANSWER_TEXT, message=TOO_LONG)],
    )
    files = MultipleFileField(_l("Documents or photos (JPEG, PNG, WebP or PDF)"))
    settlement_terms = TextAreaField(
        _l("What you propose (optional)"), filters=[_strip],
        validators=[Optional(), Length(max=MAX_ANSWER_TEXT, message=TOO_LONG)],
    )
    settlement_amount = DecimalField(
        _l("Amount in yuan (optional)"), places=2,
        validators=[Optional(), NumberRange(min=0, max=99_999_999, message=_l("Enter an amount of 0 or more."))],
    )
    settlement_due_on = DateField(_l("Carried out by (date)"), validators=[Optional()])
    public_response = TextAreaField(
        _l("Public response (optional, for the public complaint register)"), filters=[_strip],
        validators=[Optional(), Length(max=MAX_ANSWER_TEXT, message=TOO_LONG)],
    )
    submit = SubmitField(_l("Send the answer"))

    def chosen_files(self) -> list:
        """The files actually chosen (a browser sends an empty part when none is)."""
        return [storage for storage in self.files.data or [] if storage and storage.filename]

    def answer_data(self) -> AnswerData:
        """What the service needs, from the validated fields."""
        return AnswerData(
            outcome=self.outcome.data,
            explanation=self.explanation.data or "",
            public_response=self.public_response.data or None,
            settlement_terms=self.settlement_terms.data or None,
            settlement_amount=self.settlement_amount.data,
            settlement_due_on=self.settlement_due_on.data,
        )
