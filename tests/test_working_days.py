"""Working days follow the Chinese calendar with adjusted weekends, and never guess a year nobody published."""

from datetime import date

import pytest

from tracker.working_days import CalendarUnavailable
from tracker.working_days import WorkingCalendar


def test_seven_working_days_from_tuesday_10_february_2026_end_on_thursday_26_february():
    # Spring Festival 2026: 15–23 February off; Saturday 14 February is an adjusted working day.
    assert WorkingCalendar().add_working_days(date(2026, 2, 10), 7) == date(2026, 2, 26)


def test_an_adjusted_working_saturday_counts_and_a_holiday_weekday_does_not():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2026, 2, 14))
    assert not calendar.is_working_day(date(2026, 2, 16))
    assert not calendar.is_working_day(date(2026, 10, 1))


def test_working_days_between_counts_the_half_open_interval():
    calendar = WorkingCalendar()
    assert calendar.working_days_between(date(2026, 3, 2), date(2026, 3, 5)) == 3
    assert calendar.working_days_between(date(2026, 3, 5), date(2026, 3, 2)) == 0


def test_a_year_the_package_does_not_cover_is_not_guessed():
    with pytest.raises(CalendarUnavailable) as raised:
        WorkingCalendar().add_working_days(date(2026, 12, 28), 7)
    assert raised.value.year == 2027


def test_an_entered_year_is_used_with_its_holidays_and_adjusted_days():
    entered = {2027: {date(2027, 1, 1): False, date(2027, 1, 4): False, date(2027, 1, 9): True}}
    calendar = WorkingCalendar(entered)
    # 1 Jan (Fri) and 4 Jan (Mon) off; Saturday 9 Jan worked.
    assert calendar.add_working_days(date(2026, 12, 31), 3) == date(2027, 1, 7)
    assert calendar.add_working_days(date(2027, 1, 7), 2) == date(2027, 1, 9)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        WorkingCalendar().add_working_days(date(2026, 3, 2), -1)
