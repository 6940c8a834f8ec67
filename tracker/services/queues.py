"""The officer's queues: which open cases each holds, filtered, sorted and paged by keyset (decision record 0007)."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement
from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from tracker.models import NO_DUE_DATE
from tracker.models import Case
from tracker.models import CaseQueueEntry
from tracker.models import Enterprise
from tracker.models import User
from tracker.models import UTCDateTime
from tracker.working_days import LOCAL_TIMEZONE
from tracker.working_days import CalendarUnavailable
from tracker.working_days import WorkingCalendar

#: Every queue, in the order the workspace lists them, with its heading.
QUEUES = {
    "new": _l("New and unassigned"),
    "mine": _l("Mine"),
    "awaiting_applicant": _l("Awaiting the applicant"),
    "waiting_enterprise": _l("Waiting on the enterprise"),
    "mediation": _l("In mediation"),
    "expert_review": _l("In expert review"),
    "due_soon": _l("Due within 2 working days"),
    "overdue": _l("Overdue"),
    "open": _l("All open"),
}

SORTS = {"due": _l("Due date"), "filed": _l("Filing date"), "number": _l("Case number")}

#: "Due soon" means due today or within this many working days.
DUE_SOON_WORKING_DAYS = 2
PER_PAGE = 25
#: The menu's counts stop here and show as "1000+", so that no request counts a million rows (decision record 0007).
COUNT_CAP = 1000


class InvalidCursor(ValueError):
    """The `after` parameter is not a cursor this page handed out."""


@dataclass(frozen=True)
class QueueFilters:
    """What narrows a queue; None means any."""

    kind: str | None = None
    state: str | None = None
    enterprise_id: int | None = None
    category: str | None = None
    officer_id: int | None = None
    filed_from: date | None = None
    filed_to: date | None = None


@dataclass(frozen=True)
class QueueRow:
    """One case of a page, with its queue row (due date, escalation)."""

    case: Case
    entry: CaseQueueEntry


@dataclass(frozen=True)
class QueuePage:
    """A page of a queue and the cursor of the next one (None on the last page)."""

    rows: list[QueueRow]
    next_cursor: str | None


def due_soon_limit(today: date, calendar: WorkingCalendar) -> date:
    """The last day that still counts as due soon; calendar days when the year is not known yet."""
    try:
        return calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
    except CalendarUnavailable:
        return today + timedelta(days=DUE_SOON_WORKING_DAYS)


def queue_conditions(name: str, officer: User, today: date, calendar: WorkingCalendar) -> list[ColumnElement]:
    """The WHERE clauses of a queue over case_queue_entries, which holds open cases only."""
    entry = CaseQueueEntry
    if name == "new":
        return [entry.assigned_officer_id.is_(None)]
    if name == "mine":
        return [entry.assigned_officer_id == officer.id]
    if name in ("awaiting_applicant", "waiting_enterprise", "mediation", "expert_review"):
        return [entry.stage == name]
    if name == "due_soon":
        return [entry.next_due_on >= today, entry.next_due_on <= due_soon_limit(today, calendar)]
    if name == "overdue":
        return [entry.next_due_on < today]
    if name == "open":
        return []
    raise KeyError(name)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE)


def filter_conditions(filters: QueueFilters) -> list[ColumnElement]:
    """The WHERE clauses of the filters; filing dates are Beijing days."""
    entry = CaseQueueEntry
    conditions = []
    if filters.kind:
        conditions.append(entry.kind == filters.kind)
    if filters.state:
        conditions.append(entry.state == filters.state)
    if filters.enterprise_id is not None:
        conditions.append(entry.enterprise_id == filters.enterprise_id)
    if filters.category:
        conditions.append(entry.category == filters.category)
    if filters.officer_id is not None:
        conditions.append(entry.assigned_officer_id == filters.officer_id)
    if filters.filed_from is not None:
        conditions.append(entry.filed_at >= _local_midnight(filters.filed_from))
    if filters.filed_to is not None:
        conditions.append(entry.filed_at < _local_midnight(filters.filed_to + timedelta(days=1)))
    return conditions


def encode_cursor(values: list) -> str:
    """An opaque token for the position after a row."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple:
    """The sort key a cursor holds, checked against the sort it was made for ("search": a case id)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if sort == "search":
            (case_id,) = values
            if not isinstance(case_id, int) or isinstance(case_id, bool):
                raise InvalidCursor(token)
            return (case_id,)
        if sort == "number":
            (number,) = values
            if not isinstance(number, str):
                raise InvalidCursor(token)
            return (number,)
        key, case_id = values
        if not isinstance(key, str) or not isinstance(case_id, int) or isinstance(case_id, bool):
            raise InvalidCursor(token)
        if sort == "due":
            return (date.fromisoformat(key), case_id)
        moment = datetime.fromisoformat(key)
        if moment.tzinfo is None:
            raise InvalidCursor(token)
        return (moment, case_id)
    except (ValueError, TypeError, OverflowError, UnicodeError, binascii.Error) as bad:
        raise InvalidCursor(token) from bad


def _cursor_of(entry: CaseQueueEntry, sort: str) -> str:
    if sort == "number":
        return encode_cursor([entry.number])
    if sort == "due":
        return encode_cursor([entry.next_due_on.isoformat(), entry.case_id])
    return encode_cursor([entry.filed_at.isoformat(), entry.case_id])


def _ordered(query, sort: str, after: tuple | None):
    """Order by the sort's index and start after the cursor: due and number ascending, filing newest first."""
    entry = CaseQueueEntry
    if sort == "number":
        if after is not None:
            query = query.where(entry.number > after[0])
        return query.order_by(entry.number)
    if sort == "due":
        if after is not None:
            bound = tuple_(literal(after[0], Date()), literal(after[1], Integer()))
            query = query.where(tuple_(entry.next_due_on, entry.case_id) > bound)
        return query.order_by(entry.next_due_on, entry.case_id)
    if after is not None:
        bound = tuple_(literal(after[0], UTCDateTime()), literal(after[1], Integer()))
        query = query.where(tuple_(entry.filed_at, entry.case_id) < bound)
    return query.order_by(entry.filed_at.desc(), entry.case_id.desc())


def list_queue(
    session: Session,
    name: str,
    officer: User,
    *,
    filters: QueueFilters,
    sort: str,
    after: str | None,
    today: date,
    calendar: WorkingCalendar,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """One page of a queue: the keyset walks an index from the cursor, so every page costs the same."""
    if sort not in SORTS:
        raise KeyError(sort)
    position = decode_cursor(after, sort) if after else None
    query = select(CaseQueueEntry).where(
        *queue_conditions(name, officer, today, calendar), *filter_conditions(filters)
    )
    entries = session.scalars(_ordered(query, sort, position).limit(per_page + 1)).all()
    more = len(entries) > per_page
    entries = entries[:per_page]
    cases = {
        case.id: case
        for case in session.scalars(
            select(Case)
            .where(Case.id.in_([entry.case_id for entry in entries]))
            .options(joinedload(Case.enterprise), joinedload(Case.assigned_officer))
        )
    } if entries else {}
    return QueuePage(
        rows=[QueueRow(case=cases[entry.case_id], entry=entry) for entry in entries],
        next_cursor=_cursor_of(entries[-1], sort) if more else None,
    )


def count_queue(
    session: Session, name: str, officer: User, *, today: date, calendar: WorkingCalendar, cap: int = COUNT_CAP
) -> int:
    """How many cases the queue holds, counting at most `cap` + 1 index entries."""
    return session.scalar(_capped_count(name, officer, today=today, calendar=calendar, cap=cap))


def _capped_count(name: str, officer: User, *, today: date, calendar: WorkingCalendar, cap: int) -> Select:
    capped = (
        select(CaseQueueEntry.case_id)
        .where(*queue_conditions(name, officer, today, calendar))
        .limit(cap + 1)
        .subquery()
    )
    return select(func.count()).select_from(capped)


def queue_counts(session: Session, officer: User, *, today: date, calendar: WorkingCalendar) -> dict[str, int]:
    """Every queue's (capped) count, for the workspace's menu: one statement, each count a capped subquery."""
    counts = session.execute(select(*(
        _capped_count(name, officer, today=today, calendar=calendar, cap=COUNT_CAP).scalar_subquery()
        for name in QUEUES
    ))).one()
    return dict(zip(QUEUES, counts, strict=True))


def filter_enterprises(session: Session, *, limit: int) -> list[Enterprise]:
    """Confirmed enterprises by name, for the queue filter's list."""
    return list(
        session.scalars(select(Enterprise).where(Enterprise.confirmed.is_(True)).order_by(Enterprise.name).limit(limit))
    )


def no_due_date(day: date) -> bool:
    """Whether a queue row's due date is the placeholder for "no dated clock"."""
    return day == NO_DUE_DATE
