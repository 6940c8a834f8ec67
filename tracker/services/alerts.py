"""Alerts the administrators act on: listed open or resolved, resolved with a note saying what was done."""

from datetime import datetime

from sqlalchemy import Select
from sqlalchemy import select

from tracker.models import Alert
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow

#: Longest resolution note.
MAX_NOTE_LENGTH = 2000


class AlertError(ValueError):
    """An alert cannot be resolved as asked; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def alert_query(*, resolved: bool) -> Select:
    """Open alerts oldest first (the longest waiting on top), or resolved ones newest first."""
    if resolved:
        return select(Alert).where(Alert.resolved_at.is_not(None)).order_by(Alert.resolved_at.desc(), Alert.id.desc())
    return select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.created_at, Alert.id)


def resolve_alert(alert: Alert, actor: User, note: str, *, now: datetime | None = None) -> Alert:
    """Close an open alert, keeping who closed it and why."""
    if actor.role != Role.ADMIN:
        raise AlertError("not_admin")
    note = note.strip()
    if not note:
        raise AlertError("note_missing")
    if len(note) > MAX_NOTE_LENGTH:
        raise AlertError("note_too_long")
    if alert.resolved_at is not None:
        raise AlertError("already_resolved")
    alert.resolved_at = now or utcnow()
    alert.resolved_by_id = actor.id
    alert.resolution_note = note
    return alert
