"""Accounts: creating users, checking passwords, recording logins."""

import unicodedata
from datetime import datetime
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.passwords import password_problems
from tracker.security import dummy_hash
from tracker.security import hash_password
from tracker.security import needs_rehash
from tracker.security import verify_password
from tracker.services import sessions

#: Failed logins allowed within the window, per account and (wider) per client address; the web layer counts them.
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LIMIT_PER_ACCOUNT = 5
LOGIN_LIMIT_PER_ADDRESS = 30


class AccountError(ValueError):
    """An account cannot be created as asked."""


def plain_name(name: str) -> str:
    """A display name on one line: control characters and line breaks become spaces, runs of spaces one."""
    return " ".join("".join(" " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in name).split())


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return email.strip().lower()


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    role: Role,
    display_name: str,
    enterprise: Enterprise | None = None,
    specialty: str | None = None,
) -> User:
    """Create an account with one role; enterprise users must name their enterprise."""
    email = normalise_email(email)
    if role == Role.ENTERPRISE and enterprise is None:
        raise AccountError("an enterprise user belongs to an enterprise")
    if role != Role.ENTERPRISE and enterprise is not None:
        raise AccountError("only enterprise users belong to an enterprise")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError("an account with this e-mail address exists")
    user = User(
        email=email,
        password_hash=hash_password(hasher, password),
        role=str(role),
        display_name=plain_name(display_name),
        enterprise=enterprise,
        specialty=specialty,
        active=True,
    )
    session.add(user)
    return user


def authenticate(
    session: Session,
    hasher: PasswordHasher,
    email: str,
    password: str,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> User | None:
    """Return the active user with these credentials, or None (and log the failure).

    An unknown address is checked against a dummy hash and a disabled account's password is checked too, so that
    every failure costs the same time. A hash in an older format or with older parameters is replaced by one with
    today's argon2id parameters once the password has matched it.
    """
    now = now or utcnow()
    address = normalise_email(email)
    user = session.scalars(select(User).where(User.email == address)).first()
    matches = verify_password(hasher, user.password_hash if user is not None else dummy_hash(hasher), password)
    if user is not None and matches and user.active:
        if needs_rehash(hasher, user.password_hash):
            user.password_hash = hash_password(hasher, password)
        user.last_login_at = now
        session.add(SecurityEvent(kind="login", user_id=user.id, target=user.email, remote_addr=remote_addr))
        return user
    session.add(
        SecurityEvent(
            kind="login_failed",
            user_id=user.id if user is not None else None,
            target=address[:300],
            remote_addr=remote_addr,
        )
    )
    return None


class WeakPassword(AccountError):
    """The password breaks the rules; `.problems` lists the codes of tracker.passwords."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


def register_consumer(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    display_name: str,
    mobile: str | None = None,
) -> User:
    """Open a consumer account after checking the password rules."""
    problems = password_problems(password, email=email)
    if problems:
        raise WeakPassword(problems)
    user = create_user(session, hasher, email=email, password=password, role=Role.CONSUMER,
                       display_name=display_name.strip())
    user.mobile = (mobile or "").strip() or None
    return user


def change_password(
    session: Session,
    hasher: PasswordHasher,
    user: User,
    current_password: str,
    new_password: str,
    *,
    now: datetime,
    current_session_token: str | None,
) -> int:
    """Replace the password after proving the current one, and end every other session of the account.

    Returns how many other sessions were ended.
    """
    if not verify_password(hasher, user.password_hash, current_password):
        raise AccountError("wrong_current_password")
    problems = password_problems(new_password, email=user.email)
    if problems:
        raise WeakPassword(problems)
    user.password_hash = hash_password(hasher, new_password)
    ended = sessions.end_all_sessions(
        session, user, now=now, reason="password_changed", except_token=current_session_token
    )
    session.add(SecurityEvent(kind="password_changed", user_id=user.id, target=user.email, detail=f"ended {ended}"))
    return ended


#: Languages an account's e-mails can be written in.
EMAIL_LOCALES = ("zh", "en")


def set_locale(user: User, locale: str) -> None:
    """The language of the user's e-mails: the one they last chose for the interface."""
    if locale not in EMAIL_LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    user.locale = locale
