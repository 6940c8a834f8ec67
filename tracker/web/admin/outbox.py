"""The outbox: messages that could not be sent, and a retry for each."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import OutboxMessage
from tracker.notifications import MAX_ATTEMPTS
from tracker.services import outbox
from tracker.services.outbox import OutboxError
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

MESSAGES_PER_PAGE = 50
MAX_PAGE = MAX_ROW_ID // MESSAGES_PER_PAGE + 1

#: Why a retry was refused -> (message, HTTP status).
REFUSALS = {
    "not_admin": (_l("Only an administrator retries messages."), 403),
    "already_sent": (_l("This message has been sent in the meantime."), 409),
    "not_failed": (_l("This message has not failed: it is still queued."), 409),
}


class RetryForm(PostedForm):
    """Only the CSRF token: the message is in the URL."""


def _render(error: object | None = None, status: int = 200):
    if request.args.get("page", 1, type=int) > MAX_PAGE:
        abort(404)
    page = db.paginate(outbox.failed_messages_query(), per_page=MESSAGES_PER_PAGE)
    return render_template(
        "admin/outbox.html", page=page, form=RetryForm(formdata=None), max_attempts=MAX_ATTEMPTS, error=error
    ), status


@bp.get("/outbox")
def outbox_list():
    """Unsent messages the sender gave up on or that failed at their last attempt."""
    return _render()


@bp.post("/outbox/<int:message_id>/retry")
def retry_message(message_id: int):
    """Make a failed message eligible for the next send-outbox run."""
    message = db.session.get(OutboxMessage, message_id) if 0 < message_id <= MAX_ROW_ID else None
    if message is None:
        abort(404)
    if not RetryForm().validate():
        abort(400)
    try:
        outbox.retry_message(message, current_user)
    except OutboxError as refused:
        db.session.rollback()
        text, status = REFUSALS[refused.code]
        return _render(text, status)
    db.session.commit()
    flash(_("The message will be sent again on the next run of the sender."), "success")
    return redirect(url_for("admin.outbox_list"))
