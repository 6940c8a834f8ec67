"""The administration index: every administration page, with what waits on it."""

from urllib.parse import urlsplit

from flask import current_app
from flask import render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tracker.extensions import db
from tracker.models import utcnow
from tracker.services import administration
from tracker.web.admin import bp

#: The administration pages by path, in the order the index lists them: (path, title, what it is for).
#: Several are built by other modules; a page is listed only when its path is served.
ADMIN_PAGES = (
    ("/admin/users", _l("Users"), _l("Invite staff, experts and enterprise users; change roles; disable accounts.")),
    ("/admin/enterprises", _l("Enterprises"),
     _l("Create enterprises, confirm those consumers entered, merge duplicates.")),
    ("/admin/experts", _l("Expert pool"), _l("The experts who can sit on panels and their specialties.")),
    ("/admin/bodies", _l("Inspection bodies"), _l("Inspection bodies and their accreditation scope.")),
    ("/admin/reply-templates", _l("Reply templates"), _l("Standard replies officers start from, in both languages.")),
    ("/admin/taxonomy", _l("Taxonomy"), _l("Product categories and issue types, in Chinese and English.")),
    ("/admin/rule-sets", _l("Rule sets"), _l("Deadline limits by version and effective date.")),
    ("/admin/calendar", _l("Calendar years"),
     _l("Holidays and adjusted working days for years the calendar package does not cover.")),
    ("/admin/alerts", _l("Alerts"), _l("What needs an administrator, open and resolved.")),
    ("/admin/outbox", _l("Outbox"), _l("Messages that could not be sent, with a retry.")),
    ("/admin/security-events", _l("Security events"), _l("Refused access and failed logins, by type, user and date.")),
)


def served_pages() -> list[tuple[str, object, object]]:
    """The pages of ADMIN_PAGES this app answers a GET for."""
    adapter = current_app.url_map.bind("localhost")
    pages = []
    for path, title, purpose in ADMIN_PAGES:
        try:
            adapter.match(path, method="GET")
        except RequestRedirect as redirect:
            path = urlsplit(redirect.new_url).path
        except HTTPException:
            continue
        pages.append((path, title, purpose))
    return pages


def waiting_counts(overview: administration.Overview) -> dict[str, list[tuple[int, object]]]:
    """Per page, the counts shown on its card: (number, what it counts)."""
    return {
        "/admin/enterprises": [(overview.unconfirmed_enterprises, _l("entered by consumers, to confirm"))],
        "/admin/calendar": [
            (overview.pending_deadlines, _l("deadlines waiting for a calendar year")),
            (overview.draft_calendar_years, _l("years entered but not complete")),
        ],
        "/admin/alerts": [(overview.open_alerts, _l("open alerts"))],
        "/admin/outbox": [(overview.failed_messages, _l("failed messages"))],
        "/admin/security-events": [(overview.security_events_last_day, _l("in the last 24 hours"))],
    }


@bp.get("/")
def index():
    """The administration pages and the live counts of what waits for an administrator."""
    overview = administration.overview(db.session, now=utcnow())
    return render_template("admin/index.html", pages=served_pages(), counts=waiting_counts(overview))
