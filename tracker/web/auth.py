"""Logging in and out, the server-side session behind every signed-in request, and the login rate limits."""

import hashlib
from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import flash
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from flask_limiter import RequestLimit
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from tracker.extensions import db
from tracker.extensions import login_manager
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import sessions
from tracker.web import errors
from tracker.web.forms import LoginForm
from tracker.web.redirects import safe_next_url
from tracker.web.uploads import DRAFT_OWNER_KEY

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"
#: Flashed messages are stored in the session cookie, so the lazy message is rendered to text first.
login_manager.localize_callback = str

#: The cookie keeps the server-side session's token here; the table decides whether it still signs anyone in.
SESSION_TOKEN_KEY = "_session_token"  # noqa: S105 - the name of a session entry
#: When the session was last used (Unix seconds), for the idle timeout of sessions the browser does not keep.
LAST_SEEN_KEY = "_seen"
#: The last-seen time is rewritten at most this often, so that not every request sets a new cookie.
LAST_SEEN_RESOLUTION_SECONDS = 60
#: Session entries that outlive signing in and out: the chosen language and a filing started before it.
KEPT_SESSION_KEYS = ("lang", DRAFT_OWNER_KEY)


def _forget_sign_in() -> None:
    """Drop a refused session's sign-in from the cookie, so that the browser is treated as a visitor."""
    for key in ("_user_id", "_fresh", "_id", SESSION_TOKEN_KEY, LAST_SEEN_KEY):
        session.pop(key, None)


def _idle_for_too_long(now: datetime) -> bool:
    """A session the browser forgets on closing also ends after SESSION_IDLE_TIMEOUT without a request."""
    if session.permanent:
        return False
    last_seen = session.get(LAST_SEEN_KEY)
    if not isinstance(last_seen, int):
        return True
    return now.timestamp() - last_seen > current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The account behind this cookie, only while its server-side session is live (None sends it to the login page)."""
    token = session.get(SESSION_TOKEN_KEY)
    now = utcnow()
    try:
        account_id = int(user_id)
    except ValueError:
        account_id = None
    live = (
        None if account_id is None or not isinstance(token, str) or _idle_for_too_long(now)
        else sessions.live_session_and_account(db.session, account_id, token, now=now)
    )
    if live is None:
        _forget_sign_in()
        return None
    user = live[1]
    if not user.active:
        _forget_sign_in()
        return None
    if now.timestamp() - session.get(LAST_SEEN_KEY, 0) >= LAST_SEEN_RESOLUTION_SECONDS:
        session[LAST_SEEN_KEY] = int(now.timestamp())
    return user


def begin_session(user: User, *, remember: bool = False) -> None:
    """Sign in with a new server-side session and a new cookie; only the language and a filing begun are kept."""
    kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)
    now = utcnow()
    config = current_app.config
    lifetime = config["PERMANENT_SESSION_LIFETIME"] if remember else config["SESSION_LIFETIME"]
    session[SESSION_TOKEN_KEY] = sessions.start_session(db.session, user, now=now, lifetime=lifetime)
    session[LAST_SEEN_KEY] = int(now.timestamp())
    session.permanent = remember
    login_user(user)


def current_session_token() -> str | None:
    """The token of this browser's session (to keep it when the password changes)."""
    token = session.get(SESSION_TOKEN_KEY)
    return token if isinstance(token, str) else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Check the credentials; one message for every failure so that accounts cannot be enumerated."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(
            db.session,
            current_app.extensions["password_hasher"],
            form.email.data,
            form.password.data,
            remote_addr=request.remote_addr,
        )
        if user is not None:
            begin_session(user, remember=bool(form.remember.data))
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
        db.session.commit()
        g.login_failed = True
        form.form_errors.append(_("E-mail or password is incorrect."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """End this session on the server, so that a copy of the cookie opens nothing; POST only."""
    token = current_session_token()
    if token is not None:
        sessions.end_session(db.session, token, now=utcnow())
    if current_user.is_authenticated:
        db.session.add(SecurityEvent(kind="logout", user_id=current_user.id, target=current_user.email,
                                     remote_addr=request.remote_addr))
    db.session.commit()
    kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
    logout_user()
    session.clear()
    session.update(kept)
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


def _login_account_key() -> str:
    """Failed logins are counted per account (by the e-mail typed, known or not), named by a digest in the store."""
    typed = accounts.normalise_email(request.form.get("email", ""))
    return "login-account:" + hashlib.sha256(typed.encode()).hexdigest()[:32]


def _login_address_key() -> str:
    """And, more widely, per client address."""
    return "login-address:" + (request.remote_addr or "unknown")


def _login_failed(_response) -> bool:
    """Only a refused password counts against the limits; a successful login costs nothing."""
    return bool(g.get("login_failed"))


def _seconds_until(reset_at: float) -> int:
    """Retry-After for a window that frees a slot at reset_at (Unix seconds)."""
    return max(1, int(reset_at - datetime.now(UTC).timestamp()) + 1)


def _refuse_login(request_limit: RequestLimit):
    """The login page again, with 429 and Retry-After (handle_throttled records the refusal)."""
    form = LoginForm()
    form.form_errors.append(_("Too many failed attempts. Please wait a while and try again."))
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(_seconds_until(request_limit.reset_at))
    return response


def handle_throttled(error: RateLimitExceeded):
    """The limit's own page when it has one, else the 429 page (request_context records every 429)."""
    g.throttled_by = str(error.limit.limit)
    if error.response is not None:
        return error.response
    response = errors.handle_http_error(error)
    limit = current_app.extensions["rate_limiter"].current_limit
    if limit is not None:
        response.headers["Retry-After"] = str(_seconds_until(limit.reset_at))
    return response


def install_rate_limits(app: Flask, limiter: Limiter) -> None:
    """5 failed logins per account and 30 per address within 15 minutes; then 429 until the window moves on."""
    minutes = int(accounts.LOGIN_WINDOW.total_seconds() // 60)
    limits = (
        (f"{accounts.LOGIN_LIMIT_PER_ACCOUNT} per {minutes} minutes", _login_account_key),
        (f"{accounts.LOGIN_LIMIT_PER_ADDRESS} per {minutes} minutes", _login_address_key),
    )
    view = app.view_functions["auth.login"]
    for limit, key_func in limits:
        view = limiter.limit(limit, key_func=key_func, methods=["POST"], deduct_when=_login_failed,
                             on_breach=_refuse_login)(view)
    app.view_functions["auth.login"] = view
    app.register_error_handler(RateLimitExceeded, handle_throttled)
