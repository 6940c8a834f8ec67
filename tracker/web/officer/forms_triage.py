"""Forms an officer uses while screening a case: link it to another, merge it into its original."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.widgets import HiddenInput

from tracker.web.form_input import PostedForm
from tracker.web.forms import MAX_CASE_NUMBER_LENGTH
from tracker.web.forms import TOO_LONG_MESSAGE


def _strip(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


class LinkCaseForm(PostedForm):
    """Link this case to a related one by its number."""

    number = StringField(
        _l("Number of the related case"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter the case number.")),
                    Length(max=MAX_CASE_NUMBER_LENGTH, message=TOO_LONG_MESSAGE)],
    )


class MergeForm(PostedForm):
    """Close this case as a duplicate of the original named by its number."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    number = StringField(
        _l("Number of the original case"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter the case number.")),
                    Length(max=MAX_CASE_NUMBER_LENGTH, message=TOO_LONG_MESSAGE)],
    )
