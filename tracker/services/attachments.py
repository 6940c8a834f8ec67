"""Evidence on drafts and cases: limits per file, per case and per user; files cleaned up if the transaction fails."""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.evidence import EvidenceLimits
from tracker.evidence import StoredFile
from tracker.evidence import delete_if_unreferenced
from tracker.evidence import prepare_upload
from tracker.evidence import resolve_stored
from tracker.evidence import store_prepared
from tracker.models import MAX_ROW_ID
from tracker.models import Case
from tracker.models import Evidence
from tracker.models import FilingDraft
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.redaction import PURPOSES_WITHHELD_FROM_EXPERTS
from tracker.services.access import can_view_case


class QuotaExceeded(ValueError):
    """A file would pass every check but exceed a case's or a user's quota; `.reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: session.info key listing files this transaction created, removed again if it rolls back.
_NEW_FILES = "tracker_new_files"


@dataclass(frozen=True)
class EvidencePolicy:
    """How much evidence a filing may carry."""

    file_limits: EvidenceLimits = field(default_factory=EvidenceLimits)
    max_files_per_case: int = 20
    max_bytes_per_case: int = 60 * 1024 * 1024
    max_files_per_user_per_day: int = 100


def _holder_filter(draft: FilingDraft | None, case: Case | None):
    if case is not None:
        return Evidence.case_id == case.id
    return Evidence.draft_id == draft.id


def attach_evidence(
    session: Session,
    *,
    root: Path,
    policy: EvidencePolicy,
    stream: BinaryIO,
    original_name: str,
    uploader: User | None,
    draft: FilingDraft | None = None,
    case: Case | None = None,
    purpose: str = "evidence",
    now: datetime | None = None,
) -> Evidence:
    """Check the limits, store the file by content hash, and add its row (and an audit event on a case)."""
    now = now or utcnow()
    if (draft is None) == (case is None):
        raise ValueError("evidence belongs to exactly one draft or case")
    session.flush()
    count, total = session.execute(
        select(func.count(Evidence.id), func.coalesce(func.sum(Evidence.size), 0)).where(_holder_filter(draft, case))
    ).one()
    if count >= policy.max_files_per_case:
        raise QuotaExceeded("files_per_case")
    if uploader is not None:
        today = session.scalar(
            select(func.count(Evidence.id)).where(
                Evidence.uploaded_by_id == uploader.id, Evidence.created_at > now - timedelta(days=1)
            )
        )
        if today >= policy.max_files_per_user_per_day:
            raise QuotaExceeded("files_per_day")
    prepared = prepare_upload(stream, original_name, policy.file_limits)
    if total + prepared.size > policy.max_bytes_per_case:
        raise QuotaExceeded("bytes_per_case")
    stored = store_prepared(prepared, root)
    remember_new_file(session, root, stored)
    evidence = Evidence(
        stored_name=stored.stored_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        original_name=stored.original_name,
        purpose=purpose,
        uploaded_by_id=uploader.id if uploader is not None else None,
        created_at=now,
    )
    if case is not None:
        evidence.case = case
        audit.record(
            session, case, actor=uploader, action="attach_evidence",
            body={"sha256": stored.sha256, "size": stored.size, "purpose": purpose,
                  "name": audit.personal_digest(stored.original_name)},
            visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
        )
    else:
        evidence.draft = draft
    session.add(evidence)
    return evidence


def remember_new_file(session: Session, root: Path, stored: StoredFile) -> None:
    """A file this transaction wrote is deleted again if the transaction rolls back."""
    if stored.created:
        session.info.setdefault(_NEW_FILES, []).append((root, stored.stored_name))


def remove_draft_evidence(session: Session, draft: FilingDraft, evidence_id: int) -> None:
    """Take a file off a draft before it is filed (filed evidence stays: it is part of the record)."""
    evidence = session.get(Evidence, evidence_id) if 0 < evidence_id <= MAX_ROW_ID else None
    if evidence is None or evidence.draft_id != draft.id or evidence.case_id is not None:
        raise LookupError("no such file on this draft")
    session.delete(evidence)


@event.listens_for(Session, "after_commit")
def _forget_new_files(session: Session) -> None:
    """Committed files are referenced by their rows."""
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_files_of_rolled_back_rows(session: Session, previous_transaction) -> None:
    """Files written by a transaction that failed would be orphans: delete those nobody else stored first."""
    if previous_transaction.parent is not None:
        return
    for root, stored_name in session.info.pop(_NEW_FILES, []):
        delete_if_unreferenced(root, stored_name)


@dataclass(frozen=True)
class Download:
    """What the web layer needs to send a file."""

    path: Path
    original_name: str
    content_type: str


def evidence_for_download(
    session: Session, root: Path, evidence_id: int, viewer: User | None, *, draft_owner_check=None
) -> Download | None:
    """The file if the viewer may see the case (or owns the draft) it belongs to; None otherwise."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        return None
    if evidence.case is not None:
        if not can_view_case(evidence.case, viewer):
            return None
        if viewer.role == Role.EXPERT and evidence.purpose in PURPOSES_WITHHELD_FROM_EXPERTS:
            return None
    elif draft_owner_check is None or not draft_owner_check(evidence.draft):
        return None
    return Download(resolve_stored(root, evidence.stored_name), evidence.original_name, evidence.content_type)
