"""The outbox as the administrators see it: messages that failed, and a retry that makes one eligible again."""

from sqlalchemy import Select
from sqlalchemy import or_
from sqlalchemy import select

from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import User
from tracker.notifications import MAX_ATTEMPTS


class OutboxError(ValueError):
    """A message cannot be retried; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_failed(message: OutboxMessage) -> bool:
    """Unsent, and either given up on or last refused by the mail server."""
    return message.sent_at is None and (message.attempts >= MAX_ATTEMPTS or message.last_error is not None)


def failed_messages_query() -> Select:
    """Unsent messages that the sender gave up on or that failed at their last attempt, newest first."""
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.attempts >= MAX_ATTEMPTS, OutboxMessage.last_error.is_not(None)),
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )


def retry_message(message: OutboxMessage, actor: User) -> OutboxMessage:
    """Give a failed message a fresh set of attempts; the next send-outbox run takes it like a new one."""
    if actor.role != Role.ADMIN:
        raise OutboxError("not_admin")
    if message.sent_at is not None:
        raise OutboxError("already_sent")
    if not is_failed(message):
        raise OutboxError("not_failed")
    message.attempts = 0
    message.last_error = None
    message.next_attempt_at = None  # not after the back-off the sender set: now
    return message
