"""On the shared case page: each party confirms the commission (委托书); labels for its partial."""

from flask import flash
from flask import redirect
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from wtforms import IntegerField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from tracker.extensions import db
from tracker.models import Role
from tracker.models import utcnow
from tracker.privacy import mask_name
from tracker.services import commissions
from tracker.services import inspections
from tracker.services.commissions import CommissionError
from tracker.web.cases import bp
from tracker.web.cases import get_case_or_404
from tracker.web.cases import render_case_page
from tracker.web.form_input import PostedForm
from tracker.web.officer.forms_commissions import BASIS_LABELS
from tracker.web.officer.forms_commissions import CUSTODY_LABELS
from tracker.web.officer.forms_commissions import PAYER_LABELS

#: Why a confirmation was refused -> (message, HTTP status).
CONFIRMATION_REFUSALS = {
    "not_party": (_l("Only the applicant or the enterprise confirms the commission."), 403),
    "nothing_to_confirm": (_l("There is no commission waiting for confirmation."), 409),
    "changed": (_l("The commission was changed since you opened the page. Read it again, then confirm."), 409),
    "already_confirmed": (_l("You have already confirmed this commission."), 409),
}


class ConfirmCommissionForm(PostedForm):
    """A party's confirmation names the revision of the commission the page showed."""

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


@bp.post("/<case_number:number>/commission/confirm")
@login_required
def confirm_commission(number: str):
    """The applicant or the enterprise agrees to the commission as shown; work starts once both have."""
    case = get_case_or_404(number, current_user)
    form = ConfirmCommissionForm()
    if not form.validate_on_submit():
        flash(_("Please reload the page and try again."), "danger")
        return render_case_page(case, status=422)
    try:
        commissions.confirm_commission(db.session, case, current_user, revision=form.revision.data, now=utcnow())
    except CommissionError as error:
        db.session.rollback()
        message, status = CONFIRMATION_REFUSALS.get(error.code, CONFIRMATION_REFUSALS["not_party"])
        flash(str(message), "danger")
        return render_case_page(case, status=status)
    db.session.commit()
    flash(_("Thank you. You have confirmed the commission."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="commission"))


@bp.app_template_global()
def commission_confirmation_due(case) -> bool:
    """Whether the signed-in user should confirm this case's commission now."""
    return commissions.confirmation_due(case, current_user)


@bp.app_template_global()
def may_keep_inspection_records(case) -> bool:
    """Officers keep the commission and inspection records of arbitration inspections and appraisals."""
    return current_user.is_authenticated and current_user.role == Role.OFFICER and (
        case.kind in commissions.COMMISSIONED_KINDS)


@bp.app_template_global()
def objection_window_ends_on(case):
    """The last day to object to the current report."""
    return inspections.objection_window_ends_on(case)


@bp.app_template_global()
def commission_label(code: str | None) -> object:
    """The translated name of a commission's basis, payer or custody step."""
    return {**BASIS_LABELS, **PAYER_LABELS, **CUSTODY_LABELS}.get(code, code or "")


@bp.app_template_global()
def custody_step_label(step: str) -> object:
    """The translated name of a custody step."""
    return CUSTODY_LABELS.get(step, step)


@bp.app_template_global()
def commission_applicant_name(case) -> str:
    """The applicant as the commission names them; masked for experts, and for an enterprise without consent."""
    name = case.commission.applicant_name if case.commission else ""
    if current_user.role == Role.EXPERT or (current_user.role == Role.ENTERPRISE and not case.consent_forward_contact):
        return mask_name(name)
    return name


@bp.app_template_global()
def may_do_inspection_work(case) -> bool:
    """Staff of the body carrying out the current round log custody and upload its report."""
    return current_user.is_authenticated and inspections.works_on_current_round(case, current_user)
