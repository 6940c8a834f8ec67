"""Accounts: creating users, checking passwords, recording logins."""

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
from tracker.security import hash_password
from tracker.security import verify_password
from tracker.services import throttle

#: Failed logins allowed within the window, per client address and per account.
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LIMIT_PER_ADDRESS = 30
LOGIN_LIMIT_PER_ACCOUNT = 10


class AccountError(ValueError):
    """An account cannot be created as asked."""


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
        display_name=display_name,
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
    """Return the active user with these credentials, or None (and log and count the failure).

    Raises Throttled after too many failures for the address or the account within the window,
    before checking the password, so that guessing gets no answers.
    """
    now = now or utcnow()
    keys = [
        (f"login:ip:{remote_addr or 'unknown'}", LOGIN_LIMIT_PER_ADDRESS),
        (f"login:account:{normalise_email(email)[:150]}", LOGIN_LIMIT_PER_ACCOUNT),
    ]
    throttle.check(session, keys, LOGIN_WINDOW, now=now)
    user = session.scalars(select(User).where(User.email == normalise_email(email))).first()
    if user is not None and user.active and verify_password(hasher, user.password_hash, password):
        user.last_login_at = now
        return user
    throttle.count_attempt(session, keys, now=now)
    session.add(
        SecurityEvent(
            kind="login_failed",
            user_id=user.id if user is not None else None,
            target=normalise_email(email)[:300],
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
    session: Session, hasher: PasswordHasher, user: User, current_password: str, new_password: str
) -> None:
    """Replace the password after proving the current one."""
    if not verify_password(hasher, user.password_hash, current_password):
        raise AccountError("wrong_current_password")
    problems = password_problems(new_password, email=user.email)
    if problems:
        raise WeakPassword(problems)
    user.password_hash = hash_password(hasher, new_password)


#: Languages an account's e-mails can be written in.
EMAIL_LOCALES = ("zh", "en")


def set_locale(user: User, locale: str) -> None:
    """The language of the user's e-mails: the one they last chose for the interface."""
    if locale not in EMAIL_LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    user.locale = locale
