"""The officer's pages for arbitration inspection and appraisal: the commission, the body, samples, reports, fees."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required

from tracker.evidence import EvidenceRejected
from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import Case
from tracker.models import InspectionBody
from tracker.models import Role
from tracker.models import SamplingRecord
from tracker.models import utcnow
from tracker.services import access
from tracker.services import commissions
from tracker.services import inspections
from tracker.services.attachments import QuotaExceeded
from tracker.services.commissions import CommissionError
from tracker.services.inspections import InspectionError
from tracker.web.cases import get_case_or_404
from tracker.web.evidence import upload_refusal
from tracker.web.officer import bp
from tracker.web.officer.forms_commissions import AssignBodyForm
from tracker.web.officer.forms_commissions import CommissionForm
from tracker.web.officer.forms_commissions import CustodyForm
from tracker.web.officer.forms_commissions import FeeForm
from tracker.web.officer.forms_commissions import ReportForm
from tracker.web.officer.forms_commissions import SamplingForm
from tracker.web.officer.forms_commissions import ServiceForm
from tracker.web.presentation import format_date
from tracker.web.uploads import evidence_policy
from tracker.web.uploads import upload_root
from tracker.workflow import WorkflowError
from tracker.workflow.guards import current_round
from tracker.working_days import local_date

#: Why a commission or an inspection record was refused -> (message, HTTP status).
REFUSALS = {
    "not_officer": (_l("Only a case officer can do this."), 403),
    "not_allowed": (_l("You cannot do this on this case."), 403),
    "no_commission": (_l("This kind of case has no commission."), 409),
    "work_started": (_l("The work has started: the commission can no longer be changed."), 409),
    "invalid": (_l("Please check the values entered."), 422),
    "not_arbitration": (_l("Only an arbitration inspection is assigned to an inspection body."), 409),
    "no_open_round": (_l("No round is waiting for an inspection body."), 409),
    "no_such_body": (_l("Choose one of the listed inspection bodies."), 422),
    "body_reused": (_l("This body carried out an earlier round; choose a different one."), 409),
    "not_sampling": (_l("Samples cannot be recorded at this step."), 409),
    "future_date": (_l("This date is in the future."), 422),
    "no_such_sampling": (_l("No such sampling record on this case."), 404),
    "custody_order": (_l("This step cannot follow the last one in the custody log."), 409),
    "custody_time": (_l("The time must lie between the last entry and now."), 422),
    "not_report_step": (_l("A report cannot be uploaded at this step."), 409),
    "already_issued": (_l("This round's report has already been issued."), 409),
    "not_pdf": (_l("The report must be a PDF document."), 422),
    "no_such_round": (_l("No such round on this case."), 404),
    "not_served_step": (_l("The service date is recorded while the objection period runs."), 409),
    "service_date": (_l("The service date lies between the issue date and today."), 422),
}


def _officer_case(number: str) -> Case:
    """The case, if the viewer is a case officer and the case works under a commission; else a logged 404."""
    case = get_case_or_404(number, current_user)
    if current_user.role != Role.OFFICER or case.kind not in commissions.COMMISSIONED_KINDS:
        access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr,
                                  detail="inspection records are for case officers")
        db.session.commit()
        abort(404)
    return case


def _refusal(error: CommissionError | InspectionError | WorkflowError) -> tuple[str, int]:
    """The translated message and status of a refusal by a service or the workflow."""
    if isinstance(error, WorkflowError):
        return error.message, error.status_code
    message, status = REFUSALS.get(error.code, REFUSALS["invalid"])
    return str(message), status


def _commission_form(case: Case) -> CommissionForm:
    """The form, filled from the commission or, for a first draft, from the case."""
    if case.commission is not None:
        return CommissionForm(formdata=None, obj=case.commission)
    return CommissionForm(
        formdata=None, product_name=case.product_name, product_model=case.product_model,
        batch=case.product_batch, production_date=case.production_date,
        maker=case.enterprise.name if case.enterprise else None,
        applicant_name=case.applicant.display_name if case.applicant else case.contact_name,
        test_items=case.questions,
    )


@bp.route("/cases/<case_number:number>/commission", methods=["GET", "POST"])
@login_required
def commission(number: str):
    """Draft or change the commission; a change voids the parties' confirmations."""
    case = _officer_case(number)
    form = CommissionForm() if request.method == "POST" else _commission_form(case)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                commissions.save_commission(db.session, case, current_user, form.terms(), now=utcnow())
            except CommissionError as error:
                db.session.rollback()
                message, status = _refusal(error)
                form.form_errors.append(message)
            else:
                db.session.commit()
                flash(_("The commission is saved. Both parties must now confirm it on their case page."), "success")
                return redirect(url_for("cases.show", number=case.number, _anchor="commission"))
        else:
            status = 422
    return render_template("officer/commission.html", case=case, form=form,
                           editable=case.state in commissions.EDITABLE_STATES), status


def _render_inspection(case: Case, status: int = 200, **forms):
    """The inspection records page with a fresh form for every action, or the refused one with its errors."""
    today = local_date(utcnow())
    body_form = forms.get("body_form") or AssignBodyForm(formdata=None)
    body_form.body_id.choices = [("", _("Choose…"))] + [
        (str(body.id), body.name) for body in inspections.active_bodies(db.session)
    ]
    report_round = current_round(case)
    return render_template(
        "officer/inspection.html",
        case=case,
        report_round=report_round,
        body_form=body_form,
        sampling_form=forms.get("sampling_form") or SamplingForm(formdata=None, sampled_on=today),
        custody_form=forms.get("custody_form"),
        report_form=forms.get("report_form") or ReportForm(formdata=None),
        fee_form=forms.get("fee_form"),
        service_form=forms.get("service_form") or ServiceForm(
            formdata=None, served_on=report_round.served_on if report_round else None),
        may_record_service=case.state == "objection_window",
        may_assign_body=(case.kind == "arbitration" and report_round is not None and report_round.issued_on is None),
        may_sample=case.state in inspections.SAMPLING_STATES.get(case.kind, ()),
        may_upload_report=(case.state in inspections.REPORT_STATES.get(case.kind, ())
                           and report_round is not None and report_round.issued_on is None),
        new_custody_form=lambda sampling: CustodyForm(formdata=None, sampling_id=sampling.id),
        new_fee_form=lambda rnd: FeeForm(formdata=None, round_number=rnd.number, amount=rnd.fee_amount,
                                         paid_by=rnd.fee_paid_by, paid_on=rnd.fee_paid_on),
    ), status


def _refused(case: Case, error, form_name: str, form):
    """Take back the half-done work and show the page again with the refusal at the form."""
    db.session.rollback()
    message, status = _refusal(error)
    form.form_errors.append(message)
    return _render_inspection(case, status, **{form_name: form})


def log_custody_from(case: Case, form: CustodyForm) -> SamplingRecord | None:
    """Log the custody step the form describes, on the sample it names (InspectionError if refused)."""
    sampling_id = form.sampling_id.data
    sampling = db.session.get(SamplingRecord, sampling_id) if 0 < sampling_id <= MAX_ROW_ID else None
    inspections.log_custody(db.session, case, current_user, sampling, step=form.step.data,
                            handled_by=form.handled_by.data, occurred_at=form.occurred_at_utc(), now=utcnow())
    return sampling


def store_report_from(case: Case, form: ReportForm) -> int | None:
    """Store the round's report from the form; a file the evidence checks refuse is rolled back, its message put
    at the file field, and its status returned (InspectionError if the round cannot take a report)."""
    storage = form.report_file.data
    try:
        inspections.upload_report(db.session, case, current_user, storage.stream, storage.filename,
                                  reference=form.reference.data, root=upload_root(), policy=evidence_policy(),
                                  now=utcnow())
    except (EvidenceRejected, QuotaExceeded) as error:
        db.session.rollback()
        message, status = upload_refusal(error, storage.filename)
        form.report_file.errors = [message]
        return status
    return None


@bp.get("/cases/<case_number:number>/inspection")
@login_required
def inspection(number: str):
    """Samples and their custody, the inspection body, the report and the fees of each round."""
    return _render_inspection(_officer_case(number))


@bp.post("/cases/<case_number:number>/inspection/body")
@login_required
def assign_body(number: str):
    """Name the inspection body of the current round."""
    case = _officer_case(number)
    form = AssignBodyForm()
    form.body_id.choices = [(str(body.id), body.name) for body in inspections.active_bodies(db.session)]
    if not form.validate_on_submit():
        return _render_inspection(case, 422, body_form=form)
    try:
        inspections.assign_body(db.session, case, current_user, db.session.get(InspectionBody, int(form.body_id.data)),
                                now=utcnow())
    except InspectionError as error:
        return _refused(case, error, "body_form", form)
    db.session.commit()
    flash(_("The inspection body is assigned."), "success")
    return redirect(url_for("officer.inspection", number=case.number))


@bp.post("/cases/<case_number:number>/inspection/sampling")
@login_required
def record_sampling(number: str):
    """Record the sealed samples; an arbitration inspection moves on to testing."""
    case = _officer_case(number)
    form = SamplingForm()
    if not form.validate_on_submit():
        return _render_inspection(case, 422, sampling_form=form)
    try:
        inspections.record_sampling(db.session, case, current_user, form.details(), now=utcnow())
    except (InspectionError, WorkflowError) as error:
        return _refused(case, error, "sampling_form", form)
    db.session.commit()
    flash(_("The sampling is recorded."), "success")
    return redirect(url_for("officer.inspection", number=case.number))


@bp.post("/cases/<case_number:number>/inspection/custody")
@login_required
def log_custody(number: str):
    """Add one hand-over of the samples to their custody log."""
    case = _officer_case(number)
    form = CustodyForm()
    if not form.validate_on_submit():
        return _render_inspection(case, 422, custody_form=form)
    try:
        sampling = log_custody_from(case, form)
    except InspectionError as error:
        return _refused(case, error, "custody_form", form)
    db.session.commit()
    flash(_("The custody log is updated."), "success")
    return redirect(url_for("officer.inspection", number=case.number, _anchor=f"sampling-{sampling.id}"))


@bp.post("/cases/<case_number:number>/inspection/report")
@login_required
def upload_report(number: str):
    """Attach the round's report as a PDF; issuing it is the next action on the case page."""
    case = _officer_case(number)
    form = ReportForm()
    if not form.validate_on_submit():
        return _render_inspection(case, 422, report_form=form)
    try:
        refused_status = store_report_from(case, form)
    except InspectionError as error:
        return _refused(case, error, "report_form", form)
    if refused_status is not None:
        return _render_inspection(case, refused_status, report_form=form)
    db.session.commit()
    flash(_("The report is uploaded. Issue it on the case page to serve it on both parties."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="rounds"))


@bp.post("/cases/<case_number:number>/inspection/fee")
@login_required
def record_fee(number: str):
    """Record what a round cost, who paid and when."""
    case = _officer_case(number)
    form = FeeForm()
    if not form.validate_on_submit():
        return _render_inspection(case, 422, fee_form=form)
    report_round = next((r for r in case.report_rounds if r.number == form.round_number.data), None)
    try:
        inspections.record_fee(db.session, case, current_user, report_round, amount=form.amount.data,
                               paid_by=form.paid_by.data, paid_on=form.paid_on.data, now=utcnow())
    except InspectionError as error:
        return _refused(case, error, "fee_form", form)
    db.session.commit()
    flash(_("The fee is recorded."), "success")
    return redirect(url_for("officer.inspection", number=case.number, _anchor="fees"))


@bp.post("/cases/<case_number:number>/inspection/service")
@login_required
def record_service(number: str):
    """Record the day the report reached both parties; the objection period counts from it."""
    case = _officer_case(number)
    form = ServiceForm()
    if not form.validate_on_submit():
        return _render_inspection(case, 422, service_form=form)
    try:
        inspections.record_service(db.session, case, current_user, form.served_on.data, now=utcnow())
    except InspectionError as error:
        return _refused(case, error, "service_form", form)
    db.session.commit()
    flash(_("The service date is recorded; objections are heard until %(date)s.",
            date=format_date(inspections.objection_window_ends_on(case))), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="rounds"))
