"""Invitations: single-use, expiring links by which staff, experts and enterprise users open their accounts.

Only the SHA-256 of a link's token is stored; the token itself travels once, in the e-mail, through the outbox.
Accounts are never created with a password chosen by someone else, and disabling one ends its sessions because
the user loader refuses an inactive account on every request.
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker.models import Enterprise
from tracker.models import Invitation
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.notifications import queue_message
from tracker.passwords import password_problems
from tracker.services import accounts
from tracker.services import sessions
from tracker.services.accounts import WeakPassword

#: How long an invitation link works.
INVITATION_LIFETIME = timedelta(days=7)

#: Roles an administrator invites; consumers register themselves.
ADMIN_INVITABLE_ROLES = (Role.OFFICER, Role.ADMIN, Role.EXPERT, Role.ENTERPRISE)

#: Roles an administrator may move an account between; an enterprise or consumer account keeps its role.
CHANGEABLE_ROLES = (Role.OFFICER, Role.ADMIN, Role.EXPERT)


class InvitationError(ValueError):
    """An invitation or an account change refused; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def hash_token(token: str) -> str:
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _log(session: Session, kind: str, actor: User, target: str, now: datetime, detail: str | None = None) -> None:
    """Account administration leaves a trace in the security log the administrators read."""
    session.add(SecurityEvent(kind=kind, user_id=actor.id, target=target[:300], detail=detail, occurred_at=now))


def _check_inviter(inviter: User, role: Role, enterprise: Enterprise | None) -> None:
    """Administrators invite anyone but consumers; an enterprise user invites colleagues of their own enterprise."""
    if inviter.role == Role.ADMIN:
        if role not in ADMIN_INVITABLE_ROLES:
            raise InvitationError("role")
    elif inviter.role == Role.ENTERPRISE:
        if role != Role.ENTERPRISE or enterprise is None or enterprise.id != inviter.enterprise_id:
            raise InvitationError("not_allowed")
    else:
        raise InvitationError("not_allowed")
    if role == Role.ENTERPRISE and enterprise is None:
        raise InvitationError("enterprise_missing")
    if role != Role.ENTERPRISE and enterprise is not None:
        raise InvitationError("enterprise_not_allowed")


def invite(
    session: Session,
    inviter: User,
    *,
    email: str,
    role: Role | str,
    enterprise: Enterprise | None = None,
    now: datetime,
    link_for: Callable[[str], str],
) -> Invitation:
    """Invite an address to open an account of the role; a newer invitation replaces any pending one.

    `link_for(token)` builds the absolute URL of the acceptance page (the web layer knows the host).
    """
    role = Role(role)
    email = accounts.normalise_email(email)
    _check_inviter(inviter, role, enterprise)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise InvitationError("exists")
    session.execute(
        update(Invitation)
        .where(Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=hash_token(token),
        email=email,
        role=str(role),
        enterprise=enterprise,
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    queue_message(session, email, *_invitation_email(invitation, inviter, link_for(token)))
    _log(session, "invitation_sent", inviter, email, now, detail=str(role))
    return invitation


def _invitation_email(invitation: Invitation, inviter: User, link: str) -> tuple[str, str]:
    """Subject and body, in Chinese and English: the recipient has no account, so no language of their own yet."""
    where = f"（{invitation.enterprise.name}）" if invitation.enterprise is not None else ""
    where_en = f" ({invitation.enterprise.name})" if invitation.enterprise is not None else ""
    expires = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    subject = "[Case Tracker] 账户邀请 / You are invited to open an account"
    body = (
        f"{inviter.display_name} 邀请您开通案件系统账户{where}。\n"
        f"请打开以下链接，填写姓名并设置密码。链接只能使用一次，有效期至 {expires}。\n\n"
        f"{link}\n\n"
        f"{inviter.display_name} invites you to open a Case Tracker account{where_en}.\n"
        f"Open the link above, enter your name and choose a password. It works once, until {expires}.\n"
    )
    return subject, body


def pending_invitation(session: Session, token: str, *, now: datetime) -> Invitation:
    """The invitation behind a link, if it can still be used; raises InvitationError("invalid"/"used"/"expired")."""
    invitation = session.scalars(select(Invitation).where(Invitation.token_hash == hash_token(token))).first()
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationError("invalid")
    if invitation.accepted_at is not None:
        raise InvitationError("used")
    if now >= invitation.expires_at:
        raise InvitationError("expired")
    return invitation


def accept_invitation(
    session: Session,
    hasher: PasswordHasher,
    token: str,
    *,
    display_name: str,
    password: str,
    now: datetime,
) -> User:
    """Use the link once: open the account with the invited role (and enterprise), the name and the password.

    The link is marked used by a conditional UPDATE, so two clicks racing each other open one account.
    """
    invitation = pending_invitation(session, token, now=now)
    problems = password_problems(password, email=invitation.email)
    if problems:
        raise WeakPassword(problems)
    if not display_name.strip():
        raise InvitationError("name")
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if claimed.rowcount != 1:
        raise InvitationError("used")
    try:
        user = accounts.create_user(
            session, hasher, email=invitation.email, password=password, role=Role(invitation.role),
            display_name=display_name.strip(), enterprise=invitation.enterprise,
        )
    except accounts.AccountError as exists:
        raise InvitationError("exists") from exists
    user.created_at = now
    invitation.accepted_user = user
    session.flush()
    _log(session, "invitation_accepted", user, invitation.email, now, detail=invitation.role)
    return user


def users_query(
    *, role: str | None = None, enterprise_id: int | None = None, active: bool | None = None, text: str | None = None
) -> Select:
    """Accounts for the administrators' list, filtered, newest first."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role:
        query = query.where(User.role == role)
    if enterprise_id is not None:
        query = query.where(User.enterprise_id == enterprise_id)
    if active is not None:
        query = query.where(User.active.is_(active))
    if text:
        pattern = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(User.email).like(pattern), func.lower(User.display_name).like(pattern)))
    return query


def pending_invitations(session: Session, *, now: datetime, enterprise_id: int | None = None) -> list[Invitation]:
    """Invitations not yet used, withdrawn or expired, newest first (one enterprise's, or all)."""
    query = select(Invitation).where(
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now
    )
    if enterprise_id is not None:
        query = query.where(Invitation.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(Invitation.created_at.desc(), Invitation.id.desc())))


def change_role(session: Session, admin: User, user: User, role: Role | str, *, now: datetime) -> None:
    """Move a staff or expert account to another of those roles; enterprise and consumer accounts keep theirs."""
    role = Role(role)
    if admin.role != Role.ADMIN:
        raise InvitationError("not_allowed")
    if user.id == admin.id:
        raise InvitationError("self")
    if user.role not in CHANGEABLE_ROLES or role not in CHANGEABLE_ROLES:
        raise InvitationError("fixed_role")
    if user.role == role:
        return
    _log(session, "role_changed", admin, user.email, now, detail=f"{user.role} -> {role}")
    user.role = str(role)


def set_active(session: Session, actor: User, user: User, active: bool, *, now: datetime) -> None:
    """Disable or enable an account: administrators any but their own, enterprise users their colleagues."""
    if user.id == actor.id:
        raise InvitationError("self")
    if actor.role == Role.ENTERPRISE:
        if user.role != Role.ENTERPRISE or user.enterprise_id != actor.enterprise_id:
            raise InvitationError("not_allowed")
    elif actor.role != Role.ADMIN:
        raise InvitationError("not_allowed")
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.end_all_sessions(session, user, now=now, reason="account_disabled")
    _log(session, "account_enabled" if active else "account_disabled", actor, user.email, now)


def colleagues(session: Session, enterprise_id: int) -> list[User]:
    """The enterprise's active users, by name."""
    return list(session.scalars(
        select(User)
        .where(User.enterprise_id == enterprise_id, User.role == Role.ENTERPRISE, User.active.is_(True))
        .order_by(User.display_name, User.id)
    ))
