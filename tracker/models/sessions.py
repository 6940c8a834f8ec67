"""Server-side sessions: the signed cookie names one of these rows, and only a live row signs anyone in."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class UserSession(db.Model):
    """One signed-in browser; ending it (logout, password change, disabled account) refuses its cookie for good."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 of the random token kept in the cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Absolute lifetime: the session ends then whatever the browser does.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: logout, password_changed, account_disabled, ended_by_user.
    ended_reason: Mapped[str | None] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} ended={self.ended_reason}>"
