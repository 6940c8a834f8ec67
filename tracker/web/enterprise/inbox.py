"""The enterprise's inbox (what waits on it first), its record, and the CSV export of its cases."""

from flask import Response
from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.extensions import db
from tracker.models import utcnow
from tracker.services import enterprise_record
from tracker.services.consumer_contact import contact_for_enterprise
from tracker.spreadsheets import csv_text
from tracker.web.enterprise import bp
from tracker.web.presentation import kind_label
from tracker.web.presentation import state_label
from tracker.working_days import local_date

#: Headings of the export's columns (enterprise_record.EXPORT_COLUMNS), as the enterprise reads them.
EXPORT_HEADINGS = {
    "number": _l("Case number"),
    "kind": _l("Kind"),
    "state": _l("State"),
    "filed_on": _l("Filed"),
    "accepted_on": _l("Accepted"),
    "product": _l("Product"),
    "model": _l("Model"),
    "batch": _l("Batch"),
    "response_due_on": _l("Answer due"),
    "answered_on": _l("Answered"),
    "answer_late": _l("Answered late"),
    "answer_outcome": _l("Outcome"),
    "consumer_name": _l("Consumer"),
    "consumer_phone": _l("Phone"),
    "consumer_email": _l("E-mail"),
    "narrative": _l("What happened"),
}


@bp.get("/")
def inbox():
    """Cases waiting on the enterprise first, soonest due (overdue marked), then the others."""
    box = enterprise_record.inbox(db.session, current_user, today=local_date(utcnow()))
    contacts = {entry.case.id: contact_for_enterprise(entry.case) for entry in [*box.waiting, *box.others]}
    return render_template("enterprise/inbox.html", inbox=box, contacts=contacts)


@bp.get("/record")
def record():
    """The enterprise's record: cases received, answered on time, resolved, days to close, rating."""
    figures = enterprise_record.record_of(db.session, current_user, now=utcnow())
    return render_template("enterprise/record.html", record=figures)


@bp.get("/export.csv")
def export_csv():
    """Every case of the enterprise as CSV: contact details masked without consent, formulas neutralised."""
    rows = enterprise_record.export_rows(db.session, current_user)
    for row in rows:
        row["state"] = str(state_label(row["kind"], row["state"]))
        row["kind"] = str(kind_label(row["kind"]))
        row["answer_late"] = {"yes": _("yes"), "no": _("no")}.get(row["answer_late"], "")
    columns = enterprise_record.EXPORT_COLUMNS
    text = csv_text([str(EXPORT_HEADINGS[column]) for column in columns],
                    ([row[column] for column in columns] for row in rows))
    filename = f"cases-{local_date(utcnow()).isoformat()}.csv"
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
