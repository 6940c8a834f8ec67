"""The queue page's filter (a GET form) and the bulk assignment form."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms import Form
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from tracker.models import MAX_ROW_ID
from tracker.services.queues import SORTS
from tracker.web.form_input import PostedForm

ROW_ID = NumberRange(min=1, max=MAX_ROW_ID)


class QueueFilterForm(Form):
    """Filters, sort and cursor of a queue, read from the query string."""

    kind = SelectField(_l("Kind"), validators=[Optional()], validate_choice=True)
    state = SelectField(_l("State"), validators=[Optional()], validate_choice=True)
    enterprise = IntegerField(_l("Enterprise"), validators=[Optional(), ROW_ID])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=64)])
    officer = IntegerField(_l("Officer"), validators=[Optional(), ROW_ID])
    filed_from = DateField(_l("Filed from"), validators=[Optional()])
    filed_to = DateField(_l("Filed until"), validators=[Optional()])
    sort = SelectField(
        _l("Sort by"), choices=[SelectChoice(code, label) for code, label in SORTS.items()], default="due",
        validators=[Optional()],
    )
    after = HiddenField(validators=[Optional(), Length(max=200)])

    def validate_filed_to(self, field) -> None:
        """A range that ends before it starts is a mistake worth saying."""
        if field.data and self.filed_from.data and field.data < self.filed_from.data:
            raise ValidationError(_l("The end of the filing-date range is before its start."))


class BulkAssignForm(PostedForm):
    """Assign the ticked cases to one officer, with a reason."""

    case_ids = SelectMultipleField(_l("Cases"), coerce=int, validate_choice=False,
                                   validators=[DataRequired(_l("Tick at least one case."))])
    officer_id = SelectField(_l("Assign to"), coerce=int, validate_choice=True)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=1000)])
    return_to = HiddenField()

    def validate_case_ids(self, field) -> None:
        """Ids outside the database's range cannot name a case."""
        if any(not 1 <= case_id <= MAX_ROW_ID for case_id in field.data or []):
            raise ValidationError(_l("Tick at least one case."))


class TakeCaseForm(PostedForm):
    """The "take this case" button: only its CSRF token and where to go back to."""

    return_to = HiddenField()
