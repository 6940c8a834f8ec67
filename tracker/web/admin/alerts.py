"""Alerts: open ones to act on, resolved ones with who resolved them and how."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import Alert
from tracker.models import utcnow
from tracker.services import alerts
from tracker.services.alerts import MAX_NOTE_LENGTH
from tracker.services.alerts import AlertError
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

ALERTS_PER_PAGE = 50
MAX_PAGE = MAX_ROW_ID // ALERTS_PER_PAGE + 1

#: Why resolving was refused -> (message, HTTP status).
REFUSALS = {
    "not_admin": (_l("Only an administrator resolves alerts."), 403),
    "note_missing": (_l("Say what was done about it."), 422),
    "note_too_long": (_l("Please write at most %(max)d characters.", max=MAX_NOTE_LENGTH), 422),
    "already_resolved": (_l("This alert was already resolved."), 409),
}


class ResolveForm(PostedForm):
    """What was done about an alert."""

    note = TextAreaField(
        _l("What was done"),
        validators=[DataRequired(message=_l("Say what was done about it.")), Length(max=MAX_NOTE_LENGTH)],
    )


def _render(show_resolved: bool, failed_id: int | None = None, failed_form: ResolveForm | None = None,
            status: int = 200):
    if request.args.get("page", 1, type=int) > MAX_PAGE:
        abort(404)
    page = db.paginate(alerts.alert_query(resolved=show_resolved), per_page=ALERTS_PER_PAGE)
    forms = {
        alert.id: failed_form if alert.id == failed_id and failed_form is not None else ResolveForm(formdata=None)
        for alert in page.items
    }
    return render_template("admin/alerts.html", page=page, forms=forms, show_resolved=show_resolved), status


@bp.get("/alerts")
def alert_list():
    """Open alerts, oldest first; or the resolved ones, newest first."""
    return _render(request.args.get("show") == "resolved")


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve_alert(alert_id: int):
    """Close an alert with a note of what was done."""
    alert = db.session.get(Alert, alert_id) if 0 < alert_id <= MAX_ROW_ID else None
    if alert is None:
        abort(404)
    form = ResolveForm()
    if not form.validate():
        return _render(False, alert_id, form, 422)
    try:
        alerts.resolve_alert(alert, current_user, form.note.data, now=utcnow())
    except AlertError as refused:
        db.session.rollback()
        message, status = REFUSALS[refused.code]
        form.note.errors = [*form.note.errors, str(message)]
        return _render(False, alert_id, form, status)
    db.session.commit()
    flash(_("Alert resolved."), "success")
    return redirect(url_for("admin.alert_list"))
