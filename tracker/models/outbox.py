"""Notifications waiting to be sent after the transaction that created them commits."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class OutboxMessage(db.Model):
    """An e-mail to send; written in the same transaction as the change it reports."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The sender run holding the message while it talks to the mail server; another run leaves it alone.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    #: When that claim lapses, so a message held by a sender that died is taken again.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: After a failure, no attempt before this time (the wait grows with the attempts, up to an hour).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage to={self.recipient} {self.subject!r}>"
