"""Forms of the commission and the inspection records: one class per form on the officer's pages."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField
from wtforms import DateTimeLocalField
from wtforms import DecimalField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from tracker.models import utcnow
from tracker.services.commissions import CommissionTerms
from tracker.services.inspections import SamplingDetails
from tracker.web.form_input import PostedForm
from tracker.working_days import LOCAL_TIMEZONE
from tracker.working_days import local_date

BASIS_LABELS = {
    "standard": _l("A national or industry standard"),
    "agreed_quality": _l("The quality the parties agreed"),
}
PAYER_LABELS = {
    "applicant": _l("The applicant"),
    "enterprise": _l("The enterprise"),
    "shared": _l("Both parties, in equal shares"),
}
CUSTODY_LABELS = {
    "received": _l("Received by the laboratory"),
    "stored": _l("Stored"),
    "tested": _l("Tested"),
    "returned": _l("Returned"),
    "disposed": _l("Disposed of"),
}
REQUIRED = _l("This field is required.")
#: Terms a commission may leave open.
OPTIONAL_TERMS = ("product_model", "product_grade", "batch", "production_date")


def _strip(value: object) -> object:
    """Trim typed text, so that a field of spaces counts as empty."""
    return value.strip() if isinstance(value, str) else value


def _choices(labels: dict) -> list[SelectChoice]:
    """A select's options with an empty prompt first, so that nobody agrees to a value by accident."""
    return [SelectChoice("", _l("Choose…")), *(SelectChoice(code, label) for code, label in labels.items())]


def _text(label, max_length: int, required: bool = True) -> StringField:
    validators = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return StringField(label, filters=[_strip], validators=[*validators, Length(max=max_length)])


def _long_text(label) -> TextAreaField:
    return TextAreaField(label, filters=[_strip], validators=[DataRequired(message=REQUIRED), Length(max=4000)])


def _not_in_future(form, field) -> None:
    """A record is of something that has happened."""
    if field.data is not None and field.data > local_date(utcnow()):
        raise ValidationError(_l("This date is in the future."))


class CommissionForm(PostedForm):
    """The commission (委托书) as the officer drafts it."""

    product_name = _text(_l("Product name"), 200)
    product_model = _text(_l("Model"), 100, required=False)
    product_grade = _text(_l("Grade"), 100, required=False)
    maker = _text(_l("Maker"), 200)
    production_date = DateField(_l("Production date"), validators=[Optional(), _not_in_future])
    batch = _text(_l("Batch"), 100, required=False)
    applicant_name = _text(_l("Applicant (who commissions the work)"), 200)
    basis_kind = SelectField(_l("Basis for judging"), choices=_choices(BASIS_LABELS),
                             validators=[DataRequired(message=REQUIRED)])
    basis_text = _long_text(_l("The standard, or the agreed quality"))
    test_items = _long_text(_l("Test items or questions"))
    sampling_method = _long_text(_l("Sampling method"))
    report_due_on = DateField(_l("Report due on"), validators=[InputRequired(message=REQUIRED)])
    fee_amount = DecimalField(_l("Fee (yuan)"), places=2, validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=10_000_000)])
    fee_payer = SelectField(_l("Who pays the fee"), choices=_choices(PAYER_LABELS),
                            validators=[DataRequired(message=REQUIRED)])
    fee_due_on = DateField(_l("Fee payable by"), validators=[InputRequired(message=REQUIRED)])

    def validate_report_due_on(self, field) -> None:
        """The report date must still lie ahead, or the work could never be on time."""
        if field.data is not None and field.data <= local_date(utcnow()):
            raise ValidationError(_l("The report date must be after today."))

    def terms(self) -> CommissionTerms:
        """The validated terms for the service; optional fields left empty become None."""
        values = {name: self[name].data for name in CommissionTerms.__dataclass_fields__}
        for name in OPTIONAL_TERMS:
            values[name] = values[name] or None
        return CommissionTerms(**values)


class AssignBodyForm(PostedForm):
    """Name the inspection body of the current round."""

    body_id = SelectField(_l("Inspection body"), coerce=str, validators=[DataRequired(message=REQUIRED)])


class SamplingForm(PostedForm):
    """The sampling record."""

    sampled_on = DateField(_l("Sampled on"), validators=[InputRequired(message=REQUIRED), _not_in_future])
    place = _text(_l("Place"), 200)
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=10000)])
    seal_numbers = _text(_l("Seal numbers"), 300)
    present = TextAreaField(_l("Who was present"), filters=[_strip],
                            validators=[DataRequired(message=REQUIRED), Length(max=1000)])

    def details(self) -> SamplingDetails:
        """The validated record for the service."""
        return SamplingDetails(self.sampled_on.data, self.place.data, self.quantity.data, self.seal_numbers.data,
                               self.present.data)


class CustodyForm(PostedForm):
    """One hand-over of the samples."""

    sampling_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    step = SelectField(_l("What happened to the samples"), choices=_choices(CUSTODY_LABELS),
                       validators=[DataRequired(message=REQUIRED)])
    handled_by = _text(_l("Handled by"), 100)
    occurred_at = DateTimeLocalField(_l("When (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(message=REQUIRED)])

    def occurred_at_utc(self) -> datetime:
        """The typed local time as an aware moment."""
        return self.occurred_at.data.replace(tzinfo=LOCAL_TIMEZONE)


class ReportForm(PostedForm):
    """The round's report, as a PDF."""

    reference = _text(_l("Report reference number"), 100)
    report_file = FileField(_l("Report (PDF)"))

    def validate_report_file(self, field) -> None:
        """A report needs its file."""
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose the report's PDF file."))


class FeeForm(PostedForm):
    """What a round cost, who paid it and when."""

    round_number = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    amount = DecimalField(_l("Amount paid (yuan)"), places=2, validators=[
        InputRequired(message=REQUIRED), NumberRange(min=0, max=10_000_000)])
    paid_by = SelectField(_l("Paid by"), choices=_choices(PAYER_LABELS), validators=[DataRequired(message=REQUIRED)])
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(message=REQUIRED), _not_in_future])


class ServiceForm(PostedForm):
    """The day the report reached both parties."""

    served_on = DateField(_l("Served on both parties on"), validators=[InputRequired(message=REQUIRED), _not_in_future])
