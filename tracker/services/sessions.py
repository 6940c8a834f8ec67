"""Server-side sessions: started at login, checked on every request, ended by logout, a new password or disabling."""

import hashlib
import secrets
from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker.models import User
from tracker.models import UserSession

#: Marks a session token wherever it turns up, so that a scan of logs or pastes can recognise one.
TOKEN_PREFIX = "tks_"  # noqa: S105 - a marker, not a secret


def token_digest(token: str) -> str:
    """What the table keeps of a session token: a stolen database dump signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, *, now: datetime, lifetime: timedelta) -> str:
    """A new session for the user; returns the token the cookie carries (a fresh one at every login)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=token_digest(token), created_at=now, expires_at=now + lifetime))
    return token


def live_session_and_account(
    session: Session, user_id: int, token: str, *, now: datetime
) -> tuple[UserSession, User] | None:
    """The live session row this token names for this user, with the account, in one statement (every request asks)."""
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_digest(token))
    ).first()
    if found is None:
        return None
    row, account = found
    if row.user_id != user_id or row.ended_at is not None or row.expires_at <= now:
        return None
    return row, account


def end_session(session: Session, token: str, *, now: datetime, reason: str = "logout") -> None:
    """End the one session this token names (logout)."""
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_digest(token), UserSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


def end_all_sessions(
    session: Session, user: User, *, now: datetime, reason: str, except_token: str | None = None
) -> int:
    """End every open session of the user but the one named (after a password change, or when disabling the account)."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if except_token is not None:
        query = query.where(UserSession.token_hash != token_digest(except_token))
    return session.execute(query.values(ended_at=now, ended_reason=reason)).rowcount


def forget_sessions_over_before(session: Session, cutoff: datetime) -> int:
    """Delete sessions that ended or expired before `cutoff`: they sign no one in and only grow the table.

    Logins and refusals stay in `security_events`; a session row is kept only as long as it could matter.
    """
    over = or_(UserSession.ended_at < cutoff, UserSession.expires_at < cutoff)
    return session.execute(delete(UserSession).where(over)).rowcount
