"""Rule sets: the versions of the deadline limits, and a new version with its effective date."""

from datetime import timedelta

from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from tracker.extensions import db
from tracker.models import NonWorkingDayReceipt
from tracker.models import utcnow
from tracker.services import rule_sets
from tracker.services.rule_sets import LIMIT_FIELDS
from tracker.services.rule_sets import MAX_LIMIT_DAYS
from tracker.services.rule_sets import RuleSetError
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm
from tracker.working_days import local_date

#: How each way of counting a receipt on a non-working day reads.
RECEIPT_LABELS = {
    NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ONE: _l("The next working day is day 1"),
    NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ZERO: _l("Counting starts on the next working day, as day 0"),
}

#: Labels of the limits, in LIMIT_FIELDS order.
LIMIT_LABELS = {
    "acceptance_working_days": _l("Decide to accept or refuse (working days)"),
    "enterprise_response_working_days": _l("Enterprise answers (working days)"),
    "mediation_working_days": _l("Mediation (working days)"),
    "mediation_notice_working_days": _l("Tell the parties mediation ended (working days)"),
    "objection_days": _l("Object to a report (calendar days)"),
    "reopen_window_days": _l("Reopen after closure (calendar days)"),
}

#: Status of a version as the page names it.
STATUS_LABELS = {
    "in_force": _l("in force"),
    "future": _l("takes effect later"),
    "superseded": _l("superseded"),
}

#: Why a version was refused -> (message, HTTP status).
REFUSALS = {
    "not_admin": (_l("Only an administrator creates rule sets."), 403),
    "not_in_future": (
        _l("A new version takes effect tomorrow at the earliest, so it applies to every case filed from its date."),
        422,
    ),
    "bad_limit": (_l("Every limit must be a whole number of days from 1 to %(max)d.", max=MAX_LIMIT_DAYS), 422),
    "bad_receipt_rule": (_l("Choose how a case received on a non-working day is counted."), 422),
    "code_taken": (_l("Another version already has this code."), 409),
    "date_taken": (_l("Another version already takes effect on this date."), 409),
}


def _limit_field(name: str) -> IntegerField:
    return IntegerField(
        LIMIT_LABELS[name],
        validators=[InputRequired(), NumberRange(min=1, max=MAX_LIMIT_DAYS)],
        render_kw={"min": 1, "max": MAX_LIMIT_DAYS, "inputmode": "numeric"},
    )


class RuleSetForm(PostedForm):
    """A new version of the limits."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Version name"), validators=[DataRequired(), Length(max=200)])
    effective_from = DateField(_l("In force from"), validators=[InputRequired()])
    acceptance_working_days = _limit_field("acceptance_working_days")
    enterprise_response_working_days = _limit_field("enterprise_response_working_days")
    mediation_working_days = _limit_field("mediation_working_days")
    mediation_notice_working_days = _limit_field("mediation_notice_working_days")
    objection_days = _limit_field("objection_days")
    reopen_window_days = _limit_field("reopen_window_days")
    non_working_day_receipt = SelectField(
        _l("A case received on a non-working day"),
        choices=[SelectChoice(str(value), label) for value, label in RECEIPT_LABELS.items()],
        validators=[InputRequired()],
    )
    source = TextAreaField(_l("Source (the rules these limits come from)"), validators=[Optional(), Length(max=2000)])


def _new_version_form() -> RuleSetForm:
    """A form that starts from the newest version's figures, effective tomorrow."""
    newest = rule_sets.defaults_for_new_version(db.session)
    form = RuleSetForm(formdata=None)
    form.effective_from.data = local_date(utcnow()) + timedelta(days=1)
    if newest is not None:
        for name in LIMIT_FIELDS:
            getattr(form, name).data = getattr(newest, name)
        form.non_working_day_receipt.data = newest.non_working_day_receipt
    return form


def _render(form: RuleSetForm, status: int = 200):
    versions = rule_sets.rule_set_versions(db.session, today=local_date(utcnow()))
    return render_template(
        "admin/rule_sets.html", form=form, versions=versions, limit_fields=LIMIT_FIELDS,
        limit_labels=LIMIT_LABELS, status_labels=STATUS_LABELS, receipt_labels=RECEIPT_LABELS,
    ), status


@bp.get("/rule-sets")
def rule_set_list():
    """Every version with its status and cases, and the form for a new one."""
    return _render(_new_version_form())


@bp.post("/rule-sets")
def create_rule_set():
    """Add a version; cases already filed keep the version they were filed under."""
    form = RuleSetForm()
    if not form.validate():
        return _render(form, 422)
    try:
        created = rule_sets.create_rule_set_version(
            db.session, current_user, code=form.code.data, name=form.name.data,
            effective_from=form.effective_from.data,
            limits={name: getattr(form, name).data for name in LIMIT_FIELDS},
            non_working_day_receipt=form.non_working_day_receipt.data, source=form.source.data, now=utcnow(),
        )
    except RuleSetError as refused:
        db.session.rollback()
        message, status = REFUSALS[refused.code]
        form.form_errors.append(str(message))
        return _render(form, status)
    db.session.commit()
    flash(_("Rule set %(code)s saved: it applies to cases filed from %(day)s.", code=created.code,
            day=created.effective_from.isoformat()), "success")
    return redirect(url_for("admin.rule_set_list"))
