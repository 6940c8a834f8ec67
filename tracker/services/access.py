"""Who may see which case: the one place that answers it, for pages, downloads and the API."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import Message
from tracker.models import PanelMember
from tracker.models import ReportRound
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import Visibility
from tracker.working_days import local_date


def can_view_case(case: Case, user: User | None) -> bool:
    """Staff see every case; the applicant theirs; the enterprise once accepted; experts while on the panel."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role in (Role.OFFICER, Role.ADMIN):
        return True
    if user.role == Role.CONSUMER:
        return case.applicant_id == user.id
    if user.role == Role.ENTERPRISE:
        return (
            user.enterprise_id is not None
            and case.enterprise_id == user.enterprise_id
            and case.accepted_at is not None
        )
    if user.role == Role.EXPERT:
        return any(member.expert_id == user.id for member in case.active_panel) or _body_works_on(case, user)
    return False


def _body_works_on(case: Case, user: User) -> bool:
    """An inspection body's staff see the cases of which their body carries out a round."""
    return user.inspection_body_id is not None and any(
        report_round.inspection_body_id == user.inspection_body_id for report_round in case.report_rounds
    )


def is_staff_viewer(user: User | None) -> bool:
    """Staff read staff-only events and internal notes."""
    return user is not None and getattr(user, "is_authenticated", False) and user.role in (Role.OFFICER, Role.ADMIN)


def visible_cases(user: User) -> Select:
    """The query of every case the user may list, newest first."""
    query = select(Case).order_by(Case.filed_at.desc(), Case.id.desc())
    if user.role in (Role.OFFICER, Role.ADMIN):
        return query
    if user.role == Role.CONSUMER:
        return query.where(Case.applicant_id == user.id)
    if user.role == Role.ENTERPRISE:
        if user.enterprise_id is None:
            return query.where(false())
        return query.where(Case.enterprise_id == user.enterprise_id, Case.accepted_at.is_not(None))
    if user.role == Role.EXPERT:
        panel_cases = select(PanelMember.case_id).where(
            PanelMember.expert_id == user.id, PanelMember.recused_at.is_(None)
        )
        body_cases = select(ReportRound.case_id).where(
            ReportRound.inspection_body_id.is_not(None), ReportRound.inspection_body_id == user.inspection_body_id
        )
        return query.where(or_(Case.id.in_(panel_cases), Case.id.in_(body_cases)))
    return query.where(false())


def visible_events(session: Session, case: Case, viewer: User) -> list[AuditEvent]:
    """The case's audit trail in order; parties read only the events marked for them."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id)
        .order_by(AuditEvent.seq)
        .options(joinedload(AuditEvent.actor))
    )
    if not is_staff_viewer(viewer):
        query = query.where(AuditEvent.visibility == Visibility.PARTIES.value)
    return list(session.scalars(query))


def visible_messages(session: Session, case: Case, viewer: User) -> list[Message]:
    """The case's messages in order; internal notes only for staff."""
    query = (
        select(Message)
        .where(Message.case_id == case.id)
        .order_by(Message.created_at, Message.id)
        .options(joinedload(Message.author))
    )
    if not is_staff_viewer(viewer):
        query = query.where(Message.visibility == Visibility.PARTIES.value)
    return list(session.scalars(query))


@dataclass(frozen=True)
class PublicEvent:
    """One step of a case as anyone holding its access code may read it: no actor, no reason, no text."""

    action: str
    from_state: str | None
    to_state: str | None
    #: The day in China on which it happened; the time of day is left out too.
    occurred_on: date


def public_events(session: Session, case: Case) -> list[PublicEvent]:
    """The parties' part of the trail reduced to what the public tracking page may show."""
    query = (
        select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state, AuditEvent.occurred_at)
        .where(AuditEvent.case_id == case.id, AuditEvent.visibility == Visibility.PARTIES.value)
        .order_by(AuditEvent.seq)
    )
    return [
        PublicEvent(action=action, from_state=from_state, to_state=to_state, occurred_on=local_date(occurred_at))
        for action, from_state, to_state, occurred_at in session.execute(query)
    ]


def log_refused_access(
    session: Session, user: User | None, target: str, *, remote_addr: str | None, detail: str | None = None
) -> None:
    """Record an attempt to reach a case the user may not see (answered with a 404)."""
    session.add(
        SecurityEvent(
            kind="access_denied",
            user_id=user.id if user is not None and getattr(user, "is_authenticated", False) else None,
            # Any path can be probed, but PostgreSQL cannot store a NUL byte: mark where it was.
            target=target.replace("\x00", "\ufffd")[:300],
            remote_addr=remote_addr,
            detail=detail,
        )
    )
