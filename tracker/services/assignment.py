"""Who handles a case: an officer takes one, or assigns and reassigns one or many with a reason."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.models import STAFF_ROLES
from tracker.models import Case
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility


class AssignmentRefused(ValueError):
    """The assignment cannot be made (the assignee is not an active officer, or a case is missing)."""

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def assignable_officers(session: Session) -> list[User]:
    """Active officers, by name: whom a case can be given to."""
    return list(
        session.scalars(
            select(User).where(User.role == Role.OFFICER, User.active.is_(True)).order_by(User.display_name, User.id)
        )
    )


def cases_by_id(session: Session, case_ids: list[int]) -> list[Case]:
    """The cases with these ids, in id order (missing ones are simply absent)."""
    return list(session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)))


def assign_cases(
    session: Session, cases: list[Case], officer: User, actor: User, *, reason: str, now: datetime
) -> list[Case]:
    """Give each case to the officer; each gets its own internal audit event with the reason."""
    if officer.role != Role.OFFICER or not officer.active:
        raise AssignmentRefused("cases are assigned to active officers only")
    if actor.role not in STAFF_ROLES:
        raise AssignmentRefused("only staff assign cases")
    changed = []
    for case in cases:
        previous = case.assigned_officer_id
        if previous == officer.id:
            continue
        case.assigned_officer = officer
        audit.record(
            session,
            case,
            actor=actor,
            action="assign",
            body={"from_officer_id": previous, "to_officer_id": officer.id, "reason": reason},
            visibility=Visibility.STAFF,
            from_state=case.state,
            to_state=case.state,
            now=now,
        )
        changed.append(case)
    session.flush()
    return changed


def take_case(session: Session, case: Case, officer: User, *, now: datetime) -> bool:
    """An officer takes a case for themself; False when it was theirs already."""
    return bool(assign_cases(session, [case], officer, officer, reason="taken by the officer", now=now))
