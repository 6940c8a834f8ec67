"""Administrator-entered working-day years: shared by `flask tracker calendar-year` and the calendar page."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime

import chinese_calendar
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import deadlines
from tracker.models import CalendarDay
from tracker.models import CalendarYear
from tracker.models import Deadline
from tracker.models import utcnow

#: Years an administrator may enter: a sanity bound, not a policy.
FIRST_YEAR = 2000
LAST_YEAR = 2100


class CalendarEntryError(ValueError):
    """A day or a year cannot be entered as given; `.code` says why and `.value` what was given."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(f"{code}: {value}")
        self.code = code
        self.value = value


@dataclass(frozen=True)
class DayEntry:
    """One exception to Monday–Friday: a weekday off or an adjusted working weekend day."""

    day: date
    name: str | None


@dataclass(frozen=True)
class SavedYear:
    """What saving a year did."""

    year: int
    exceptions: int
    complete: bool
    #: Pending deadlines that got their due date because the year became usable.
    dated: int


def package_covers(year: int) -> bool:
    """Whether the calendar package already knows this year (then an entered year would never be read)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def parse_day(text: str, year: int) -> DayEntry:
    """`YYYY-MM-DD`, optionally followed by `=name` or a space and a name, inside the given year."""
    text = text.strip()
    if "=" in text:
        day_text, _, name = text.partition("=")
    else:
        day_text, _, name = text.partition(" ")
    day_text = day_text.strip()
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise CalendarEntryError("not_a_date", day_text) from None
    if day.year != year:
        raise CalendarEntryError("wrong_year", day.isoformat())
    return DayEntry(day=day, name=name.strip()[:100] or None)


def parse_day_lines(text: str, year: int) -> list[DayEntry]:
    """One day per non-empty line, as typed into the calendar page."""
    return [parse_day(line, year) for line in text.splitlines() if line.strip()]


def save_calendar_year(
    session: Session,
    year: int,
    *,
    holidays: Iterable[DayEntry],
    workdays: Iterable[DayEntry],
    complete: bool,
    replace: bool,
    now: datetime | None = None,
) -> SavedYear:
    """Store a year's exceptions; once complete, date the pending deadlines and resolve the year's alert.

    `replace` makes the given days the whole list (the page shows and posts all of them); without it the
    days are added to those already entered (the command is run once per day or a few at a time).
    """
    now = now or utcnow()
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarEntryError("year_out_of_range", str(year))
    wanted: dict[date, tuple[bool, str | None]] = {}
    for entries, is_working in ((holidays, False), (workdays, True)):
        for entry in entries:
            if entry.day.year != year:
                raise CalendarEntryError("wrong_year", entry.day.isoformat())
            if entry.day in wanted and wanted[entry.day][0] != is_working:
                raise CalendarEntryError("listed_twice", entry.day.isoformat())
            wanted[entry.day] = (is_working, entry.name)
    entry_row = session.get(CalendarYear, year) or CalendarYear(year=year)
    session.add(entry_row)
    if replace:
        session.execute(
            delete(CalendarDay)
            .where(CalendarDay.year == year, CalendarDay.day.not_in(list(wanted)))
            .execution_options(synchronize_session="fetch")
        )
    for day, (is_working, name) in sorted(wanted.items()):
        row = session.get(CalendarDay, day) or CalendarDay(day=day, year=year)
        row.is_working_day = is_working
        row.name = name
        session.add(row)
    entry_row.complete = complete
    entry_row.updated_at = now
    session.flush()
    dated = deadlines.recompute_pending(session) if complete else 0
    if complete:
        deadlines.resolve_alert(session, f"calendar:{year}", now=now)
    exceptions = session.scalar(select(func.count()).select_from(CalendarDay).where(CalendarDay.year == year))
    return SavedYear(year=year, exceptions=exceptions or 0, complete=complete, dated=dated)


def year_days(session: Session, year: int) -> tuple[list[CalendarDay], list[CalendarDay]]:
    """The year's entered holidays and adjusted working days, each in date order."""
    rows = session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)).all()
    return [row for row in rows if not row.is_working_day], [row for row in rows if row.is_working_day]


def format_day_lines(rows: Iterable[CalendarDay]) -> str:
    """The textarea form of a list of days, the inverse of parse_day_lines."""
    return "\n".join(f"{row.day.isoformat()} {row.name}".rstrip() if row.name else row.day.isoformat() for row in rows)


@dataclass(frozen=True)
class YearStatus:
    """A row of the calendar page: an entered year or one that pending deadlines are waiting for."""

    year: int
    entered: bool
    complete: bool
    exceptions: int
    updated_at: datetime | None


def calendar_overview(session: Session, *, today: date) -> tuple[list[YearStatus], int]:
    """Every entered year, plus this year and the next when the package does not cover them; and the pending count."""
    counts = dict(
        session.execute(select(CalendarDay.year, func.count()).group_by(CalendarDay.year)).all()
    )
    rows = {
        entry.year: YearStatus(entry.year, True, entry.complete, counts.get(entry.year, 0), entry.updated_at)
        for entry in session.scalars(select(CalendarYear))
    }
    for year in (today.year, today.year + 1):
        if year not in rows and not package_covers(year):
            rows[year] = YearStatus(year, False, False, 0, None)
    pending = session.scalar(
        select(func.count())
        .select_from(Deadline)
        .where(Deadline.calendar_pending.is_(True), Deadline.status.in_(deadlines.OPEN_STATUSES))
    )
    return [rows[year] for year in sorted(rows, reverse=True)], pending or 0
