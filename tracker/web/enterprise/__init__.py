"""The enterprise's portal: its inbox, answers, record and colleagues, as a tenant that sees only its own cases."""

from flask import Blueprint
from flask import abort
from flask import request
from flask_login import current_user

from tracker.extensions import db
from tracker.extensions import login_manager
from tracker.models import Role
from tracker.services import access

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")


@bp.before_request
def only_enterprise_users():
    """Visitors log in; anyone but a user of an enterprise gets the logged 404 of a page that is not theirs."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.ENTERPRISE or current_user.enterprise_id is None:
        access.log_refused_access(
            db.session, current_user, request.path, remote_addr=request.remote_addr,
            detail="enterprise portal asked for by another role",
        )
        db.session.commit()
        abort(404)
    return None
