"""Screening new cases: linking related ones and closing a duplicate into its original."""

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker import workflow
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import CaseLink
from tracker.models import Evidence
from tracker.models import Message
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services import access
from tracker.services.cases import find_case_by_number
from tracker.workflow import TERMINAL_STATES

#: States from which the merge row leaves (the intake states).
MERGEABLE_STATES = frozenset(next(row.sources for row in workflow.TABLES[CaseKind.COMPLAINT] if row.trigger == "merge"))


class TriageError(ValueError):
    """A link or merge that is not possible; `.code` says why (the web layer words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _require_officer(actor: User) -> None:
    if actor.role != Role.OFFICER:
        raise TriageError("not_officer")


def _other_case(session: Session, case: Case, number: str) -> Case:
    """The case named by number, which must exist and differ from this one."""
    other = find_case_by_number(session, (number or "").strip().upper())
    if other is None:
        raise TriageError("no_such_case")
    if other.id == case.id:
        raise TriageError("same_case")
    return other


def linked_cases(session: Session, case: Case) -> list[Case]:
    """Cases linked to this one, in either direction, oldest first."""
    links = session.scalars(
        select(CaseLink).where(or_(CaseLink.case_id == case.id, CaseLink.other_case_id == case.id))
    ).all()
    others = [link.other_case if link.case_id == case.id else link.case for link in links]
    return sorted(others, key=lambda other: other.id)


def link_cases(session: Session, case: Case, number: str, actor: User, *, now: datetime | None = None) -> Case:
    """Link two related cases (once); each case's trail records the link."""
    now = now or utcnow()
    _require_officer(actor)
    other = _other_case(session, case, number)
    first, second = sorted((case, other), key=lambda item: item.id)
    exists = session.scalars(
        select(CaseLink.id).where(CaseLink.case_id == first.id, CaseLink.other_case_id == second.id)
    ).first()
    if exists is not None:
        raise TriageError("already_linked")
    session.add(CaseLink(case_id=first.id, other_case_id=second.id, linked_by_id=actor.id, created_at=now))
    for this, that in ((case, other), (other, case)):
        audit.record(session, this, actor=actor, action="link_case", body={"case": that.number},
                     visibility=Visibility.STAFF, from_state=this.state, to_state=this.state, now=now)
    return other


def mark_duplicate(session: Session, duplicate: Case, original: Case, actor: User, *, now: datetime) -> None:
    """Name the original a duplicate repeats; the merge transition's guard then lets it close."""
    _require_officer(actor)
    if original.id == duplicate.id:
        raise TriageError("same_case")
    if original.state in TERMINAL_STATES or original.merged_into_id is not None:
        raise TriageError("original_closed")
    if original.kind != duplicate.kind:
        raise TriageError("other_kind")
    duplicate.merged_into = original
    audit.record(session, duplicate, actor=actor, action="mark_duplicate", body={"original": original.number},
                 visibility=Visibility.STAFF, from_state=duplicate.state, to_state=duplicate.state, now=now)


def merge_duplicate(
    session: Session, duplicate: Case, number: str, actor: User, *, expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Close a duplicate as merged into its original; its evidence and messages are shown on the original.

    The version the officer saw is checked before anything changes; the original's trail records the merge too.
    """
    now = now or utcnow()
    _require_officer(actor)
    if expected_version is not None and expected_version != duplicate.version:
        raise workflow.StaleCase("this case was changed by someone else; reload it", trigger="merge")
    original = _other_case(session, duplicate, number)
    mark_duplicate(session, duplicate, original, actor, now=now)
    workflow.fire(duplicate, "merge", actor, now=now, original=original.number)
    audit.record(session, original, actor=actor, action="merge_duplicate", body={"duplicate": duplicate.number},
                 visibility=Visibility.PARTIES, from_state=original.state, to_state=original.state, now=now)
    return original


def may_merge(case: Case) -> bool:
    """Only a case still in its acceptance review can be closed as a duplicate."""
    return case.state in MERGEABLE_STATES


def merged_material(session: Session, original: Case, viewer: User) -> list[tuple[Case, list[Evidence], list[Message]]]:
    """For each duplicate merged into this case that the viewer may see: its evidence and its messages."""
    found = []
    for duplicate in sorted(original.merged_duplicates, key=lambda case: case.id):
        if not access.can_view_case(duplicate, viewer):
            continue
        evidence = sorted(duplicate.evidence, key=lambda item: item.id)
        found.append((duplicate, evidence, access.visible_messages(session, duplicate, viewer)))
    return found
