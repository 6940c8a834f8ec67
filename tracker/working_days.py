"""Chinese working days: the calendar package first, then years the administrators entered, never a guess."""

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import CalendarDay
from tracker.models import CalendarYear

#: Deadlines are counted in the days of the place the procedure runs in.
LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")

#: A limit long enough to find a due date; guards against an endless loop on bad data.
_MAX_SCAN_DAYS = 3 * 366


def local_date(moment: datetime) -> date:
    """The calendar day in China at this moment (a filing at 00:30 Beijing time is already the next day)."""
    return moment.astimezone(LOCAL_TIMEZONE).date()


class CalendarUnavailable(LookupError):
    """No source knows the working days of this year yet."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no working-day calendar for {year}")
        self.year = year


class WorkingCalendar:
    """Answers whether a day is a working day, including adjusted working weekends (调休)."""

    def __init__(self, entered_years: Mapping[int, Mapping[date, bool]] | None = None) -> None:
        #: year -> {day: is_working_day} for complete years the administrators entered.
        self._entered_years = dict(entered_years or {})

    @classmethod
    def from_session(cls, session: Session) -> "WorkingCalendar":
        """Load every complete administrator-entered year (a few dozen rows a year)."""
        years = session.scalars(select(CalendarYear.year).where(CalendarYear.complete)).all()
        entered: dict[int, dict[date, bool]] = {year: {} for year in years}
        if years:
            rows = session.execute(
                select(CalendarDay.day, CalendarDay.is_working_day).where(
                    CalendarDay.year.in_(years)
                )
            )
            for day, is_working in rows:
                entered[day.year][day] = is_working
        return cls(entered)

    def is_working_day(self, day: date) -> bool:
        """True on a working day; raises CalendarUnavailable for a year nobody has published data for."""
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            pass
        exceptions = self._entered_years.get(day.year)
        if exceptions is None:
            raise CalendarUnavailable(day.year)
        return exceptions.get(day, day.weekday() < 5)

    def add_working_days(self, start: date, count: int) -> date:
        """The day on which `count` working days after `start` have elapsed (counting from the next day)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        remaining = count
        for _ in range(_MAX_SCAN_DAYS):
            if remaining == 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        raise ValueError(f"no due date within {_MAX_SCAN_DAYS} days of {start}")

    def first_working_day_from(self, day: date) -> date:
        """The day itself when it is a working day, otherwise the next one."""
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days of {day}")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the interval (start, end]; zero when end is not after start."""
        total = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                total += 1
        return total
