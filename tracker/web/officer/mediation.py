"""Mediation from the case page: scheduling sessions and recording their minutes (agreement and ending are actions)."""

from flask import abort
from flask import flash
from flask import redirect
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import MediationSession
from tracker.models import Role
from tracker.models import User
from tracker.services import mediation
from tracker.web.cases import get_case_or_404
from tracker.web.cases import render_case_page
from tracker.web.officer import bp
from tracker.web.officer.forms_mediation import MinutesForm
from tracker.web.officer.forms_mediation import ScheduleSessionForm

#: Why the mediation service refused -> (field or None for the whole form, message, HTTP status).
MEDIATION_REFUSALS = {
    "not_officer": (None, _l("Only a case officer can do this."), 403),
    "not_in_mediation": (None, _l("Sessions are scheduled only while the complaint is in mediation."), 409),
    "mode": ("mode", _l("Choose on site or remote."), 422),
    "place": ("place", _l("Enter the place of the session."), 422),
    "link": ("link", _l("Enter the meeting link of the remote session (https://…)."), 422),
    "mediator": ("mediator_id", _l("Choose the mediator."), 422),
    "participants": ("participants", _l("Name who takes part."), 422),
    "past": ("starts_at", _l("Choose a time in the future."), 422),
    "outcome": ("outcome", _l("Choose the outcome of the session."), 422),
    "minutes": ("minutes", _l("Write the minutes."), 422),
    "not_held": (None, _l("Minutes can be recorded once the session has taken place."), 409),
}


def _officer_case(number: str):
    """The case, for an officer only."""
    case = get_case_or_404(number, current_user)
    if current_user.role != Role.OFFICER:
        abort(403)
    return case


def _refused(case, form, form_name: str, code: str):
    db.session.rollback()
    field_name, message, status = MEDIATION_REFUSALS[code]
    if field_name is None:
        form.form_errors.append(message)
    else:
        form[field_name].errors = [*form[field_name].errors, message]
    return render_case_page(case, status=status, officer_forms={form_name: form})


@bp.post("/cases/<case_number:number>/mediation-sessions")
@login_required
def schedule_session(number: str):
    """Put a session in the diary; the parties see when and where on their case page."""
    case = _officer_case(number)
    form = ScheduleSessionForm().offer_mediators(mediation.mediators(db.session))
    if not form.validate_on_submit():
        return render_case_page(case, status=422, officer_forms={"schedule_form": form})
    mediator_id = form.mediator_id.data
    plan = mediation.SessionPlan(
        starts_at=form.starts_at_utc(), mode=form.mode.data,
        mediator=db.session.get(User, mediator_id) if 0 < mediator_id <= MAX_ROW_ID else None,
        participants=form.participants.data, place=form.place.data, link=form.link.data,
    )
    try:
        mediation.schedule_session(db.session, case, current_user, plan)
    except mediation.MediationError as refusal:
        return _refused(case, form, "schedule_form", refusal.code)
    db.session.commit()
    flash(_("The mediation session is scheduled."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="mediation"))


@bp.post(f"/cases/<case_number:number>/mediation-sessions/<int(max={MAX_ROW_ID}):session_id>/minutes")
@login_required
def record_minutes(number: str, session_id: int):
    """Keep the minutes and outcome of a session that took place."""
    case = _officer_case(number)
    meeting = db.session.get(MediationSession, session_id)
    if meeting is None or meeting.case_id != case.id:
        abort(404)
    form = MinutesForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422,
                                officer_forms={"minutes_form": form, "minutes_session_id": session_id})
    try:
        mediation.record_minutes(db.session, meeting, current_user, form.minutes.data, form.outcome.data)
    except mediation.MediationError as refusal:
        return _refused(case, form, "minutes_form", refusal.code)
    db.session.commit()
    flash(_("The minutes are recorded."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="mediation"))
