"""The security events as the administrators read them: filtered by kind, user and day, page by page."""

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import SecurityEvent
from tracker.models import User
from tracker.working_days import LOCAL_TIMEZONE

#: Events shown per page.
EVENTS_PER_PAGE = 50


@dataclass(frozen=True)
class EventFilter:
    """What the administrator narrowed the log to; days are Beijing days, both ends included."""

    kind: str | None = None
    user_email: str | None = None
    from_day: date | None = None
    to_day: date | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last event's time and id (the log is read newest first)."""

    occurred_at: datetime
    event_id: int

    def encode(self) -> str:
        """The cursor as it travels in a link."""
        return f"{self.occurred_at.isoformat()}_{self.event_id}"

    @classmethod
    def decode(cls, text: str) -> "Cursor | None":
        """A cursor from a link; None for anything that is not one (a tampered link starts from the top)."""
        moment_text, _, id_text = text.rpartition("_")
        try:
            moment = datetime.fromisoformat(moment_text)
            event_id = int(id_text)
        except ValueError:
            return None
        if moment.tzinfo is None or not 2000 <= moment.year <= 2999 or not 0 < event_id < 2**63:
            return None
        return cls(moment, event_id)


@dataclass(frozen=True)
class EventPage:
    """One page of the log and the cursor of the next, if there is one."""

    events: list[tuple[SecurityEvent, str | None]]
    next_cursor: Cursor | None
    #: True when the filter named a user that does not exist (the page is then empty).
    unknown_user: bool = False


def _start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE)


def event_kinds(session: Session) -> list[str]:
    """The kinds of event recorded so far, for the filter's choices."""
    return list(session.scalars(select(SecurityEvent.kind).distinct().order_by(SecurityEvent.kind)))


def security_events(
    session: Session, event_filter: EventFilter, *, after: Cursor | None = None, per_page: int = EVENTS_PER_PAGE
) -> EventPage:
    """The newest events matching the filter, after the cursor; keyset-paginated so deep pages stay cheap."""
    query = (
        select(SecurityEvent, User.email)
        .outerjoin(User, User.id == SecurityEvent.user_id)
        .order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())
    )
    if event_filter.kind:
        query = query.where(SecurityEvent.kind == event_filter.kind)
    if event_filter.user_email:
        user_id = session.scalars(
            select(User.id).where(func.lower(User.email) == event_filter.user_email.strip().lower())
        ).first()
        if user_id is None:
            return EventPage(events=[], next_cursor=None, unknown_user=True)
        query = query.where(SecurityEvent.user_id == user_id)
    if event_filter.from_day:
        query = query.where(SecurityEvent.occurred_at >= _start_of_local_day(event_filter.from_day))
    if event_filter.to_day:
        query = query.where(SecurityEvent.occurred_at < _start_of_local_day(event_filter.to_day + timedelta(days=1)))
    if after is not None:
        query = query.where(
            or_(
                SecurityEvent.occurred_at < after.occurred_at,
                and_(SecurityEvent.occurred_at == after.occurred_at, SecurityEvent.id < after.event_id),
            )
        )
    rows = session.execute(query.limit(per_page + 1)).all()
    events = list(rows[:per_page])
    next_cursor = None
    if len(rows) > per_page:
        last = events[-1][0]
        next_cursor = Cursor(last.occurred_at, last.id)
    return EventPage(events=events, next_cursor=next_cursor)
