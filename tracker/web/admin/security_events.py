"""Security events: refused access and failed logins, filtered by type, user and day, page by page."""

from datetime import date

from flask import render_template
from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import ValidationError
from wtforms.validators import Length
from wtforms.validators import Optional

from tracker.extensions import db
from tracker.services import security_log
from tracker.services.security_log import Cursor
from tracker.services.security_log import EventFilter
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

#: How the known kinds of event read; others are shown as recorded.
KIND_LABELS = {
    "access_denied": _l("Access refused"),
    "login_failed": _l("Failed login"),
}


#: Days the log can hold events on; anything outside is a typing mistake, refused before it reaches a query.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def _plausible_day(form: PostedForm, field: DateField) -> None:
    if field.data is not None and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError(_l("Choose a day between 2000 and 2999."))


class EventFilterForm(PostedForm):
    """The filter, read from the query string."""

    kind = SelectField(_l("Type"), validators=[Optional()], validate_choice=False)
    user = StringField(_l("User's e-mail"), validators=[Optional(), Length(max=254)])
    from_day = DateField(_l("From"), validators=[Optional(), _plausible_day])
    to_day = DateField(_l("To"), validators=[Optional(), _plausible_day])


@bp.get("/security-events")
def security_event_list():
    """The newest events that match the filter; "older" follows a cursor, so deep pages cost the same."""
    form = EventFilterForm(request.args, meta={"csrf": False})
    kinds = security_log.event_kinds(db.session)
    form.kind.choices = [SelectChoice("", _l("All types"))] + [
        SelectChoice(kind, KIND_LABELS.get(kind, kind)) for kind in kinds
    ]
    valid = form.validate()
    event_filter = EventFilter(
        kind=form.kind.data if form.kind.data in kinds else None,
        user_email=form.user.data if valid else None,
        from_day=form.from_day.data if valid else None,
        to_day=form.to_day.data if valid else None,
    )
    after = Cursor.decode(request.args.get("after", ""))
    page = security_log.security_events(db.session, event_filter, after=after)
    filter_args = {name: value for name, value in request.args.items() if name != "after" and value}
    next_args = {**filter_args, "after": page.next_cursor.encode()} if page.next_cursor is not None else None
    return render_template(
        "admin/security_events.html", form=form, page=page, kind_labels=KIND_LABELS,
        filter_args=filter_args, next_args=next_args, paged=after is not None,
    ), 200 if valid else 422
