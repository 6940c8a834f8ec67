"""Forms of mediation on the case page: scheduling a session, its minutes, and the consumer's follow-up request."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from tracker.models import User
from tracker.services.mediation import SESSION_OUTCOMES
from tracker.web.form_input import PostedForm
from tracker.web.forms import TOO_LONG_MESSAGE
from tracker.working_days import LOCAL_TIMEZONE

SESSION_MODE_LABELS = {
    "on_site": _l("On site"),
    "remote": _l("Remote (video call)"),
}

SESSION_OUTCOME_LABELS = {
    "agreement_reached": _l("Agreement reached"),
    "progress": _l("Progress, another session needed"),
    "no_agreement": _l("No agreement"),
    "postponed": _l("Postponed"),
    "party_absent": _l("A party was absent"),
}

FOLLOW_UP_LABELS = {
    "arbitration": _l("Ask for an arbitration inspection"),
    "appraisal": _l("Ask for a quality appraisal"),
}


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ScheduleSessionForm(PostedForm):
    """A mediation session: when (Beijing time), on site or remote, who mediates, who takes part."""

    starts_at = DateTimeLocalField(
        _l("Date and time (Beijing time)"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter the date and time of the session."))],
    )
    mode = SelectField(_l("Where"), choices=[SelectChoice(code, label) for code, label in SESSION_MODE_LABELS.items()],
                       default="on_site",
                       validators=[AnyOf(list(SESSION_MODE_LABELS))])
    place = StringField(_l("Place (on site)"), filters=[_strip],
                        validators=[Optional(), Length(max=300, message=TOO_LONG_MESSAGE)])
    link = StringField(_l("Meeting link (remote)"), filters=[_strip],
                       validators=[Optional(), Length(max=500, message=TOO_LONG_MESSAGE)])
    mediator_id = SelectField(_l("Mediator"), coerce=int, validate_choice=False,
                              validators=[InputRequired(message=_l("Choose the mediator."))])
    participants = TextAreaField(
        _l("Participants"), filters=[_strip],
        validators=[DataRequired(message=_l("Name who takes part.")), Length(max=2000, message=TOO_LONG_MESSAGE)],
    )

    def offer_mediators(self, mediators: list[User]) -> "ScheduleSessionForm":
        """The officers who can mediate, as the mediator's choices."""
        self.mediator_id.choices = [SelectChoice(user.id, user.display_name) for user in mediators]
        return self

    def starts_at_utc(self) -> datetime:
        """The typed Beijing time as an aware UTC-comparable moment."""
        return self.starts_at.data.replace(tzinfo=LOCAL_TIMEZONE)


class MinutesForm(PostedForm):
    """What was said at a session, and what it came to."""

    minutes = TextAreaField(
        _l("Minutes"), filters=[_strip],
        validators=[DataRequired(message=_l("Write the minutes.")), Length(max=10000, message=TOO_LONG_MESSAGE)],
    )
    outcome = SelectField(_l("Outcome of the session"),
                          choices=[SelectChoice(code, label) for code, label in SESSION_OUTCOME_LABELS.items()],
                          validators=[AnyOf(list(SESSION_OUTCOMES))])


class FollowUpForm(PostedForm):
    """The consumer turns a failed mediation into an arbitration inspection or appraisal request."""

    kind = StringField(validators=[AnyOf(list(FOLLOW_UP_LABELS))])
