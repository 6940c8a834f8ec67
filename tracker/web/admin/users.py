"""Administrators manage accounts: list and filter them, invite staff, experts and enterprise users, change a
role, disable or enable an account (a disabled account's sessions end on their next request)."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import invitations
from tracker.services.invitations import ADMIN_INVITABLE_ROLES
from tracker.services.invitations import CHANGEABLE_ROLES
from tracker.services.invitations import InvitationError
from tracker.web.admin import bp
from tracker.web.invitation_forms import AdminInviteForm
from tracker.web.invitations import INVITATION_REFUSALS
from tracker.web.invitations import SimpleForm
from tracker.web.invitations import invitation_link
from tracker.web.presentation import role_label

#: Accounts listed per page.
USERS_PER_PAGE = 50
MAX_PAGE = MAX_ROW_ID // USERS_PER_PAGE + 1


def _invite_form(*, fresh: bool = False) -> AdminInviteForm:
    """The invitation form with the invitable roles and the confirmed enterprises to choose from."""
    form = AdminInviteForm(formdata=None) if fresh else AdminInviteForm()
    form.role.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(str(role), str(role_label(role))) for role in ADMIN_INVITABLE_ROLES
    ]
    enterprises = db.session.execute(
        select(Enterprise.id, Enterprise.name).where(Enterprise.confirmed.is_(True)).order_by(Enterprise.name)
    ).all()
    form.enterprise_id.choices = [SelectChoice(0, "—")] + [SelectChoice(row.id, row.name) for row in enterprises]
    return form


def _filters() -> dict:
    """The list's filters from the query string; anything unknown is ignored rather than refused."""
    role = request.args.get("role", "")
    active = request.args.get("active", "")
    enterprise_id = request.args.get("enterprise", type=int)
    return {
        "role": role if role in {str(value) for value in Role} else None,
        "active": {"1": True, "0": False}.get(active),
        "enterprise_id": enterprise_id if enterprise_id and 0 < enterprise_id <= MAX_ROW_ID else None,
        "text": request.args.get("q", "").strip()[:100] or None,
    }


def _page(invite_form: AdminInviteForm, status: int = 200, error: str | None = None):
    """The filtered list, the pending invitations and the invitation form."""
    if request.args.get("page", 1, type=int) > MAX_PAGE:
        abort(404)
    filters = _filters()
    page = db.paginate(invitations.users_query(**filters), per_page=USERS_PER_PAGE)
    return render_template(
        "admin/users.html",
        page=page,
        filters=filters,
        roles=list(Role),
        enterprises=db.session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.users.any()).order_by(Enterprise.name)
        ).all(),
        changeable_roles=CHANGEABLE_ROLES,
        invite_form=invite_form,
        action_form=SimpleForm(),
        pending=invitations.pending_invitations(db.session, now=utcnow()),
        error=error,
    ), status


@bp.get("/users")
def users():
    """Every account, filtered by role, enterprise, state or a name or address."""
    return _page(_invite_form(fresh=True))


@bp.post("/users/invite")
def invite_user():
    """Send a single-use, expiring invitation link by e-mail."""
    form = _invite_form()
    if not form.validate_on_submit():
        return _page(form, 422)
    enterprise = db.session.get(Enterprise, form.enterprise_id.data) if form.enterprise_id.data else None
    try:
        invitations.invite(
            db.session, current_user, email=form.email.data, role=form.role.data, enterprise=enterprise,
            now=utcnow(), link_for=invitation_link,
        )
    except InvitationError as refusal:
        db.session.rollback()
        message, status = INVITATION_REFUSALS[refusal.code]
        field = form.enterprise_id if refusal.code.startswith("enterprise") else form.email
        field.errors = [*field.errors, message]
        return _page(form, status)
    db.session.commit()
    flash(_("An invitation was sent to %(email)s. The link works once, for 7 days.", email=form.email.data), "success")
    return redirect(url_for("admin.users"))


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not SimpleForm().validate_on_submit():
        abort(400)
    return user


@bp.post(f"/users/<int(max={MAX_ROW_ID}):user_id>/role")
def change_role(user_id: int):
    """Move a staff or expert account to another of those roles."""
    user = _account_or_404(user_id)
    role = request.form.get("role", "")
    if role not in {str(value) for value in Role}:
        return _page(_invite_form(fresh=True), 422, error=_("Choose a role."))
    try:
        invitations.change_role(db.session, current_user, user, role, now=utcnow())
    except InvitationError as refusal:
        db.session.rollback()
        message, status = INVITATION_REFUSALS[refusal.code]
        return _page(_invite_form(fresh=True), status, error=message)
    db.session.commit()
    flash(_("%(name)s is now: %(role)s.", name=user.display_name, role=role_label(role)), "success")
    return redirect(url_for("admin.users"))


@bp.post(f"/users/<int(max={MAX_ROW_ID}):user_id>/active")
def set_active(user_id: int):
    """Disable an account (its sessions end at once) or enable it again."""
    user = _account_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        invitations.set_active(db.session, current_user, user, active, now=utcnow())
    except InvitationError as refusal:
        db.session.rollback()
        message, status = INVITATION_REFUSALS[refusal.code]
        return _page(_invite_form(fresh=True), status, error=message)
    db.session.commit()
    if active:
        flash(_("%(name)s can sign in again.", name=user.display_name), "success")
    else:
        flash(_("%(name)s is disabled and signed out everywhere.", name=user.display_name), "success")
    return redirect(url_for("admin.users"))
