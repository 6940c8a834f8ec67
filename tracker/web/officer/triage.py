"""Screening a case from its page: link it to a related case, or close it as a duplicate of the original."""

from flask import abort
from flask import flash
from flask import redirect
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required

from tracker.extensions import db
from tracker.models import Role
from tracker.services import triage
from tracker.web.cases import get_case_or_404
from tracker.web.cases import render_case_page
from tracker.web.officer import bp
from tracker.web.officer.forms_triage import LinkCaseForm
from tracker.web.officer.forms_triage import MergeForm
from tracker.workflow import GuardFailed
from tracker.workflow import WorkflowError

#: Why a link or merge was refused -> (message, HTTP status).
TRIAGE_REFUSALS = {
    "not_officer": (_l("Only a case officer can do this."), 403),
    "no_such_case": (_l("There is no case with this number."), 422),
    "same_case": (_l("Choose another case than this one."), 422),
    "already_linked": (_l("These cases are already linked."), 409),
    "original_closed": (_l("The original case is closed; merge into a case that is still open."), 409),
    "other_kind": (_l("A duplicate can only be merged into a case of the same kind."), 422),
}


def _officer_case(number: str):
    """The case, for an officer only (others get the same 404 as for a case they may not see)."""
    case = get_case_or_404(number, current_user)
    if current_user.role != Role.OFFICER:
        abort(403)
    return case


def _refused(case, form, form_name: str, code: str):
    db.session.rollback()
    message, status = TRIAGE_REFUSALS[code]
    form.number.errors = [*form.number.errors, message]
    return render_case_page(case, status=status, officer_forms={form_name: form})


@bp.post("/cases/<case_number:number>/links")
@login_required
def link_case(number: str):
    """Link this case to a related one; both pages list the link."""
    case = _officer_case(number)
    form = LinkCaseForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, officer_forms={"link_form": form})
    try:
        other = triage.link_cases(db.session, case, form.number.data, current_user)
    except triage.TriageError as refusal:
        return _refused(case, form, "link_form", refusal.code)
    db.session.commit()
    flash(_("Case %(number)s is now linked to this case.", number=other.number), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="linked-cases"))


@bp.post("/cases/<case_number:number>/merge")
@login_required
def merge_case(number: str):
    """Close this case as a duplicate of its original; the original's page shows its evidence and messages."""
    case = _officer_case(number)
    form = MergeForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, officer_forms={"merge_form": form})
    try:
        original = triage.merge_duplicate(db.session, case, form.number.data, current_user,
                                          expected_version=form.version.data)
    except triage.TriageError as refusal:
        return _refused(case, form, "merge_form", refusal.code)
    except WorkflowError as error:
        db.session.rollback()
        form.form_errors.append(error.message if isinstance(error, GuardFailed) else _(
            "This case can no longer be merged. Reload the page to see what changed."))
        return render_case_page(case, status=error.status_code, officer_forms={"merge_form": form})
    db.session.commit()
    flash(_("The case was closed as a duplicate of %(number)s.", number=original.number), "success")
    return redirect(url_for("cases.show", number=original.number, _anchor="merged-duplicates"))
