"""Rate limits kept in the database, so that every app host counts the same attempts."""

from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import ThrottleEvent


class Throttled(Exception):
    """Too many attempts; try again after retry_after seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; retry after {retry_after} s")
        self.retry_after = retry_after


def check(session: Session, keys: list[tuple[str, int]], window: timedelta, *, now: datetime) -> None:
    """Raise Throttled when any key already has its limit of attempts within the window."""
    since = now - window
    for key, limit in keys:
        count, oldest = session.execute(
            select(func.count(ThrottleEvent.id), func.min(ThrottleEvent.occurred_at)).where(
                ThrottleEvent.key == key, ThrottleEvent.occurred_at > since
            )
        ).one()
        if count >= limit:
            retry_after = int((oldest + window - now).total_seconds()) + 1
            raise Throttled(max(retry_after, 1))


def count_attempt(session: Session, keys: list[tuple[str, int]], *, now: datetime) -> None:
    """Record one attempt against every key."""
    for key, _limit in keys:
        session.add(ThrottleEvent(key=key, occurred_at=now))


def forget_older_than(session: Session, cutoff: datetime) -> int:
    """Drop attempts that no window looks at any more (run by the sweep)."""
    return session.execute(delete(ThrottleEvent).where(ThrottleEvent.occurred_at < cutoff)).rowcount
