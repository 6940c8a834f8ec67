"""Case Tracker: the application factory."""

import ipaddress
import os
from pathlib import Path

from flask import Flask
from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask import session
from flask_limiter import Limiter
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS
from config import INSTANCE_DIR
from tracker import catalogs
from tracker import database
from tracker.extensions import babel
from tracker.extensions import csrf
from tracker.extensions import db
from tracker.extensions import login_manager
from tracker.extensions import migrate
from tracker.logs import configure_json_logging
from tracker.security import make_password_hasher

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers and commands, in that order."""
    app = Flask(__name__, template_folder=TEMPLATES_DIR, instance_path=str(INSTANCE_DIR))
    config_class = CONFIGS[config_name or os.environ.get("TRACKER_CONFIG", "production")]
    config_class.check()
    app.config.from_object(config_class)
    app.config.update(overrides)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_catalogs(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_notifications(app)
    register_client_address_check(app)
    register_security_headers(app)
    register_request_context(app)
    register_rate_limits(app)
    register_route_policy(app)
    return app


def select_locale() -> str:
    """Simplified Chinese unless the visitor chose English (commands and jobs use the default)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang") or request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_catalogs(app: Flask) -> None:
    """Compile the message catalogs into the instance folder when missing or stale, and read them from there."""
    if "BABEL_TRANSLATION_DIRECTORIES" not in app.config:
        compiled = catalogs.ensure_compiled(Path(app.instance_path) / "translations")
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions and configure the engine for its dialect."""
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.extensions["password_hasher"] = make_password_hasher(
        app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_COST"]
    )
    with app.app_context():
        database.configure_engine(db.engine)
    register_transaction_mode(app)


#: Methods that only read; their requests begin deferred transactions (see docs/decisions/0019).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def register_transaction_mode(app: Flask) -> None:
    """Reading requests begin deferred transactions on SQLite, others take the write lock; a lost server is survived."""

    @app.before_request
    def declare_transaction_mode() -> None:
        g.transaction_mode_token = database.set_reads_only(request.method in READING_METHODS)

    @app.teardown_request
    def forget_transaction_mode(error=None) -> None:
        token = g.pop("transaction_mode_token", None)
        if token is not None:
            database.restore(token)

    @app.teardown_appcontext
    def end_transaction_even_if_the_database_went_away(error=None) -> None:
        """Runs before Flask-SQLAlchemy closes the session: a lost connection must not turn an answer into a 500."""
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session().invalidate()


def register_converters(app: Flask) -> None:
    """URL converters the blueprints' rules name; registered first, as a rule looks its converter up when added."""
    from tracker.web import converters

    app.url_map.converters.update(converters.CONVERTERS)


def register_blueprints(app: Flask) -> None:
    """Attach the web layer."""
    from tracker.web import accounts
    from tracker.web import audiences
    from tracker.web import auth
    from tracker.web import cases
    from tracker.web import commission_confirmation  # noqa: F401 - adds the commission's routes to cases.bp
    from tracker.web import evidence
    from tracker.web import filing
    from tracker.web import invitations
    from tracker.web import main
    from tracker.web import recusals
    from tracker.web import tracking

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(evidence.bp)
    app.register_blueprint(filing.bp)
    app.register_blueprint(tracking.bp)
    app.register_blueprint(recusals.bp)
    app.register_blueprint(invitations.bp)
    for audience_bp in audiences.blueprints():
        app.register_blueprint(audience_bp)


def register_errorhandlers(app: Flask) -> None:
    """Turn domain errors and HTTP errors into pages (or JSON for the API)."""
    from tracker.web import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    """The `flask tracker ...` commands."""
    from tracker import commands

    app.cli.add_command(commands.tracker_cli)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use to render (never to decide)."""
    from tracker.web import presentation

    presentation.register(app)


def register_notifications(app: Flask) -> None:
    """Every transition the parties can see queues one e-mail to each of them, in its transaction."""
    from tracker import workflow
    from tracker.services import notices

    workflow.set_transition_listener("notify_parties", notices.transition_notifier(app.config["PUBLIC_BASE_URL"]))


#: Stands in for a client address that did not parse; the throttles then count such clients together.
UNKNOWN_CLIENT_ADDRESS = "0.0.0.0"  # noqa: S104 - a placeholder value, never bound to

#: Everything is served by the app itself: no CDN, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def register_client_address_check(app: Flask) -> None:
    """A client address that is not an IP address (a forged X-Forwarded-For) is replaced before anyone stores it."""

    @app.before_request
    def replace_unparsable_client_address() -> None:
        try:
            ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            request.remote_addr = UNKNOWN_CLIENT_ADDRESS


def register_security_headers(app: Flask) -> None:
    """Headers that make the browser refuse framing, sniffing, foreign scripts, shared windows and cached pages."""

    @app.after_request
    def add_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Every page but the static files may show personal data (a case, a filing, an account, a staff list):
        # neither the browser nor a proxy may keep a copy.
        if request.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def register_request_context(app: Flask) -> None:
    """A request id on every response and log line; JSON log lines on stderr unless the suite collects them."""
    from tracker.web import request_context

    if app.config["LOG_JSON_TO_STDERR"]:
        configure_json_logging(app.config["LOG_LEVEL"])
    request_context.register(app)


def register_rate_limits(app: Flask) -> None:
    """One limiter per app (its store is Redis when REDIS_URL is set), with the login limits installed on it."""
    from tracker.web import auth

    limiter = Limiter(
        key_func=lambda: request.remote_addr or UNKNOWN_CLIENT_ADDRESS,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy=app.config["RATELIMIT_STRATEGY"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
    )
    auth.install_rate_limits(app, limiter)
    app.extensions["rate_limiter"] = limiter


def register_route_policy(app: Flask) -> None:
    """Every route answers only the roles tracker/web/route_policy.py allows; a route missing there answers no one."""
    from tracker.web import route_policy

    route_policy.register(app)
