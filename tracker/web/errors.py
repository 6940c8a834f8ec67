"""Error pages and JSON error bodies: HTTP errors, expired forms, and the workflow's refusals."""

from flask import Flask
from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

from tracker.extensions import db
from tracker.models import SecurityEvent
from tracker.workflow import GuardFailed
from tracker.workflow import InvalidTransition
from tracker.workflow import StaleCase
from tracker.workflow import TransitionNotAllowed
from tracker.workflow import UnknownTrigger
from tracker.workflow import WorkflowError

#: status -> (machine-readable code, page title, explanation) for the errors people actually meet.
HTTP_ERRORS = {
    400: ("bad_request", _l("Bad request"), _l("The request could not be understood.")),
    403: ("forbidden", _l("Not allowed"), _l("You are not allowed to do this.")),
    404: (
        "not_found",
        _l("Page not found"),
        _l("There is no such page, or it is not available to you. Check the address or the case number."),
    ),
    405: ("method_not_allowed", _l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (
        "conflict",
        _l("The case has changed"),
        _l("This case was changed by someone else. Reload it and try again."),
    ),
    413: ("payload_too_large", _l("Too large"), _l("What you sent is larger than we accept.")),
    422: ("unprocessable", _l("Cannot be processed"), _l("Some of what you entered cannot be accepted.")),
    429: ("too_many_requests", _l("Too many requests"), _l("Please wait a moment before trying again.")),
    503: (
        "database_unavailable",
        _l("Briefly unavailable"),
        _l("The service is briefly unavailable and nothing was saved. Please try again in a minute."),
    ),
    500: (
        "internal_error",
        _l("Something went wrong"),
        _l("Something went wrong on our side and nothing was saved. Please try again later."),
    ),
}

#: The workflow's refusals: code and explanation; the title comes from the status.
WORKFLOW_ERRORS = {
    UnknownTrigger: ("unknown_action", _l("This action does not exist for this case.")),
    InvalidTransition: ("stale_case", _l("This case was changed by someone else. Reload it and try again.")),
    StaleCase: ("stale_case", _l("This case was changed by someone else. Reload it and try again.")),
    TransitionNotAllowed: ("action_not_allowed", _l("You may not take this action.")),
}

CSRF_MESSAGE = _l("The form has expired or is invalid. Reload the page and try again.")


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON; browsers get a page."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _reload_url(status: int) -> str | None:
    """After a conflict on a case, the case page is where to reload; otherwise there is nothing better than home."""
    number = (request.view_args or {}).get("number")
    if status == 409 and request.blueprint == "cases" and number:
        return url_for("cases.show", number=number)
    return None


def error_response(status: int, code: str, message: object, title: object | None = None, headers=None):
    """One error in the form the client reads: JSON for the API, otherwise the translated error page."""
    if title is None:
        title = HTTP_ERRORS.get(status, (None, _l("Error"), None))[1]
    if wants_json():
        response = jsonify({"error": {"status": status, "code": code, "message": str(message)}})
        response.status_code = status
    else:
        page = render_template(
            "errors/error.html", status=status, title=title, message=message, reload_url=_reload_url(status)
        )
        response = make_response(page, status)
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_http_error(error: HTTPException):
    """Every HTTP error gets our page, keeping headers such as Allow and Retry-After."""
    status = error.code or 500
    code, title, message = HTTP_ERRORS.get(status, (f"http_{status}", error.name, error.description))
    return error_response(status, code, message, title, headers=error.get_headers())


def handle_csrf_error(error: CSRFError):
    """An expired or missing CSRF token: say so plainly instead of a bare 400."""
    return error_response(400, "csrf_failed", CSRF_MESSAGE)


def handle_internal_error(error: InternalServerError):
    """Roll back whatever the failed request had half done before rendering the page."""
    db.session.rollback()
    code, title, message = HTTP_ERRORS[500]
    return error_response(500, code, message, title)


def handle_workflow_error(error: WorkflowError):
    """The workflow refused the action: roll back, record the refusal, and answer with the status it carries."""
    db.session.rollback()
    if isinstance(error, GuardFailed):
        code, message = "guard_failed", error.message
    else:
        code, message = WORKFLOW_ERRORS.get(type(error), ("workflow_error", error.message))
    db.session.add(SecurityEvent(kind="transition_refused", target=request.path, remote_addr=request.remote_addr,
                                 detail=code))
    db.session.commit()
    return error_response(error.status_code, code, message)


def handle_stale_data(error: StaleDataError):
    """A concurrent writer committed first (the optimistic lock caught it at flush): 409, not 500."""
    db.session.rollback()
    code, title, message = HTTP_ERRORS[409]
    return error_response(409, "stale_case", message, title)


#: Seconds a client is asked to wait after the database went away.
DATABASE_RETRY_AFTER = 30


def handle_database_unavailable(error: OperationalError):
    """The database went away mid-request (a restart, a failover, a lock held too long): 503, nothing half-written.

    The page is rendered without the database; if even that fails (the signed-in user's details can no longer be
    read), a plain-text answer says the same.
    """
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()
    code, title, message = HTTP_ERRORS[503]
    headers = [("Retry-After", str(DATABASE_RETRY_AFTER))]
    try:
        return error_response(503, code, message, title, headers=headers)
    except SQLAlchemyError:
        db.session.invalidate()
        response = make_response(str(message), 503)
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response


def register(app: Flask) -> None:
    """Attach the handlers to the app."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(500, handle_internal_error)
    app.register_error_handler(WorkflowError, handle_workflow_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(OperationalError, handle_database_unavailable)
