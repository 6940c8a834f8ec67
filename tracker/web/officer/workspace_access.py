"""Who may use the officer workspace: officers and administrators; anyone else gets the logged 404."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask import request
from flask_login import current_user
from flask_login import login_required

from tracker.extensions import db
from tracker.services import access


def staff_only(view: Callable) -> Callable:
    """Log in first; a signed-in non-staff user is told the page does not exist, and the attempt is logged."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not access.is_staff_viewer(current_user):
            access.log_refused_access(
                db.session, current_user, request.path, remote_addr=request.remote_addr,
                detail="officer workspace is for staff",
            )
            db.session.commit()
            abort(404)
        return view(*args, **kwargs)

    return wrapper
