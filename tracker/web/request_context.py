"""Per-request context: a request id on every response and log line, security events stamped with it, an access log."""

import hashlib
import logging
import re
import time
import uuid

from flask import Flask
from flask import g
from flask import has_request_context
from flask import request
from flask import session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tracker import database
from tracker.extensions import db
from tracker.logs import SECURITY_LOGGER
from tracker.logs import single_line
from tracker.models import SecurityEvent

REQUEST_ID_HEADER = "X-Request-ID"
#: An id a proxy in front of us assigned is kept when it looks like one; anything else is replaced.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
ANONYMOUS_ROLE = "anonymous"
#: What a request leaves in `g` that belongs to it alone.
REQUEST_SCOPED_KEYS = ("_login_user", "login_failed", "request_id", "throttled_by")
#: Security events whose target is what was typed into the e-mail field: the table keeps it, the log a digest.
E_MAIL_TARGETS = frozenset({"login", "login_failed", "logout", "password_changed"})

access_log = logging.getLogger("tracker.access")
security_log = logging.getLogger(SECURITY_LOGGER)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


def _loaded_user():
    """The signed-in user if Flask-Login has loaded one in this request (never loads it: this runs in a flush)."""
    user = g.get("_login_user")
    return user if user is not None and getattr(user, "is_authenticated", False) else None


class RequestContextFilter(logging.Filter):
    """Adds the request id, user id and role to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never drops a record; only fills in what the record does not say itself."""
        if has_request_context():
            user = _loaded_user()
            if getattr(record, "request_id", None) is None:
                record.request_id = g.get("request_id")
            if getattr(record, "user_id", None) is None and user is not None:
                record.user_id = user.id
            if getattr(record, "role", None) is None:
                record.role = str(user.role) if user is not None else ANONYMOUS_ROLE
        return True


def logged_target(item: SecurityEvent) -> str | None:
    """The target as the log shows it: what was typed as an e-mail (perhaps a password) only as a digest."""
    if item.kind in E_MAIL_TARGETS and item.target:
        return "sha256:" + hashlib.sha256(item.target.encode()).hexdigest()[:16]
    return single_line(item.target)


@event.listens_for(Session, "before_flush")
def _stamp_and_log_security_events(session: Session, flush_context, instances) -> None:
    """Every security event is stored with the role and request id of the request that caused it, and logged."""
    for item in session.new:
        if not isinstance(item, SecurityEvent):
            continue
        if has_request_context():
            user = _loaded_user()
            item.request_id = item.request_id or g.get("request_id")
            item.role = item.role or (str(user.role) if user is not None else ANONYMOUS_ROLE)
            if item.user_id is None and user is not None:
                item.user_id = user.id
        security_log.info(
            "security event %s", item.kind,
            extra={"event": item.kind, "target": logged_target(item), "user_id": item.user_id,
                   "role": item.role, "request_id": item.request_id, "remote_addr": item.remote_addr},
        )


def register(app: Flask) -> None:
    """Attach the request id, the logging context and the access log to the app."""
    context_filter = RequestContextFilter()
    for name in ("tracker", "werkzeug", "flask_limiter"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RequestContextFilter) for existing in logger.filters):
            logger.addFilter(context_filter)

    @app.before_request
    def assign_request_id() -> None:
        # A request inside an application context pushed by someone else (tests, a CLI) shares its `g`: the user
        # loaded for an earlier request must not sign this one in, nor its failed login count against this one.
        for stale in REQUEST_SCOPED_KEYS:
            g.pop(stale, None)
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _ACCEPTABLE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def record_throttled_request(response):
        """Every 429, whichever limit gave it (logins, tracking codes, claims), is a security event."""
        if response.status_code == 429:
            try:
                db.session.add(SecurityEvent(kind="throttled", target=request.path, remote_addr=request.remote_addr,
                                             detail=g.get("throttled_by")))
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                security_log.exception("could not record a throttled request")
        return response

    @app.after_request
    def log_and_label_response(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        who = _who_asked()
        access_log.info(
            "%s %s %s", request.method, single_line(request.path), response.status_code,
            extra={"event": "request", "method": request.method, "path": single_line(request.path)[:300],
                   "status": response.status_code, "request_id": request_id,
                   "user_id": who[0], "role": who[1],
                   "remote_addr": request.remote_addr},
        )
        return response


def _who_asked() -> tuple[int | str | None, str]:
    """The account and role for the access line, read after the view committed.

    current_user is loaded here if the view did not. That is a read: on SQLite it need not queue for the write
    lock again. If the database went away meanwhile, the line names the account the session cookie carries, and
    the answer the view already gave stands (a log line never turns it into a 500).
    """
    try:
        with database.reads_only():
            user = current_user if current_user and current_user.is_authenticated else None
            return (user.id, str(user.role)) if user is not None else (None, ANONYMOUS_ROLE)
    except SQLAlchemyError:
        db.session.rollback()
        return session.get("_user_id"), "unknown"
