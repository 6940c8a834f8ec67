"""An enterprise user invites colleagues of the same enterprise and removes them."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import access
from tracker.services import invitations
from tracker.services.invitations import InvitationError
from tracker.web.enterprise import bp
from tracker.web.invitation_forms import ColleagueInviteForm
from tracker.web.invitations import INVITATION_REFUSALS
from tracker.web.invitations import SimpleForm
from tracker.web.invitations import invitation_link


def _page(form: ColleagueInviteForm, status: int = 200, error: str | None = None):
    """The colleagues, the pending invitations and the invitation form."""
    return render_template(
        "enterprise/colleagues.html",
        error=error,
        colleagues=invitations.colleagues(db.session, current_user.enterprise_id),
        pending=invitations.pending_invitations(db.session, now=utcnow(), enterprise_id=current_user.enterprise_id),
        form=form,
        remove_form=SimpleForm(),
    ), status


@bp.get("/colleagues")
def colleagues():
    """Who else answers this enterprise's cases."""
    return _page(ColleagueInviteForm(formdata=None))


@bp.post("/colleagues/invite")
def invite_colleague():
    """Send a colleague a single-use link to open an account of this enterprise."""
    form = ColleagueInviteForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        invitations.invite(
            db.session, current_user, email=form.email.data, role=Role.ENTERPRISE,
            enterprise=current_user.enterprise, now=utcnow(), link_for=invitation_link,
        )
    except InvitationError as refusal:
        db.session.rollback()
        message, status = INVITATION_REFUSALS[refusal.code]
        form.email.errors = [*form.email.errors, message]
        return _page(form, status)
    db.session.commit()
    flash(_("An invitation was sent to %(email)s. The link works once, for 7 days.", email=form.email.data), "success")
    return redirect(url_for("enterprise.colleagues"))


@bp.post(f"/colleagues/<int(max={MAX_ROW_ID}):user_id>/remove")
def remove_colleague(user_id: int):
    """Disable a colleague's account: their sessions end on their next request."""
    colleague = db.session.get(User, user_id)
    if colleague is None or colleague.role != Role.ENTERPRISE or colleague.enterprise_id != current_user.enterprise_id:
        access.log_refused_access(
            db.session, current_user, request.path, remote_addr=request.remote_addr,
            detail="no such colleague in this enterprise",
        )
        db.session.commit()
        abort(404)
    if not SimpleForm().validate_on_submit():
        abort(400)
    try:
        invitations.set_active(db.session, current_user, colleague, False, now=utcnow())
    except InvitationError as refusal:
        db.session.rollback()
        message, status = INVITATION_REFUSALS[refusal.code]
        return _page(ColleagueInviteForm(formdata=None), status, error=message)
    db.session.commit()
    flash(_("%(name)s can no longer sign in for this enterprise.", name=colleague.display_name), "success")
    return redirect(url_for("enterprise.colleagues"))
