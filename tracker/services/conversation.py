"""Talking on a case after filing: messages, supplements, ratings and requests to reopen."""

from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tracker import audit
from tracker import notifications
from tracker import workflow
from tracker.models import STAFF_ROLES
from tracker.models import Case
from tracker.models import Message
from tracker.models import Rating
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow

MAX_MESSAGE_LENGTH = 5000


class ConversationError(ValueError):
    """A message, rating or request that is not allowed now; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _notify_other_side(session: Session, case: Case, author: User, subject: str) -> None:
    """Tell the officer when a party writes, and the applicant when staff write."""
    if author.role in STAFF_ROLES:
        recipient = case.applicant.email if case.applicant is not None else case.contact_email
    else:
        recipient = case.assigned_officer.email if case.assigned_officer is not None else None
    if recipient:
        notifications.queue_message(session, recipient, f"[Case Tracker] {case.number}: {subject}",
                                    f"There is news on case {case.number}. Sign in to read it.", case)


def post_message(
    session: Session, case: Case, author: User, body: str, *, internal: bool = False, now: datetime | None = None
) -> Message:
    """A message to the parties, or an internal note (staff only); the audit event keeps only its digest."""
    now = now or utcnow()
    body = body.strip()
    if not body:
        raise ConversationError("empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ConversationError("too_long")
    if internal and author.role not in STAFF_ROLES:
        raise ConversationError("not_staff")
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
    """Answer the officer's request for information: the message goes on the case and the paused clock resumes."""
    now = now or utcnow()
    if message.strip():
        post_message(session, case, applicant, message, now=now)
    workflow.fire(case, "supplement", applicant, expected_version=expected_version, now=now,
                  message=message.strip() or None, **data)


def rate_case(
    session: Session, case: Case, applicant: User, score: int, comment: str | None, *, now: datetime | None = None
) -> Rating:
    """The applicant rates the handling of a closed case, once, from 1 to 5."""
    now = now or utcnow()
    if case.applicant_id != applicant.id:
        raise ConversationError("not_applicant")
    if case.state != "closed":
        raise ConversationError("not_closed")
    if case.rating is not None:
        raise ConversationError("already_rated")
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


def request_reopen(
    session: Session, case: Case, applicant: User, reason: str, *, now: datetime | None = None
) -> None:
    """The applicant asks, within the window, for a closed case to be reopened; an officer decides."""
    now = now or utcnow()
    if case.applicant_id != applicant.id or applicant.role != Role.CONSUMER:
        raise ConversationError("not_applicant")
    if case.state != "closed":
        raise ConversationError("not_closed")
    if now > reopen_deadline(case):
        raise ConversationError("window_passed")
    if case.reopen_requested_at is not None and case.reopen_requested_at > case.closed_at:
        raise ConversationError("already_requested")
    if not reason.strip():
        raise ConversationError("empty")
    case.reopen_requested_at = now
    audit.record(session, case, actor=applicant, action="request_reopen",
                 body={"reason": audit.personal_digest(reason.strip())}, visibility=Visibility.PARTIES,
                 from_state=case.state, to_state=case.state, now=now)
    post_message(session, case, applicant, reason, now=now)
