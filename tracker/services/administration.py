"""What the administration index counts: the things waiting for an administrator."""

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.deadlines import OPEN_STATUSES
from tracker.models import Alert
from tracker.models import CalendarYear
from tracker.models import Deadline
from tracker.models import Enterprise
from tracker.models import SecurityEvent
from tracker.services.outbox import failed_messages_query


@dataclass(frozen=True)
class Overview:
    """Live counts for the administration index."""

    open_alerts: int
    failed_messages: int
    pending_deadlines: int
    draft_calendar_years: int
    unconfirmed_enterprises: int
    security_events_last_day: int


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def overview(session: Session, *, now: datetime) -> Overview:
    """Count what waits for an administrator, each with one indexed query."""
    return Overview(
        open_alerts=_count(session, select(Alert.id).where(Alert.resolved_at.is_(None))),
        failed_messages=_count(session, failed_messages_query()),
        pending_deadlines=_count(
            session,
            select(Deadline.id).where(Deadline.calendar_pending.is_(True), Deadline.status.in_(OPEN_STATUSES)),
        ),
        draft_calendar_years=_count(session, select(CalendarYear.year).where(CalendarYear.complete.is_(False))),
        unconfirmed_enterprises=_count(
            session,
            select(Enterprise.id).where(Enterprise.confirmed.is_(False), Enterprise.merged_into_id.is_(None)),
        ),
        security_events_last_day=_count(
            session, select(SecurityEvent.id).where(SecurityEvent.occurred_at >= now - timedelta(days=1))
        ),
    )
