"""Search across every case by number, enterprise, product and narrative words, paged by keyset."""

from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import db
from tracker.models import utcnow
from tracker.services import queues
from tracker.services import search as case_search
from tracker.web.officer import bp
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date


@bp.get("/search")
def search():
    """Results for ?q=, newest case first; a query without a two-character word is explained, not run."""
    query = request.args.get("q", "").strip()[: case_search.MAX_QUERY_LENGTH]
    after = request.args.get("after", "")[:200] or None
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    counts = queues.queue_counts(db.session, current_user, today=today, calendar=calendar)
    page = None
    error = None
    status = 200
    if query:
        try:
            page = case_search.search_cases(db.session, query, after=after)
        except case_search.QueryTooShort:
            error = _("Type at least two characters of a word, a number or a name.")
            status = 400
        except case_search.InvalidCursor:
            error = _("This page link is not valid any more; start again from the first page.")
            status = 400
    next_url = url_for("officer.search", q=query, after=page.next_cursor) if page and page.next_cursor else None
    return render_template(
        "officer/search.html", query=query, page=page, error=error, next_url=next_url, today=today,
        queues=queues.QUEUES, counts=counts, count_cap=queues.COUNT_CAP,
    ), status
