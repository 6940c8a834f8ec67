"""Registration, password change and claiming a case filed without an account."""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests

from tracker.extensions import db
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import filing
from tracker.services.accounts import AccountError
from tracker.services.accounts import WeakPassword
from tracker.services.cases import FilingError
from tracker.services.throttle import Throttled
from tracker.web.account_forms import PASSWORD_HINT
from tracker.web.account_forms import ClaimForm
from tracker.web.account_forms import PasswordChangeForm
from tracker.web.account_forms import RegisterForm
from tracker.web.account_forms import password_messages
from tracker.web.auth import begin_session
from tracker.web.auth import current_session_token
from tracker.web.redirects import safe_next_url

bp = Blueprint("accounts", __name__)

def sign_in_fresh(user: User) -> None:
    """Start a new server-side session for the new account, keeping only the language and a filing in progress."""
    begin_session(user)
    db.session.commit()


def next_page() -> str:
    """The same-site page the visitor came from, or the start page."""
    return safe_next_url(request.args.get("next")) or url_for("main.index")


def status_of(form) -> int:
    """422 for a posted form that was refused, 200 for a fresh one."""
    return 422 if form.is_submitted() else 200


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Open a consumer account and sign in with it; password rules per OWASP ASVS (tracker.passwords)."""
    if current_user.is_authenticated:
        return redirect(next_page())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_consumer(
                db.session,
                current_app.extensions["password_hasher"],
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                mobile=form.mobile.data,
            )
            db.session.commit()
        except WeakPassword as weak:
            form.password.errors = password_messages(weak.problems)
        except (AccountError, IntegrityError):
            db.session.rollback()
            form.email.errors = [
                _("An account with this e-mail address already exists. Log in, or use another address.")
            ]
        else:
            sign_in_fresh(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            return redirect(next_page())
    return render_template("accounts/register.html", form=form, password_hint=PASSWORD_HINT), status_of(form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Replace the password after proving the current one."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                current_app.extensions["password_hasher"],
                current_user,
                form.current_password.data,
                form.password.data,
                now=utcnow(),
                current_session_token=current_session_token(),
            )
            db.session.commit()
        except WeakPassword as weak:
            form.password.errors = password_messages(weak.problems)
        except AccountError:
            form.current_password.errors = [_("The current password is not correct.")]
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("accounts/password.html", form=form, password_hint=PASSWORD_HINT), status_of(form)


@bp.route("/claim", methods=["GET", "POST"])
@login_required
def claim():
    """Add a case filed without an account to this consumer's account, with its number and access code."""
    if current_user.role != Role.CONSUMER:
        abort(403)
    form = ClaimForm(number=request.args.get("number", "")[:20])
    if form.validate_on_submit():
        try:
            case = filing.claim_case(
                db.session, current_user, form.number.data, form.access_code.data, remote_addr=request.remote_addr
            )
        except Throttled as throttled:
            db.session.commit()
            raise TooManyRequests(retry_after=throttled.retry_after) from throttled
        except FilingError:
            db.session.commit()
            form.number.errors = [_("This case already belongs to another account.")]
        else:
            db.session.commit()
            if case is not None:
                flash(_("Case %(number)s is now in your account.", number=case.number), "success")
                return redirect(url_for("cases.show", number=case.number))
            form.access_code.errors = [_("The case number or the access code is not correct.")]
    return render_template("accounts/claim.html", form=form), status_of(form)
