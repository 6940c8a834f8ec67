"""One form class per screen; the workflow's guards stay the judge of what an action needs."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.validators import AnyOf
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from tracker.workflow.guards import APPEAL_DECISIONS
from tracker.workflow.guards import REFUSAL_CODES
from tracker.workflow.guards import SETTLEMENT_OUTCOMES

#: The data guards of the transition tables and the action-form field that satisfies each.
GUARD_FIELDS = {
    "reason_given": "reason",
    "refusal_code_valid": "refusal_code",
    "settlement_outcome_valid": "outcome",
    "appeal_decision_valid": "decision",
    "report_due_date_agreed": "report_due_on",
    "report_reference_given": "report_reference",
    "sample_reference_given": "sample_reference",
}

#: Fields of the action form that become the action's data when filled in.
ACTION_DATA_FIELDS = tuple(GUARD_FIELDS.values())

#: Interface languages and how each is named in its own language.
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def _choices(labels: dict) -> list[SelectChoice]:
    """A select's options: an empty prompt first, so that nobody agrees to a value by accident."""
    return [SelectChoice("", _l("Choose…")), *(SelectChoice(code, label) for code, label in labels.items())]


def fields_for(needs: tuple[str, ...]) -> list[str]:
    """The form fields an action's data guards ask for, in the table's order."""
    return [GUARD_FIELDS[guard] for guard in needs if guard in GUARD_FIELDS]


class LoginForm(FlaskForm):
    """The login screen."""

    email = EmailField(_l("E-mail"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ActionForm(FlaskForm):
    """One workflow action on the case page; only the fields the action needs are shown and sent."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    refusal_code = SelectField(_l("Ground for refusal"), choices=_choices(REFUSAL_CODES), validators=[Optional()])
    outcome = SelectField(
        _l("What the settlement gives the consumer"), choices=_choices(SETTLEMENT_OUTCOMES), validators=[Optional()]
    )
    decision = SelectField(_l("Decision"), choices=_choices(APPEAL_DECISIONS), validators=[Optional()])
    report_due_on = DateField(_l("Report due on (as agreed in the commission)"), validators=[Optional()])
    report_reference = StringField(_l("Report reference number"), validators=[Optional(), Length(max=100)])
    sample_reference = StringField(_l("Sealed sample reference"), validators=[Optional(), Length(max=100)])

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


class LanguageForm(FlaskForm):
    """The language switch in the navigation bar."""

    lang = HiddenField(validators=[InputRequired(), AnyOf(list(LANGUAGE_NAMES))])
    next = HiddenField()
