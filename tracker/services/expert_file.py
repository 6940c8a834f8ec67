"""The case file as an expert reads it: no contact details, identifiers in the free text replaced, identity papers
left out (DESIGN §3: experts judge the product, not the people)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tracker.models import Case
from tracker.models import Evidence
from tracker.models import Role
from tracker.models import User
from tracker.redaction import PURPOSES_WITHHELD_FROM_EXPERTS
from tracker.redaction import redact
from tracker.services.access import visible_messages


@dataclass(frozen=True)
class RedactedMessage:
    """A message to the parties with its author reduced to a role and its text redacted."""

    created_at: datetime
    author_role: str
    body: str


@dataclass(frozen=True)
class ExpertCaseFile:
    """What the expert workspace shows of a case."""

    narrative: str
    appealed_decision: str
    questions: str
    remedy_sought: str
    purchase_place: str
    messages: list[RedactedMessage]
    evidence: list[Evidence]


def party_names(case: Case) -> list[str]:
    """The names of the people in the case: applicant, contact, representatives, the enterprise's people."""
    names = [case.contact_name]
    if case.applicant is not None:
        names.append(case.applicant.display_name)
    names += [representative.name for representative in getattr(case, "representatives", [])]
    if case.enterprise is not None:
        names.append(case.enterprise.contact_name)
        names += [user.display_name for user in case.enterprise.users]
    return [name for name in names if name]


def case_file_for_expert(session: Session, case: Case, expert: User) -> ExpertCaseFile:
    """The redacted file: every free text through `redaction.redact`, identity papers and powers of attorney out."""
    names = party_names(case)
    messages = [
        RedactedMessage(
            created_at=message.created_at,
            author_role=message.author.role if message.author is not None else "system",
            body=redact(message.body, names),
        )
        for message in visible_messages(session, case, expert)
        if message.author is None or message.author.role != Role.EXPERT or message.author_id == expert.id
    ]
    evidence = sorted(
        (item for item in case.evidence if item.purpose not in PURPOSES_WITHHELD_FROM_EXPERTS),
        key=lambda item: item.id,
    )
    return ExpertCaseFile(
        narrative=redact(case.narrative, names),
        appealed_decision=redact(case.appealed_decision, names),
        questions=redact(case.questions, names),
        remedy_sought=redact(case.remedy_sought, names),
        purchase_place=redact(case.purchase_place, names),
        messages=messages,
        evidence=evidence,
    )
