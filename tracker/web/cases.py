"""The case page and the workflow actions posted from it."""

from flask import Blueprint
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
from tracker.models import User
from tracker.services import access
from tracker.services import cases
from tracker.web.forms import GUARD_FIELDS
from tracker.web.forms import ActionForm
from tracker.web.forms import fields_for
from tracker.web.presentation import state_label
from tracker.workflow import GuardFailed
from tracker.workflow import allowed_actions

bp = Blueprint("cases", __name__, url_prefix="/cases")


def get_case_or_404(number: str, viewer: User) -> Case:
    """The case if the viewer may see it; otherwise log the attempt and answer exactly as for a missing case."""
    case = cases.find_case_by_number(db.session, number)
    if case is None or not access.can_view_case(case, viewer):
        access.log_refused_access(
            db.session,
            viewer,
            request.path,
            remote_addr=request.remote_addr,
            detail="no such case" if case is None else "case not visible to this user",
        )
        db.session.commit()
        abort(404)
    return case


def _errors_outside(form: ActionForm, shown_fields: list[str]) -> list[str]:
    """Errors that no shown field can display next to itself (form-level ones and those of hidden fields)."""
    return [error for name, errors in form.errors.items() if name not in shown_fields for error in errors]


def render_case_page(
    case: Case, failed_trigger: str | None = None, failed_form: ActionForm | None = None, status: int = 200
):
    """Render the case with one small form per allowed action; a refused action keeps what the user typed."""
    action_forms = []
    for action in allowed_actions(case, current_user):
        if action.trigger == failed_trigger and failed_form is not None:
            form = failed_form
        else:
            form = ActionForm(formdata=None, version=case.version)
        fields = fields_for(action.needs)
        action_forms.append(
            {"action": action, "form": form, "fields": fields, "other_errors": _errors_outside(form, fields)}
        )
    unplaced_errors = []
    if failed_form is not None and failed_trigger not in {entry["action"].trigger for entry in action_forms}:
        unplaced_errors = _errors_outside(failed_form, [])
    return (
        render_template(
            "cases/show.html",
            case=case,
            action_forms=action_forms,
            unplaced_errors=unplaced_errors,
            events=access.visible_events(db.session, case, current_user),
            staff_view=access.is_staff_viewer(current_user),
        ),
        status,
    )


@bp.get("/<number>")
@login_required
def show(number: str):
    """The case page: facts, deadlines, panel, the actions this user may take, and the timeline."""
    case = get_case_or_404(number, current_user)
    return render_case_page(case)


@bp.post("/<number>/actions/<trigger>")
@login_required
def take_action(number: str, trigger: str):
    """Fire one workflow action; the workflow decides, this view only translates its answer into HTTP."""
    case = get_case_or_404(number, current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_case_page(case, trigger, form, status=422)
    try:
        new_state = cases.advance_case(
            case, trigger, current_user, expected_version=form.version.data, **form.action_data()
        )
    except GuardFailed as failure:
        db.session.rollback()
        field_name = GUARD_FIELDS.get(failure.guard)
        if field_name is not None:
            form[field_name].errors = [*form[field_name].errors, failure.message]
        else:
            form.form_errors.append(failure.message)
        return render_case_page(case, trigger, form, status=422)
    db.session.commit()
    flash(_("Done. The case is now: %(state)s.", state=state_label(case.kind, new_state)), "success")
    return redirect(url_for("cases.show", number=case.number))
