"""Who reaches the administration pages: administrators only, for every module of this package."""

from flask import abort
from flask import request
from flask_login import current_user

from tracker.extensions import db
from tracker.extensions import login_manager
from tracker.models import Role
from tracker.services import access
from tracker.web.admin import bp


@bp.before_request
def administrators_only():
    """Visitors log in first; any other role gets the logged 404 of a page that does not exist, as for cases."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.ADMIN:
        access.log_refused_access(
            db.session, current_user, request.path, remote_addr=request.remote_addr,
            detail="administration page asked for by a non-administrator",
        )
        db.session.commit()
        abort(404)
    return None
