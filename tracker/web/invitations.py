"""The page behind an invitation link: choose a name and a password, and the account opens (once)."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.extensions import db
from tracker.models import Role
from tracker.models import utcnow
from tracker.services import invitations
from tracker.services.accounts import WeakPassword
from tracker.services.invitations import InvitationError
from tracker.web.account_forms import PASSWORD_HINT
from tracker.web.account_forms import password_messages
from tracker.web.accounts import sign_in_fresh
from tracker.web.form_input import PostedForm
from tracker.web.invitation_forms import AcceptInvitationForm

bp = Blueprint("invitations", __name__, url_prefix="/invitations")

#: Longest token accepted in a link (token_urlsafe(32) has 43 characters).
MAX_TOKEN_LENGTH = 64

#: Why an invitation or an account change was refused -> (message, HTTP status).
INVITATION_REFUSALS = {
    "invalid": (_l("This invitation link is not valid. Ask for a new invitation."), 404),
    "used": (_l("This invitation link has already been used. Log in with the account it opened."), 410),
    "expired": (_l("This invitation link has expired. Ask for a new invitation."), 410),
    "exists": (_l("An account with this e-mail address already exists."), 409),
    "name": (_l("Enter your name."), 422),
    "role": (_l("Choose a role that can be invited."), 422),
    "not_allowed": (_l("You may not do this."), 403),
    "enterprise_missing": (_l("Choose the enterprise this user will answer for."), 422),
    "enterprise_not_allowed": (_l("Only enterprise users belong to an enterprise."), 422),
    "self": (_l("You cannot do this to your own account."), 409),
    "fixed_role": (
        _l("Only officers, administrators and experts change roles; enterprise and consumer accounts keep theirs."),
        409,
    ),
}

#: What an invited person will be, in the sentence at the top of the page.
INVITED_AS = {
    Role.OFFICER: _l("a case officer"),
    Role.ADMIN: _l("an administrator"),
    Role.EXPERT: _l("an expert"),
    Role.ENTERPRISE: _l("a user of %(enterprise)s"),
}


class SimpleForm(PostedForm):
    """A button that posts with nothing but its CSRF token."""


def invitation_link(token: str) -> str:
    """The absolute URL the e-mail carries."""
    return url_for("invitations.accept", token=token, _external=True)


def _invited_as(invitation) -> str:
    role = Role(invitation.role)
    if role == Role.ENTERPRISE:
        return str(INVITED_AS[role]) % {"enterprise": invitation.enterprise.name}
    return str(INVITED_AS[role])


@bp.route("/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Show who is invited as what; on a valid form open the account, mark the link used and sign in."""
    now = utcnow()
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvitationError("invalid")
        invitation = invitations.pending_invitation(db.session, token, now=now)
    except InvitationError as refusal:
        message, status = INVITATION_REFUSALS[refusal.code]
        return render_template("invitations/unavailable.html", message=message), status
    form = AcceptInvitationForm(invited_email=invitation.email)
    status = 200
    if form.validate_on_submit():
        try:
            user = invitations.accept_invitation(
                db.session, current_app.extensions["password_hasher"], token,
                display_name=form.display_name.data, password=form.password.data, now=now,
            )
        except WeakPassword as weak:
            db.session.rollback()
            form.password.errors = password_messages(weak.problems)
        except InvitationError as refusal:
            db.session.rollback()
            message, status = INVITATION_REFUSALS[refusal.code]
            return render_template("invitations/unavailable.html", message=message), status
        else:
            db.session.commit()
            sign_in_fresh(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            target = "enterprise.inbox" if user.role == Role.ENTERPRISE else "main.index"
            return redirect(url_for(target))
    if form.is_submitted():
        status = 422
    return render_template(
        "invitations/accept.html", form=form, invitation=invitation, invited_as=_invited_as(invitation),
        password_hint=PASSWORD_HINT,
    ), status
