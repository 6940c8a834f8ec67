"""An inspection body's staff: the cases their body inspects, the samples' custody and the round's report."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from tracker.extensions import db
from tracker.models import Case
from tracker.models import Role
from tracker.services import access
from tracker.services import inspections
from tracker.services.inspections import InspectionError
from tracker.web.cases import get_case_or_404
from tracker.web.expert import bp
from tracker.web.officer.commissions import REFUSALS
from tracker.web.officer.commissions import log_custody_from
from tracker.web.officer.commissions import store_report_from
from tracker.web.officer.forms_commissions import CustodyForm
from tracker.web.officer.forms_commissions import ReportForm
from tracker.workflow.guards import current_round


def _refuse_and_log(detail: str) -> None:
    """Answer as for a page that does not exist, and keep a trace of the attempt."""
    access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr, detail=detail)
    db.session.commit()
    abort(404)


def _require_body_staff() -> None:
    if current_user.role != Role.EXPERT or current_user.inspection_body_id is None:
        _refuse_and_log("inspection work is for an inspection body's staff")


def _round_case(number: str) -> Case:
    """A case whose current round the viewer's body carries out."""
    _require_body_staff()
    case = get_case_or_404(number, current_user)
    if not inspections.works_on_current_round(case, current_user):
        _refuse_and_log("not this body's current round")
    return case


def _render(case: Case, status: int = 200, *, custody_form=None, report_form=None):
    """The work page: the samples with their custody log, and the round's report."""
    report_round = current_round(case)
    return render_template(
        "expert/inspection.html",
        case=case,
        report_round=report_round,
        custody_form=custody_form,
        new_custody_form=lambda sampling: CustodyForm(formdata=None, sampling_id=sampling.id),
        report_form=report_form or ReportForm(formdata=None),
        may_upload_report=(case.state in inspections.REPORT_STATES.get(case.kind, ())
                           and report_round.issued_on is None),
    ), status


def _refused(case: Case, error: InspectionError, form_name: str, form):
    db.session.rollback()
    message, status = REFUSALS.get(error.code, REFUSALS["invalid"])
    form.form_errors.append(str(message))
    return _render(case, status, **{form_name: form})


@bp.get("/inspections")
@login_required
def inspections_inbox():
    """The cases the viewer's inspection body works on."""
    _require_body_staff()
    return render_template("expert/inspections.html", cases=inspections.body_cases(db.session, current_user),
                           works_on_current_round=inspections.works_on_current_round)


@bp.get("/cases/<case_number:number>/inspection")
@login_required
def inspection_work(number: str):
    """Samples, custody and the report of the round this body carries out."""
    return _render(_round_case(number))


@bp.post("/cases/<case_number:number>/inspection/custody")
@login_required
def log_custody(number: str):
    """Add one hand-over of the samples to their custody log."""
    case = _round_case(number)
    form = CustodyForm()
    if not form.validate_on_submit():
        return _render(case, 422, custody_form=form)
    try:
        log_custody_from(case, form)
    except InspectionError as error:
        return _refused(case, error, "custody_form", form)
    db.session.commit()
    flash(_("The custody log is updated."), "success")
    return redirect(url_for("expert.inspection_work", number=case.number))


@bp.post("/cases/<case_number:number>/inspection/report")
@login_required
def upload_report(number: str):
    """Attach the round's report as a PDF; the case officer issues it."""
    case = _round_case(number)
    form = ReportForm()
    if not form.validate_on_submit():
        return _render(case, 422, report_form=form)
    try:
        refused_status = store_report_from(case, form)
    except InspectionError as error:
        return _refused(case, error, "report_form", form)
    if refused_status is not None:
        return _render(case, refused_status, report_form=form)
    db.session.commit()
    flash(_("The report is uploaded. The case officer will issue it to both parties."), "success")
    return redirect(url_for("expert.inspection_work", number=case.number))
