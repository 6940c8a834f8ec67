"""The enterprise answers a case: an outcome, an explanation, files, and perhaps a settlement for the consumer.

An answer after the response deadline is accepted and marked late. The answer is kept in its own row (a case
may gather several); the workflow moves the case: a proposal waits for the consumer, any other first answer
hands the case to mediation.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker import deadlines
from tracker import workflow
from tracker.evidence import EvidenceRejected
from tracker.models import Case
from tracker.models import CaseAnswer
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.notifications import queue_message
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import QuotaExceeded
from tracker.services.attachments import attach_evidence
from tracker.services.consumer_contact import contact_for_enterprise
from tracker.services.conversation import FilesRefused
from tracker.workflow import StaleCase
from tracker.workflow.guards import SETTLEMENT_OUTCOMES
from tracker.working_days import local_date

#: Outcome codes of an answer (DESIGN §4): what the enterprise offers, or that it disputes the complaint.
ANSWER_OUTCOMES = {**SETTLEMENT_OUTCOMES, "disputed": _l("Disputed")}

#: States in which the enterprise answers: first before its deadline, then again during mediation.
ANSWERABLE_STATES = frozenset({"enterprise_response", "mediation"})

#: Longest explanation, public response or settlement description.
MAX_ANSWER_TEXT = 5000


class AnswerError(ValueError):
    """An answer refused; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class AnswerData:
    """What the enterprise typed."""

    outcome: str
    explanation: str
    public_response: str | None = None
    settlement_terms: str | None = None
    settlement_amount: Decimal | None = None
    settlement_due_on: date | None = None

    @property
    def proposes_settlement(self) -> bool:
        """Any part of a settlement typed means a proposal for the consumer."""
        return bool((self.settlement_terms or "").strip()) or self.settlement_amount is not None \
            or self.settlement_due_on is not None


def answer_refusal(case: Case, actor: User | None) -> str | None:
    """Why this user may not answer this case now (None when they may)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.role != Role.ENTERPRISE:
        return "not_enterprise"
    if case.enterprise_id is None or actor.enterprise_id != case.enterprise_id or case.accepted_at is None:
        return "not_enterprise"
    if case.state not in ANSWERABLE_STATES:
        return "not_answerable"
    return None


def _check(data: AnswerData, today: date) -> None:
    """The typed answer makes sense before anything is written."""
    if data.outcome not in ANSWER_OUTCOMES:
        raise AnswerError("outcome")
    if not data.explanation.strip():
        raise AnswerError("explanation")
    texts = (data.explanation, data.public_response or "", data.settlement_terms or "")
    if any(len(text) > MAX_ANSWER_TEXT for text in texts):
        raise AnswerError("too_long")
    if data.proposes_settlement:
        if data.outcome == "disputed":
            raise AnswerError("disputed_with_proposal")
        if not (data.settlement_terms or "").strip():
            raise AnswerError("terms")
        if data.settlement_due_on is None or data.settlement_due_on < today:
            raise AnswerError("due_on")
        if data.settlement_amount is not None and data.settlement_amount < 0:
            raise AnswerError("amount")


def answer_case(
    session: Session,
    case: Case,
    actor: User,
    data: AnswerData,
    files: Sequence[tuple[BinaryIO, str]] = (),
    *,
    now: datetime,
    root: Path | None = None,
    policy: EvidencePolicy | None = None,
    expected_version: int | None = None,
) -> CaseAnswer:
    """Record the answer, attach its files, move the case, and send the enterprise's users a receipt.

    `root` and `policy` (the upload folder and limits) are needed only when files come with the answer.
    """
    if files and (root is None or policy is None):
        raise ValueError("files need the upload root and the evidence policy")
    refusal = answer_refusal(case, actor)
    if refusal is not None:
        raise AnswerError(refusal)
    if expected_version is not None and expected_version != case.version:
        raise StaleCase("this case was changed by someone else; reload it", trigger="answer")
    today = local_date(now)
    _check(data, today)
    response_clocks = deadlines.open_deadlines(case, "enterprise_response")
    due_on = response_clocks[0].due_on if response_clocks else None
    late = any(deadlines.is_overdue(clock, today=today) for clock in response_clocks)
    answer = CaseAnswer(
        author_id=actor.id,
        outcome=data.outcome,
        explanation=data.explanation.strip(),
        public_response=(data.public_response or "").strip() or None,
        settlement_terms=(data.settlement_terms or "").strip() or None if data.proposes_settlement else None,
        settlement_amount=data.settlement_amount if data.proposes_settlement else None,
        settlement_due_on=data.settlement_due_on if data.proposes_settlement else None,
        answered_at=now,
        due_on=due_on,
        late=late,
    )
    answer.case = case
    session.add(answer)
    refusals: list[tuple[str, EvidenceRejected | QuotaExceeded]] = []
    for stream, original_name in files:
        try:
            answer.files.append(attach_evidence(
                session, root=root, policy=policy, stream=stream, original_name=original_name,
                uploader=actor, case=case, purpose="answer", now=now,
            ))
        except (EvidenceRejected, QuotaExceeded) as refused:
            refusals.append((original_name, refused))
    if refusals:
        raise FilesRefused(refusals)
    audit.record(
        session, case, actor=actor, action="answer",
        body={"outcome": data.outcome, "late": late, "files": len(answer.files),
              "settlement": data.proposes_settlement, "due_on": due_on.isoformat() if due_on else None},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )
    if not _move_case(case, actor, data, now):
        _tell_the_parties(session, case)
    _send_receipt(session, case, answer)
    return answer


def _move_case(case: Case, actor: User, data: AnswerData, now: datetime) -> bool:
    """A proposal waits for the consumer; a first answer without one hands the case to mediation.

    Returns whether the case moved (a transition's own notifications then tell the parties).
    """
    if data.proposes_settlement:
        workflow.fire(case, "propose_settlement", actor, now=now, outcome=data.outcome)
        return True
    if case.state == "enterprise_response":
        trigger = "dispute" if data.outcome == "disputed" else "respond"
        workflow.fire(case, trigger, actor, now=now, reason=data.explanation)
        return True
    return False


def _tell_the_parties(session: Session, case: Case) -> None:
    """A further answer during mediation moves nothing: the applicant and the officer are told it arrived."""
    applicant = case.applicant.email if case.applicant is not None else case.contact_email
    officer = case.assigned_officer.email if case.assigned_officer is not None else None
    for recipient in sorted({address for address in (applicant, officer) if address}):
        queue_message(
            session, recipient, f"[Case Tracker] 企业已答复 / The enterprise answered: {case.number}",
            f"案件 {case.number} 有企业的新答复，请登录查看。\n"
            f"The enterprise answered case {case.number}. Sign in to read it.\n",
            case=case,
        )


def _send_receipt(session: Session, case: Case, answer: CaseAnswer) -> None:
    """Every active user of the enterprise learns what was answered; the consumer is masked as on the page."""
    contact = contact_for_enterprise(case)
    recipients = sorted(
        user.email for user in case.enterprise.users if user.active and user.role == Role.ENTERPRISE
    )
    late_zh = "（逾期答复）" if answer.late else ""
    late_en = " (late)" if answer.late else ""
    subject = f"[Case Tracker] 答复已记录 / Answer recorded: {case.number}"
    body = (
        f"案件 {case.number} 的答复已记录{late_zh}。\n"
        f"消费者：{contact.name}，电话：{contact.phone or '—'}，电子邮件：{contact.email or '—'}\n"
        f"处理结果代码：{answer.outcome}\n\n"
        f"The answer to case {case.number} was recorded{late_en}.\n"
        f"Consumer: {contact.name}, phone: {contact.phone or '—'}, e-mail: {contact.email or '—'}\n"
        f"Outcome code: {answer.outcome}\n"
    )
    for recipient in recipients:
        queue_message(session, recipient, subject, body, case=case)


def answers_of(session: Session, case: Case) -> list[CaseAnswer]:
    """The case's answers, oldest first."""
    return list(session.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case.id).order_by(CaseAnswer.id)))
