"""The guided filing form: one class per kind of case on a shared base, and the draft's values in and out of it."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField
from wtforms import DateField
from wtforms import DecimalField
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import TaxonomyTerm
from tracker.models import utcnow
from tracker.services.cases import CREDIT_CODE_PATTERN
from tracker.services.filing import MAX_REPRESENTATIVES
from tracker.services.filing import STANDINGS
from tracker.services.filing import Upload
from tracker.web.form_input import PostedForm
from tracker.web.form_input import PostedInput
from tracker.working_days import local_date

#: A phone number as people write it: digits, spaces, dashes, brackets, an optional leading plus.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{4,24}$")
#: Largest amount the case's Numeric(12, 2) column holds.
MAX_AMOUNT = Decimal("9999999999.99")
NARRATIVE_MIN_CHARS = 10
NARRATIVE_MAX_CHARS = 5000
#: What the file inputs offer; the server checks the content whatever the browser says.
EVIDENCE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"

#: Who may ask for an arbitration inspection or an appraisal, as the applicant reads it.
STANDING_LABELS = {
    "party": _l("A party to the dispute"),
    "court": _l("A court"),
    "arbitration_body": _l("An arbitration body"),
    "mediator": _l("A mediation organisation"),
}

#: The order fields appear in on the form, the error summary and the review page.
FIELD_ORDER = (
    "enterprise_mode", "enterprise_query", "enterprise_id", "enterprise_name", "enterprise_credit_code",
    "enterprise_address", "applicant_standing", "appealed_decision", "product_name", "product_model",
    "product_batch", "production_date", "purchase_date", "purchase_place", "amount_paid", "mark_code", "category",
    "issue", "narrative", "questions", "remedy_sought", "representatives", "evidence", "contact_name",
    "contact_email", "contact_phone", "consent_privacy", "consent_forward_contact", "consent_publish",
)
#: Fields that only steer the form (buttons, the search box, files) and are never kept as filing data.
_CONTROL_FIELDS = frozenset({"csrf_token", "action", "remove_file", "enterprise_query", "evidence", "representatives"})
#: Fields whose unparsable text is kept as typed, so the consumer can correct it.
_TEXT_KEPT_WHEN_INVALID = ("DateField", "DecimalField")


def strip_text(value: Any) -> Any:
    """Leading and trailing spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


def upper_text(value: Any) -> Any:
    """Credit codes are written in capitals, without spaces."""
    return value.upper().replace(" ", "") if isinstance(value, str) else value


def today_in_china() -> date:
    """Dates the consumer types are days in China."""
    return local_date(utcnow())


def check_amount(form: Form, field: DecimalField) -> None:
    """Money in yuan: not negative, at most two decimals, and no more than the case can hold."""
    if field.data is None:
        return
    if not field.data.is_finite():
        raise ValidationError(_l("Enter the amount as a number, e.g. 199.50."))
    if field.data < 0:
        raise ValidationError(_l("The amount cannot be negative."))
    if field.data.as_tuple().exponent < -2:
        raise ValidationError(_l("Give the amount in yuan with at most two decimals, e.g. 199.50."))
    if field.data > MAX_AMOUNT:
        raise ValidationError(_l("This amount is too large."))


def check_credit_code(form: Form, field: StringField) -> None:
    """A credit code, when given, has the 18 characters of GB 32100."""
    if field.data and not CREDIT_CODE_PATTERN.match(field.data):
        raise ValidationError(
            _l("A unified social credit code has 18 characters: digits and capital letters except I, O, S, V and Z.")
        )


#: The one message for a phone number that is not one.
PHONE_MESSAGE = _l("Enter a phone number with digits only (spaces, dashes and a leading + are fine).")


class RepresentativeForm(Form):
    """One of at most two people acting for the applicant, with the signed power of attorney."""

    Meta = PostedInput

    name = StringField(_l("Name"), filters=[strip_text], validators=[Length(max=100)])
    phone = StringField(
        _l("Phone"), filters=[strip_text], validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)]
    )
    power_of_attorney = FileField(_l("Signed power of attorney (photo or PDF)"))

    def has_new_file(self) -> bool:
        """A power of attorney came with this request."""
        return isinstance(self.power_of_attorney.data, FileStorage) and bool(self.power_of_attorney.data.filename)


class FilingForm(PostedForm):
    """What every kind of case asks: the enterprise, the product, what happened, representatives, consents, files."""

    action = HiddenField()
    remove_file = IntegerField(validators=[Optional()])

    enterprise_mode = RadioField(
        _l("How to name the enterprise"),
        choices=[
            SelectChoice("existing", _l("Find it in our register")),
            SelectChoice("new", _l("It is not listed: enter its details")),
        ],
        default="existing",
    )
    enterprise_query = StringField(
        _l("Enterprise name or credit code"), filters=[strip_text], validators=[Length(max=100)]
    )
    enterprise_id = IntegerField(_l("Enterprise"), validators=[Optional()])
    enterprise_name = StringField(_l("Enterprise name"), filters=[strip_text], validators=[Length(max=200)])
    enterprise_credit_code = StringField(
        _l("Unified social credit code (if you know it)"),
        filters=[strip_text, upper_text],
        validators=[check_credit_code],
    )
    enterprise_address = StringField(
        _l("Enterprise address (if you know it)"), filters=[strip_text], validators=[Length(max=300)]
    )

    product_name = StringField(
        _l("Product name"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Enter the product's name.")), Length(max=200)],
    )
    product_model = StringField(_l("Model"), filters=[strip_text], validators=[Length(max=100)])
    product_batch = StringField(_l("Batch or lot number"), filters=[strip_text], validators=[Length(max=100)])
    production_date = DateField(_l("Production date"), validators=[Optional()])
    purchase_date = DateField(_l("Purchase date"), validators=[Optional()])
    purchase_place = StringField(_l("Where you bought it"), filters=[strip_text], validators=[Length(max=200)])
    amount_paid = DecimalField(
        _l("Amount paid (yuan)"), places=2, rounding=None, validators=[Optional(), check_amount]
    )
    mark_code = StringField(
        _l("Verification mark code on the product (if any)"), filters=[strip_text], validators=[Length(max=64)]
    )
    category = SelectField(
        _l("Product category"), validators=[DataRequired(message=_l("Choose the product category."))]
    )
    issue = SelectField(_l("Kind of problem"), validators=[DataRequired(message=_l("Choose the kind of problem."))])

    narrative = TextAreaField(
        _l("What happened"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Describe what happened.")),
            Length(
                min=NARRATIVE_MIN_CHARS,
                max=NARRATIVE_MAX_CHARS,
                message=_l("Write at least %(min)d and at most %(max)d characters."),
            ),
        ],
    )

    representatives = FieldList(
        FormField(RepresentativeForm), min_entries=MAX_REPRESENTATIVES, max_entries=MAX_REPRESENTATIVES
    )

    contact_name = StringField(
        _l("Your name"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=100)],
    )
    contact_email = StringField(
        _l("E-mail"),
        filters=[strip_text],
        validators=[Optional(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)],
    )
    contact_phone = StringField(
        _l("Mobile or phone number"),
        filters=[strip_text],
        validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)],
    )

    evidence = MultipleFileField(_l("Photos and documents"), render_kw={"accept": EVIDENCE_ACCEPT})

    consent_privacy = BooleanField(
        _l("I have read the privacy notice and agree that my data is used to handle this case."),
        validators=[DataRequired(message=_l("To file the case, agree to the privacy notice."))],
    )
    consent_forward_contact = BooleanField(
        _l("The enterprise may receive my name and contact details to settle this with me.")
    )
    consent_publish = BooleanField(
        _l("My description may be published in the public register without my name or contact details.")
    )

    #: What to write in the narrative, as a hint below it.
    narrative_hint = _l(
        "When and how the problem showed, what you did about it, and what the enterprise answered. "
        "At least %(min)d characters.",
        min=NARRATIVE_MIN_CHARS,
    )

    def validate_purchase_date(self, field: DateField) -> None:
        """A purchase cannot lie in the future."""
        if field.data and field.data > today_in_china():
            raise ValidationError(_l("The purchase date cannot be in the future."))

    def validate_production_date(self, field: DateField) -> None:
        """A product is made before it is sold, and not after today."""
        if not field.data:
            return
        if field.data > today_in_china():
            raise ValidationError(_l("The production date cannot be in the future."))
        if self.purchase_date.data and field.data > self.purchase_date.data:
            raise ValidationError(_l("The production date cannot be after the purchase date."))

    def check(
        self,
        chosen_enterprise: Enterprise | None,
        powers_on_file: list[bool],
        upload_errors: list[tuple[int | None, str]] = (),
    ) -> bool:
        """Validate the fields, then what depends on each other, on the register and on the files kept or refused."""
        self.validate()
        if self.enterprise_mode.data == "existing" and chosen_enterprise is None:
            _add_error(self.enterprise_id, _("Search for the enterprise and choose it, or enter its details."))
        if self.enterprise_mode.data == "new" and not self.enterprise_name.data:
            _add_error(self.enterprise_name, _("Enter the enterprise's name."))
        for index, entry in enumerate(self.representatives.entries):
            representative = entry.form
            has_power = index < len(powers_on_file) and powers_on_file[index]
            if not (representative.name.data or representative.phone.data or has_power):
                continue
            if not representative.name.data:
                _add_error(representative.name, _("Enter the representative's name."))
            if not has_power:
                _add_error(
                    representative.power_of_attorney,
                    _("Attach the power of attorney the applicant signed for this representative."),
                )
        if "contact_name" in self and not (self.contact_email.data or self.contact_phone.data):
            _add_error(self.contact_email, _("Give an e-mail address or a phone number so that we can reach you."))
        for representative, message in upload_errors:
            _add_error(self.evidence if representative is None else self._power_field(representative), message)
        return not self.errors and not self.error_list()

    def _power_field(self, index: int) -> FileField:
        """The power-of-attorney input of representative number index (the evidence input if there is none)."""
        if index < len(self.representatives.entries):
            return self.representatives.entries[index].form.power_of_attorney
        return self.evidence

    def draft_values(self) -> dict[str, Any]:
        """Everything typed, to keep in the draft: parsed values, or the text as typed where it did not parse."""
        values: dict[str, Any] = {}
        for name, field in self._fields.items():
            if name in _CONTROL_FIELDS:
                continue
            if field.process_errors:
                values[name] = " ".join(field.raw_data or []) if field.type in _TEXT_KEPT_WHEN_INVALID else None
            else:
                values[name] = field.data
        if values.get("enterprise_mode") == "new":
            values["enterprise_id"] = None
        values["representatives"] = [
            {"name": entry.form.name.data or "", "phone": entry.form.phone.data or ""}
            for entry in self.representatives.entries
        ]
        return values

    def uploads(self) -> list[Upload]:
        """The files sent with this request: evidence first, then each representative's power of attorney."""
        files = [
            Upload(file.stream, file.filename)
            for file in self.evidence.data or []
            if isinstance(file, FileStorage) and file.filename
        ]
        for index, entry in enumerate(self.representatives.entries):
            if entry.form.has_new_file():
                power = entry.form.power_of_attorney.data
                files.append(Upload(power.stream, power.filename, representative=index))
        return files

    def error_list(self) -> list[tuple[str, str, str]]:
        """(input id, label, message) of every error in page order, for the summary at the top of the form."""
        found = []
        for name in FIELD_ORDER:
            if name not in self:
                continue
            field = self[name]
            if name == "representatives":
                for number, entry in enumerate(field.entries, start=1):
                    for subfield in entry.form:
                        label = _("Representative %(number)d: %(field)s", number=number, field=subfield.label.text)
                        found.extend((subfield.id, label, str(error)) for error in subfield.errors)
            else:
                found.extend((field.id, str(field.label.text), str(error)) for error in field.errors)
        return found


def _add_error(field, message: str) -> None:
    """Add a message to a field after validation (its errors may still be the initial tuple)."""
    field.errors = [*field.errors, message]


class ComplaintForm(FilingForm):
    """A consumer's dispute with an enterprise over a product or service."""

    remedy_sought = TextAreaField(
        _l("What you ask for (repair, replacement, refund, compensation…)"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Say what you ask the enterprise to do.")), Length(max=2000)],
    )


class QualityAppealForm(FilingForm):
    """A challenge to a quality determination: an earlier decision of ours or an inspection result."""

    appealed_decision = TextAreaField(
        _l("The decision or inspection report you appeal against (who issued it, its number and date)"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Name the decision or report you appeal against.")), Length(max=2000)],
    )
    narrative = TextAreaField(
        _l("Why you think the decision is wrong"),
        filters=[strip_text],
        validators=FilingForm.narrative.kwargs["validators"],
    )
    remedy_sought = TextAreaField(
        _l("What you ask us to decide instead (optional)"), filters=[strip_text], validators=[Length(max=2000)]
    )
    narrative_hint = _l(
        "What the decision or report found, and why you think it is wrong: facts it missed, a test done wrongly, "
        "a standard misread. At least %(min)d characters.",
        min=NARRATIVE_MIN_CHARS,
    )


class InspectionRequestForm(FilingForm):
    """What arbitration inspection and appraisal both ask: who is asking, and what must be answered."""

    applicant_standing = RadioField(
        _l("You are asking as"),
        choices=[SelectChoice(code, STANDING_LABELS[code]) for code in STANDINGS],
        validators=[DataRequired(message=_l("Say in which capacity you are asking."))],
    )
    narrative = TextAreaField(
        _l("Background of the dispute"),
        filters=[strip_text],
        validators=FilingForm.narrative.kwargs["validators"],
    )
    narrative_hint = _l(
        "Who the parties are, what the dispute is about, and where it stands (a court case, arbitration or "
        "mediation, with its reference). At least %(min)d characters.",
        min=NARRATIVE_MIN_CHARS,
    )


class ArbitrationForm(InspectionRequestForm):
    """A laboratory test of a disputed product whose report settles the facts."""

    questions = TextAreaField(
        _l("What the inspection must establish (the items to test, the standard or promise to test against)"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Say what the inspection must establish.")), Length(max=5000)],
    )


class AppraisalForm(InspectionRequestForm):
    """An expert panel's investigation of why a product failed or whether it meets its promised quality."""

    questions = TextAreaField(
        _l("The questions the expert panel must answer"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Write the questions the experts must answer.")), Length(max=5000)],
    )


FORMS_BY_KIND: dict[str, type[FilingForm]] = {
    CaseKind.COMPLAINT: ComplaintForm,
    CaseKind.QUALITY_APPEAL: QualityAppealForm,
    CaseKind.ARBITRATION: ArbitrationForm,
    CaseKind.APPRAISAL: AppraisalForm,
}


def _term_choices(terms: list[TaxonomyTerm], locale: str) -> list[SelectChoice]:
    """A select's options from the taxonomy, named in the reader's language, after an empty prompt."""
    named = [SelectChoice(term.code, term.name_zh if locale == "zh" else term.name_en) for term in terms]
    return [SelectChoice("", _("Choose…")), *named]


def build_filing_form(
    kind: str,
    *,
    categories: list[TaxonomyTerm],
    issues: list[TaxonomyTerm],
    locale: str,
    anonymous: bool,
    formdata: MultiDict | None = None,
    csrf: bool = True,
) -> FilingForm:
    """The kind's form, bound to the request (or to a draft's values), with the taxonomy and the contact section."""
    form_class = FORMS_BY_KIND[kind]
    options: dict[str, Any] = {} if formdata is None else {"formdata": formdata}
    if not csrf:
        options["meta"] = {"csrf": False}
    form = form_class(**options)
    form.category.choices = _term_choices(categories, locale)
    form.issue.choices = _term_choices(issues, locale)
    if not anonymous:
        del form.contact_name
        del form.contact_email
        del form.contact_phone
    return form


def form_values(data: dict[str, Any]) -> MultiDict:
    """A draft's values as the browser would post them, so that a stored draft fills and validates like a request."""
    posted = MultiDict()
    for name, value in data.items():
        if name == "representatives":
            for index, entry in enumerate(value or []):
                for key in ("name", "phone"):
                    if entry.get(key):
                        posted.add(f"representatives-{index}-{key}", entry[key])
        elif value is True:
            posted.add(name, "y")
        elif isinstance(value, date):
            posted.add(name, value.isoformat())
        elif value not in (None, False, ""):
            posted.add(name, str(value))
    return posted


def powers_on_file(data: dict[str, Any]) -> list[bool]:
    """Which representatives already have a power of attorney kept in the draft."""
    return [bool(entry.get("power_of_attorney_id")) for entry in data.get("representatives") or []]


def power_owners(data: dict[str, Any]) -> dict[int, int]:
    """Evidence id -> representative number (1 or 2) for the files that are powers of attorney."""
    return {
        entry["power_of_attorney_id"]: number
        for number, entry in enumerate(data.get("representatives") or [], start=1)
        if entry.get("power_of_attorney_id")
    }


class ConfirmForm(PostedForm):
    """A button that changes something (submit the filing, issue a new code): nothing but the CSRF token."""
