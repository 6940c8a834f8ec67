"""Calendar years: a year's holidays and adjusted working days, entered on a page and marked complete."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import TextAreaField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from tracker.extensions import db
from tracker.models import CalendarYear
from tracker.models import utcnow
from tracker.services import calendar_years
from tracker.services.calendar_years import FIRST_YEAR
from tracker.services.calendar_years import LAST_YEAR
from tracker.services.calendar_years import CalendarEntryError
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm
from tracker.working_days import local_date

#: Why a day or a year was refused; the message names what was typed.
REFUSALS = {
    "not_a_date": _l("“%(value)s” is not a date: write one day per line as YYYY-MM-DD, then its name if you like."),
    "wrong_year": _l("%(value)s is not in the year being entered."),
    "listed_twice": _l("%(value)s is listed both as a holiday and as a working day."),
    "year_out_of_range": _l("%(value)s is not a year this calendar can hold."),
}
#: Enough for every line a year can have.
MAX_DAYS_TEXT = 10_000


class OpenYearForm(PostedForm):
    """Which year to enter."""

    year = IntegerField(
        _l("Year"), validators=[InputRequired(), NumberRange(min=FIRST_YEAR, max=LAST_YEAR)],
        render_kw={"inputmode": "numeric"},
    )


class CalendarYearForm(PostedForm):
    """A year's exceptions to Monday–Friday, one per line, and whether the list is complete."""

    holidays = TextAreaField(
        _l("Holidays on weekdays (one per line: YYYY-MM-DD name)"), validators=[Length(max=MAX_DAYS_TEXT)]
    )
    workdays = TextAreaField(
        _l("Adjusted working days on weekends (调休; one per line: YYYY-MM-DD name)"),
        validators=[Length(max=MAX_DAYS_TEXT)],
    )
    complete = BooleanField(_l("The year is complete: use it for deadlines now"))


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def _render_year(year: int, form: CalendarYearForm, status: int = 200):
    return render_template(
        "admin/calendar_year.html", year=year, form=form, entry=db.session.get(CalendarYear, year),
        covered=calendar_years.package_covers(year),
    ), status


@bp.get("/calendar")
def calendar_overview():
    """Entered years, years deadlines are waiting for, and how many deadlines are still pending."""
    years, pending = calendar_years.calendar_overview(db.session, today=local_date(utcnow()))
    return render_template("admin/calendar.html", years=years, pending=pending, form=OpenYearForm(formdata=None))


@bp.get("/calendar/open")
def open_calendar_year():
    """Go to the page of the year typed into the overview's form."""
    form = OpenYearForm(request.args, meta={"csrf": False})
    if not form.validate():
        years, pending = calendar_years.calendar_overview(db.session, today=local_date(utcnow()))
        return render_template("admin/calendar.html", years=years, pending=pending, form=form), 422
    return redirect(url_for("admin.calendar_year", year=form.year.data))


@bp.get("/calendar/<int:year>")
def calendar_year(year: int):
    """The year's days as editable lists."""
    _year_or_404(year)
    holidays, workdays = calendar_years.year_days(db.session, year)
    entry = db.session.get(CalendarYear, year)
    form = CalendarYearForm(formdata=None)
    form.holidays.data = calendar_years.format_day_lines(holidays)
    form.workdays.data = calendar_years.format_day_lines(workdays)
    form.complete.data = bool(entry and entry.complete)
    return _render_year(year, form)


@bp.post("/calendar/<int:year>")
def save_calendar_year(year: int):
    """Store the year as listed; when complete, the pending deadlines that reach it get their dates."""
    _year_or_404(year)
    form = CalendarYearForm()
    if not form.validate():
        return _render_year(year, form, 422)
    try:
        saved = calendar_years.save_calendar_year(
            db.session, year,
            holidays=calendar_years.parse_day_lines(form.holidays.data or "", year),
            workdays=calendar_years.parse_day_lines(form.workdays.data or "", year),
            complete=form.complete.data, replace=True, now=utcnow(),
        )
    except CalendarEntryError as refused:
        db.session.rollback()
        form.form_errors.append(str(REFUSALS[refused.code] % {"value": refused.value}))
        return _render_year(year, form, 422)
    db.session.commit()
    if saved.complete:
        flash(_("%(year)d is complete: %(count)d pending deadlines got their dates.", year=year, count=saved.dated),
              "success")
    else:
        flash(_("%(year)d saved as a draft: deadlines reaching it stay pending until it is complete.", year=year),
              "info")
    return redirect(url_for("admin.calendar_year", year=year))
