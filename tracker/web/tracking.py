"""Public tracking of a case by its number and access code, without signing in."""

from datetime import timedelta

from flask import Blueprint
from flask import make_response
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.deadlines import next_open_deadline
from tracker.extensions import db
from tracker.models import Case
from tracker.models import Role
from tracker.models import utcnow
from tracker.services import access
from tracker.services import expectations
from tracker.services import filing
from tracker.services.throttle import Throttled
from tracker.web.forms import TrackForm
from tracker.web.presentation import local_time
from tracker.working_days import local_date

bp = Blueprint("tracking", __name__)

def _private(response):
    """A tracking answer is for the person who typed the code: no shared cache may keep it."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _render_form(form: TrackForm, status: int = 200, error: str | None = None, headers: dict | None = None):
    """The tracking form, empty or with an explanation of why the last attempt failed."""
    form.access_code.data = ""
    page = render_template("tracking/form.html", form=form, error=error)
    return _private(make_response(page, status, headers or {}))


def _render_case(case: Case):
    """State, kind, filing date, next step and the public timeline: nothing personal, no free text.

    A signed-in consumer is offered the way into their account: the case page if it is theirs already, or
    claiming it if it was filed without an account.
    """
    signed_in_consumer = current_user.is_authenticated and current_user.role == Role.CONSUMER
    page = render_template(
        "tracking/result.html",
        case=case,
        filed_on=local_date(case.filed_at),
        expectation=expectations.expectation_for(case, None),
        next_deadline=next_open_deadline(case),
        events=access.public_events(db.session, case),
        own_case=signed_in_consumer and case.applicant_id == current_user.id,
        offer_claim=signed_in_consumer and case.applicant_id is None,
    )
    return _private(make_response(page, 200))


@bp.get("/track")
def track_form():
    """Ask for the case number and the access code."""
    return _render_form(TrackForm(formdata=None))


@bp.post("/track")
def track():
    """Show the case whose number and code match; count failures and throttle guessing."""
    form = TrackForm()
    if not form.validate_on_submit():
        return _render_form(form, status=422)
    try:
        case = filing.find_by_access_code(
            db.session, form.number.data, form.access_code.data, remote_addr=request.remote_addr
        )
    except Throttled as throttled:
        db.session.rollback()
        retry_at = local_time(utcnow() + timedelta(seconds=throttled.retry_after))
        message = _("Too many attempts with wrong codes. Please try again after %(time)s.", time=retry_at)
        return _render_form(form, status=429, error=message, headers={"Retry-After": str(throttled.retry_after)})
    db.session.commit()
    if case is None:
        return _render_form(form, error=_("No case matches this number and access code."))
    return _render_case(case)
