"""Talking on a case after filing: messages, supplements, ratings and requests to reopen."""

from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from typing import BinaryIO

from sqlalchemy.orm import Session

from tracker import audit
from tracker import notifications
from tracker import workflow
from tracker.evidence import EvidenceRejected
from tracker.models import STAFF_ROLES
from tracker.models import Case
from tracker.models import Evidence
from tracker.models import Message
from tracker.models import Rating
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import QuotaExceeded
from tracker.services.attachments import attach_evidence

MAX_MESSAGE_LENGTH = 5000
#: Roles that take part in a case's conversation (experts give their opinion through the panel, not here).
CONVERSATION_ROLES = frozenset({Role.CONSUMER, Role.ENTERPRISE, *STAFF_ROLES})


class ConversationError(ValueError):
    """A message, rating or request that is not allowed now; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class FilesRefused(ValueError):
    """Some files of an answer were refused; `.refusals` pairs each refused file's name with the reason."""

    def __init__(self, refusals: list[tuple[str, EvidenceRejected | QuotaExceeded]]) -> None:
        super().__init__(", ".join(f"{name}: {error.reason}" for name, error in refusals))
        self.refusals = refusals


def _notify_other_side(session: Session, case: Case, author: User, subject: str) -> None:
    """Tell the officer when a party writes, and the applicant when staff write."""
    if author.role in STAFF_ROLES:
        recipient = case.applicant.email if case.applicant is not None else case.contact_email
    else:
        recipient = case.assigned_officer.email if case.assigned_officer is not None else None
    if recipient:
        notifications.queue_message(session, recipient, f"[Case Tracker] {case.number}: {subject}",
                                    f"There is news on case {case.number}. Sign in to read it.", case)


def posting_refusal(case: Case, author: User | None, *, internal: bool = False) -> str | None:
    """Why this user may not write on this case (None when they may): the applicant, its enterprise, staff."""
    if author is None or not getattr(author, "is_authenticated", False) or author.role not in CONVERSATION_ROLES:
        return "not_allowed"
    if internal and author.role not in STAFF_ROLES:
        return "not_staff"
    if author.role == Role.CONSUMER and case.applicant_id != author.id:
        return "not_applicant"
    if author.role == Role.ENTERPRISE and (author.enterprise_id is None or author.enterprise_id != case.enterprise_id):
        return "not_allowed"
    return None


def post_message(
    session: Session, case: Case, author: User, body: str, *, internal: bool = False, now: datetime | None = None
) -> Message:
    """A message to the parties, or an internal note (staff only); the audit event keeps only its digest."""
    now = now or utcnow()
    refusal = posting_refusal(case, author, internal=internal)
    if refusal is not None:
        raise ConversationError(refusal)
    body = body.strip()
    if not body:
        raise ConversationError("empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ConversationError("too_long")
    visibility = Visibility.STAFF if internal else Visibility.PARTIES
    message = Message(body=body, visibility=str(visibility), author_id=author.id, created_at=now)
    message.case = case
    session.add(message)
    audit.record(session, case, actor=author, action="note" if internal else "message",
                 body={"message": audit.personal_digest(body)}, visibility=visibility,
                 from_state=case.state, to_state=case.state, now=now)
    if not internal:
        _notify_other_side(session, case, author, "new message")
    return message


def supplement_case(
    session: Session, case: Case, applicant: User, message: str, *, expected_version: int | None = None,
    now: datetime | None = None, **data: Any,
) -> None:
    """Answer the officer's request for information: the paused clock resumes and the message goes on the case.

    The workflow fires first, so that the version the applicant saw is checked before anything is written
    (posting the message touches the case, and a flush on the way would bump its version).
    """
    now = now or utcnow()
    workflow.fire(case, "supplement", applicant, expected_version=expected_version, now=now,
                  message=message.strip() or None, **data)
    if message.strip():
        post_message(session, case, applicant, message, now=now)


def supplement_with_evidence(
    session: Session,
    case: Case,
    applicant: User,
    message: str,
    files: Sequence[tuple[BinaryIO, str]],
    *,
    root: Path,
    policy: EvidencePolicy,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> list[Evidence]:
    """Answer a request for information with a message and files in one transaction; the clock resumes.

    The workflow checks the version and the applicant first. Every file is checked, so that each refused one
    can be named; then FilesRefused is raised and the caller's rollback takes back the answer, the rows and
    the files stored meanwhile, together.
    """
    now = now or utcnow()
    if not message.strip() and not files:
        raise ConversationError("empty")
    if len(message.strip()) > MAX_MESSAGE_LENGTH:
        raise ConversationError("too_long")
    supplement_case(session, case, applicant, message, expected_version=expected_version, now=now)
    attached: list[Evidence] = []
    refusals: list[tuple[str, EvidenceRejected | QuotaExceeded]] = []
    for stream, original_name in files:
        try:
            attached.append(
                attach_evidence(session, root=root, policy=policy, stream=stream, original_name=original_name,
                                uploader=applicant, case=case, purpose="supplement", now=now)
            )
        except (EvidenceRejected, QuotaExceeded) as refusal:
            refusals.append((original_name, refusal))
    if refusals:
        raise FilesRefused(refusals)
    return attached


def rating_refusal(case: Case, user: User | None) -> str | None:
    """Why this user may not rate this case now (None when they may): only the applicant, once, after closure."""
    if user is None or not getattr(user, "is_authenticated", False) or case.applicant_id != user.id:
        return "not_applicant"
    if case.state != "closed":
        return "not_closed"
    if case.rating is not None:
        return "already_rated"
    return None


def rate_case(
    session: Session, case: Case, applicant: User, score: int, comment: str | None, *, now: datetime | None = None
) -> Rating:
    """The applicant rates the handling of a closed case, once, from 1 to 5."""
    now = now or utcnow()
    refusal = rating_refusal(case, applicant)
    if refusal is not None:
        raise ConversationError(refusal)
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ConversationError("score")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_MESSAGE_LENGTH:
        raise ConversationError("too_long")
    rating = Rating(score=score, comment=comment, created_at=now)
    rating.case = case
    session.add(rating)
    audit.record(session, case, actor=applicant, action="rate",
                 body={"score": score, "comment": audit.personal_digest(comment) if comment else None},
                 visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now)
    return rating


def reopen_deadline(case: Case) -> datetime | None:
    """Until when the applicant may ask to reopen a closed case."""
    if case.closed_at is None:
        return None
    return case.closed_at + timedelta(days=case.rule_set.reopen_window_days)


def reopen_requested(case: Case) -> bool:
    """Whether the applicant has asked to reopen the case since it was last closed."""
    return (
        case.closed_at is not None
        and case.reopen_requested_at is not None
        and case.reopen_requested_at > case.closed_at
    )


def reopen_refusal(case: Case, user: User | None, *, now: datetime | None = None) -> str | None:
    """Why this user may not ask to reopen this case now (None when they may)."""
    now = now or utcnow()
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or case.applicant_id != user.id
        or user.role != Role.CONSUMER
    ):
        return "not_applicant"
    if case.state != "closed":
        return "not_closed"
    if now > reopen_deadline(case):
        return "window_passed"
    if reopen_requested(case):
        return "already_requested"
    return None


def request_reopen(
    session: Session, case: Case, applicant: User, reason: str, *, now: datetime | None = None
) -> None:
    """The applicant asks, within the window, for a closed case to be reopened; an officer decides."""
    now = now or utcnow()
    refusal = reopen_refusal(case, applicant, now=now)
    if refusal is not None:
        raise ConversationError(refusal)
    if len(reason.strip()) > MAX_MESSAGE_LENGTH:
        raise ConversationError("too_long")
    if not reason.strip():
        raise ConversationError("empty")
    case.reopen_requested_at = now
    audit.record(session, case, actor=applicant, action="request_reopen",
                 body={"reason": audit.personal_digest(reason.strip())}, visibility=Visibility.PARTIES,
                 from_state=case.state, to_state=case.state, now=now)
    post_message(session, case, applicant, reason, now=now)
