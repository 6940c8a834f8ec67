"""The append-only, hash-chained audit trail and the log of refused access."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm import validates

from tracker.extensions import db
from tracker.logs import single_line
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class Visibility(StrEnum):
    """Who may read an audit event."""

    PARTIES = "parties"
    STAFF = "staff"


class AuditEvent(db.Model):
    """One link of a case's chain; the database refuses UPDATE and DELETE on this table."""

    __tablename__ = "audit_events"
    #: (case_id, seq) is unique, so two writers can never both extend the same link.
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: Position in the case's chain, starting at 1.
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None for the system (deadline sweeps).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    #: Canonical JSON exactly as hashed; personal data appears only as digests.
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User")
    case = relationship("Case")

    def __repr__(self) -> str:
        return f"<AuditEvent case={self.case_id} #{self.seq} {self.action}>"


class SecurityEvent(db.Model):
    """A refused access or failed login, kept for the administrators."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: What was asked for, e.g. the path or case number.
    target: Mapped[str] = mapped_column(String(300))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    #: The actor's role ("anonymous" for a visitor), filled in from the request that caused the event.
    role: Mapped[str | None] = mapped_column(String(20))
    #: The X-Request-ID of that request, to find its log lines.
    request_id: Mapped[str | None] = mapped_column(String(64))

    @validates("target", "detail")
    def _one_line(self, key: str, value: str | None) -> str | None:
        """What a visitor typed is stored with its control characters escaped, so it never forges a line."""
        return single_line(value, 300 if key == "target" else None)

    def __repr__(self) -> str:
        return f"<SecurityEvent {self.kind} {self.target}>"
