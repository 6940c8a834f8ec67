"""Logging in and out, and how Flask-Login finds the user behind a session."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from tracker.extensions import db
from tracker.extensions import login_manager
from tracker.models import User
from tracker.services import accounts
from tracker.services.throttle import Throttled
from tracker.web.forms import LoginForm
from tracker.web.redirects import safe_next_url
from tracker.web.uploads import DRAFT_OWNER_KEY

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"
#: Flashed messages are stored in the session cookie, so the lazy message is rendered to text first.
login_manager.localize_callback = str


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Turn the id kept in the session back into the account (None ends a session that no longer fits).

    Checked on every request, so disabling an account ends its sessions in every browser at once.
    """
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Check the credentials; one message for every failure so that accounts cannot be enumerated."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                db.session,
                current_app.extensions["password_hasher"],
                form.email.data,
                form.password.data,
                remote_addr=request.remote_addr,
            )
        except Throttled as throttled:
            form.form_errors.append(_("Too many failed attempts. Please wait a while and try again."))
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(throttled.retry_after)
            return response
        db.session.commit()
        if user is not None:
            _start_fresh_session()
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
        form.form_errors.append(_("E-mail or password is incorrect."))
    return render_template("auth/login.html", form=form)


def _start_fresh_session() -> None:
    """Drop what the anonymous session held before it becomes a login, but keep the language and a filing begun."""
    kept = {key: session[key] for key in ("lang", DRAFT_OWNER_KEY) if key in session}
    session.clear()
    session.update(kept)


@bp.post("/logout")
def logout():
    """End the session; POST only, so that a link or an image cannot log anyone out."""
    _start_fresh_session()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))
