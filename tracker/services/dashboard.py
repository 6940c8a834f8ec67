"""The figures of the officers' dashboard, each read through an index (decision record 0009)."""

import statistics
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from tracker.models import Case
from tracker.models import CaseQueueEntry
from tracker.models import User
from tracker.services import queues
from tracker.working_days import LOCAL_TIMEZONE
from tracker.working_days import CalendarUnavailable
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

WEEKS = 12
#: The medians are over cases accepted (or closed) in this many recent days, at most SAMPLE_LIMIT of them.
MEDIAN_WINDOW_DAYS = 90
SAMPLE_LIMIT = 5000
ESCALATED_SHOWN = 10
#: The dashboard counts overdue and due-soon cases further than the menu does (still bounded).
DASHBOARD_COUNT_CAP = 100000


@dataclass(frozen=True)
class WeekCount:
    """Cases filed in one week (Monday to Sunday, Beijing days)."""

    monday: date
    count: int


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard draws."""

    open_by_state: list[tuple[str, int]]
    open_by_kind: list[tuple[str, int]]
    overdue: int
    due_soon: int
    escalated: int
    escalated_entries: list[CaseQueueEntry]
    filings_per_week: list[WeekCount]
    median_days_to_acceptance: float | None
    median_days_to_closure: float | None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE)


def filings_per_week(session: Session, today: date, weeks: int = WEEKS) -> list[WeekCount]:
    """One range count per week on the filing-date index, oldest week first."""
    this_monday = today - timedelta(days=today.weekday())
    counts = []
    for back in range(weeks - 1, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        count = session.scalar(
            select(func.count()).select_from(Case).where(
                Case.filed_at >= _local_midnight(monday), Case.filed_at < _local_midnight(monday + timedelta(weeks=1))
            )
        )
        counts.append(WeekCount(monday=monday, count=count))
    return counts


def _median_working_days(
    session: Session, end_column, since: datetime, calendar: WorkingCalendar
) -> float | None:
    """Median working days from filing to the moment in end_column, over the most recent sample."""
    pairs = session.execute(
        select(Case.filed_at, end_column)
        .where(end_column >= since)
        .order_by(end_column.desc())
        .limit(SAMPLE_LIMIT)
    ).all()
    spans = []
    for filed_at, ended_at in pairs:
        try:
            spans.append(calendar.working_days_between(local_date(filed_at), local_date(ended_at)))
        except CalendarUnavailable:
            continue
    return statistics.median(spans) if spans else None


def build_dashboard(session: Session, officer: User, *, today: date, calendar: WorkingCalendar) -> Dashboard:
    """Open cases by state and kind, the deadline figures, twelve weeks of filings, and the two medians."""
    by_state_kind = session.execute(
        select(CaseQueueEntry.state, CaseQueueEntry.kind, func.count())
        .group_by(CaseQueueEntry.state, CaseQueueEntry.kind)
    ).all()
    by_state: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for state, kind, count in by_state_kind:
        by_state[state] = by_state.get(state, 0) + count
        by_kind[kind] = by_kind.get(kind, 0) + count
    escalated = select(CaseQueueEntry).where(CaseQueueEntry.escalated.is_(True))
    since = _local_midnight(today - timedelta(days=MEDIAN_WINDOW_DAYS))
    return Dashboard(
        open_by_state=sorted(by_state.items(), key=lambda item: (-item[1], item[0])),
        open_by_kind=sorted(by_kind.items(), key=lambda item: (-item[1], item[0])),
        overdue=queues.count_queue(
            session, "overdue", officer, today=today, calendar=calendar, cap=DASHBOARD_COUNT_CAP
        ),
        due_soon=queues.count_queue(
            session, "due_soon", officer, today=today, calendar=calendar, cap=DASHBOARD_COUNT_CAP
        ),
        escalated=session.scalar(
            select(func.count()).select_from(escalated.with_only_columns(CaseQueueEntry.case_id).subquery())
        ),
        escalated_entries=list(
            session.scalars(
                escalated.order_by(CaseQueueEntry.next_due_on, CaseQueueEntry.case_id).limit(ESCALATED_SHOWN)
            )
        ),
        filings_per_week=filings_per_week(session, today),
        median_days_to_acceptance=_median_working_days(session, Case.accepted_at, since, calendar),
        median_days_to_closure=_median_working_days(session, Case.closed_at, since, calendar),
    )


@dataclass(frozen=True)
class EscalatedRow:
    """An escalated case with its queue row, for the dashboard's list (same shape as a queue row)."""

    case: Case
    entry: CaseQueueEntry


def cases_of(session: Session, entries: list[CaseQueueEntry]) -> list[EscalatedRow]:
    """Load the cases of queue rows in one query, keeping the rows' order."""
    if not entries:
        return []
    cases = {
        case.id: case
        for case in session.scalars(
            select(Case).where(Case.id.in_([entry.case_id for entry in entries]))
            .options(joinedload(Case.enterprise), joinedload(Case.assigned_officer))
        )
    }
    return [EscalatedRow(case=cases[entry.case_id], entry=entry) for entry in entries]
