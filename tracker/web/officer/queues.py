"""The workspace's queues: a menu of queues with counts, filters, keyset pages of case cards, and assignment."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import utcnow
from tracker.services import access
from tracker.services import assignment
from tracker.services import filing
from tracker.services import queues
from tracker.web.cases import get_case_or_404
from tracker.web.officer import bp
from tracker.web.officer.forms_queues import BulkAssignForm
from tracker.web.officer.forms_queues import QueueFilterForm
from tracker.web.officer.forms_queues import TakeCaseForm
from tracker.web.presentation import kind_label
from tracker.web.presentation import state_label
from tracker.web.redirects import safe_next_url
from tracker.workflow import tables
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: The queue /officer/ opens: the officer's own cases.
DEFAULT_QUEUE = "mine"
#: The blueprint whose views render the shared case page (templates/cases/show.html).
CASE_PAGE_BLUEPRINT = "cases."
#: Enterprises offered in the filter's list, by name; any other one is reached by ?enterprise=<id>.
ENTERPRISE_CHOICES = 200

bp.add_app_template_global(queues.no_due_date, "no_due_date")


@bp.app_context_processor
def case_assignment() -> dict:
    """On the shared case page, staff get the officers a case can be given to (templates/cases/_assignment.html)."""
    if not (request.endpoint or "").startswith(CASE_PAGE_BLUEPRINT) or not access.is_staff_viewer(current_user):
        return {"case_assignment": None}
    return {"case_assignment": {"officers": assignment.assignable_officers(db.session)}}


def _filter_form() -> QueueFilterForm:
    """The filter form bound to the query string, with its choices."""
    form = QueueFilterForm(request.args)
    form.kind.choices = [SelectChoice("", _("Any kind"))] + [
        SelectChoice(kind.value, kind_label(kind)) for kind in CaseKind
    ]
    states = sorted({state for kind in CaseKind for state in tables.states_of(kind)})
    form.state.choices = [SelectChoice("", _("Any state"))] + [
        SelectChoice(state, state_label("complaint", state)) for state in states
    ]
    return form


def _filter_choices() -> dict:
    """Enterprises and categories for the filter's lists."""
    return {
        "enterprises": queues.filter_enterprises(db.session, limit=ENTERPRISE_CHOICES),
        "categories": filing.taxonomy(db.session, "category"),
    }


def _filters_of(form: QueueFilterForm) -> queues.QueueFilters:
    return queues.QueueFilters(
        kind=form.kind.data or None,
        state=form.state.data or None,
        enterprise_id=form.enterprise.data,
        category=form.category.data or None,
        officer_id=form.officer.data,
        filed_from=form.filed_from.data,
        filed_to=form.filed_to.data,
    )


def _query_without_cursor() -> dict:
    """The current filters and sort, to carry into the next page's and other queues' links."""
    return {key: value for key, value in request.args.items() if key != "after" and value}


@bp.get("/")
def workspace():
    """The officer's home: the default queue."""
    return _render_queue(DEFAULT_QUEUE)


@bp.get("/queue/<queue_name>")
def queue(queue_name: str):
    """One queue, filtered and sorted, a keyset page at a time."""
    if queue_name not in queues.QUEUES:
        abort(404)
    return _render_queue(queue_name)


def _render_queue(name: str):
    form = _filter_form()
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    counts = queues.queue_counts(db.session, current_user, today=today, calendar=calendar)
    page = None
    status = 200
    if form.validate():
        try:
            page = queues.list_queue(
                db.session, name, current_user, filters=_filters_of(form), sort=form.sort.data or "due",
                after=form.after.data or None, today=today, calendar=calendar,
            )
        except queues.InvalidCursor:
            form.after.errors = [_("This page link is not valid any more; start again from the first page.")]
            status = 400
    else:
        status = 400
    carried = _query_without_cursor()
    next_url = (
        url_for("officer.queue", queue_name=name, **carried, after=page.next_cursor)
        if page is not None and page.next_cursor else None
    )
    assign_form = BulkAssignForm(formdata=None)
    officers = assignment.assignable_officers(db.session)
    assign_form.officer_id.choices = [SelectChoice(officer.id, officer.display_name) for officer in officers]
    assign_form.return_to.data = request.full_path
    return render_template(
        "officer/queue.html", queue_name=name, queue_title=queues.QUEUES[name], queues=queues.QUEUES,
        counts=counts, count_cap=queues.COUNT_CAP, form=form, page=page, next_url=next_url, carried=carried,
        assign_form=assign_form, officers=officers, today=today, first_page=not form.after.data, **_filter_choices(),
    ), status


@bp.post("/assign")
def assign():
    """Assign or reassign the ticked cases to one officer; each case gets its own audit event."""
    form = BulkAssignForm()
    officers = assignment.assignable_officers(db.session)
    form.officer_id.choices = [SelectChoice(officer.id, officer.display_name) for officer in officers]
    back = safe_next_url(form.return_to.data) or url_for("officer.workspace")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(back)
    chosen = assignment.cases_by_id(db.session, form.case_ids.data)
    if len(chosen) != len(set(form.case_ids.data)):
        abort(404)
    officer = next(officer for officer in officers if officer.id == form.officer_id.data)
    changed = assignment.assign_cases(
        db.session, list(chosen), officer, current_user, reason=form.reason.data, now=utcnow()
    )
    db.session.commit()
    flash(_("%(count)d case(s) assigned to %(name)s.", count=len(changed), name=officer.display_name), "success")
    return redirect(back)


@bp.post("/cases/<case_number:number>/take")
def take(number: str):
    """The officer takes a case for themself."""
    case = get_case_or_404(number, current_user)
    form = TakeCaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        taken = assignment.take_case(db.session, case, current_user, now=utcnow())
    except assignment.AssignmentRefused as refused:
        db.session.rollback()
        flash(refused.message, "danger")
        return redirect(url_for("cases.show", number=case.number))
    db.session.commit()
    flash(_("You now handle %(number)s.", number=case.number) if taken
          else _("%(number)s is yours already.", number=case.number), "success")
    return redirect(safe_next_url(form.return_to.data) or url_for("cases.show", number=case.number))
