"""Filing cases, numbering them, advancing them and appointing their experts."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import object_session
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker import deadlines
from tracker import workflow
from tracker.models import CASE_NUMBER_PREFIX
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import CaseNumberCounter
from tracker.models import Enterprise
from tracker.models import Message
from tracker.models import PanelMember
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.security import hash_access_code
from tracker.security import new_access_code
from tracker.services.enterprises import is_valid_credit_code
from tracker.working_days import local_date

#: Case fields a filing may set; everything else belongs to the procedure.
FILING_FIELDS = (
    "enterprise_id",
    "product_name",
    "product_model",
    "product_batch",
    "production_date",
    "purchase_date",
    "purchase_place",
    "amount_paid",
    "mark_code",
    "category",
    "issue",
    "narrative",
    "remedy_sought",
    "consent_privacy_version",
    "consent_forward_contact",
    "consent_publish",
    "related_case_id",
    "contact_name",
    "contact_email",
    "contact_phone",
    "appealed_decision",
    "applicant_standing",
    "questions",
    "submission_token",
)

#: Filing fields that identify or describe a person: the audit body holds their digest.
PERSONAL_FILING_FIELDS = frozenset(
    {"narrative", "remedy_sought", "purchase_place", "contact_name", "contact_email", "contact_phone"}
)


class FilingError(ValueError):
    """A filing lacks what every case needs."""


class PanelError(ValueError):
    """An expert cannot be appointed or recused as asked."""


def next_case_number(session: Session, kind: CaseKind, year: int) -> str:
    """Hand out the next number of the year for this kind, atomically on SQLite and PostgreSQL."""
    prefix = CASE_NUMBER_PREFIX[kind]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(CaseNumberCounter)
        .values(prefix=prefix, year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["prefix", "year"])
    )
    value = session.execute(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.prefix == prefix, CaseNumberCounter.year == year)
        .values(last_value=CaseNumberCounter.last_value + 1)
        .returning(CaseNumberCounter.last_value)
    ).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def submit_case(
    session: Session,
    applicant: User | None,
    kind: CaseKind,
    data: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> tuple[Case, str]:
    """File a case under the rule set in force today; returns the case and its access code (shown once)."""
    now = now or utcnow()
    if not str(data.get("product_name") or "").strip():
        raise FilingError("product_name is required")
    if not str(data.get("narrative") or "").strip():
        raise FilingError("narrative is required")
    unknown = set(data) - set(FILING_FIELDS)
    if unknown:
        raise FilingError(f"unknown filing fields: {', '.join(sorted(unknown))}")
    rule_set = deadlines.rule_set_in_force(session, local_date(now))
    access_code = new_access_code()
    case = Case(
        number=next_case_number(session, kind, now.year),
        access_code_hash=hash_access_code(access_code),
        kind=str(kind),
        rule_set=rule_set,
        applicant=applicant,
        filed_at=now,
        **{field: data[field] for field in FILING_FIELDS if field in data},
    )
    session.add(case)
    filing_summary = {
        field: (audit.personal_digest(data[field]) if field in PERSONAL_FILING_FIELDS else data[field])
        for field in FILING_FIELDS
        if data.get(field) not in (None, "")
    }
    workflow.initialise(session, case, applicant, now=now, body=filing_summary)
    return case, access_code


def advance_case(
    case: Case,
    trigger: str,
    actor: User,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
    **data: Any,
) -> str:
    """Take a workflow action; a consumer's stated reason also goes on the case as a message for the officer."""
    state = workflow.fire(case, trigger, actor, expected_version=expected_version, now=now, **data)
    reason = str(data.get("reason") or "").strip()
    if reason and actor.role == Role.CONSUMER:
        session = object_session(case)
        message = Message(
            body=reason, visibility=str(Visibility.PARTIES), author_id=actor.id, created_at=now or utcnow()
        )
        message.case = case
        session.add(message)
    return state


def appoint_expert(
    session: Session, case: Case, expert: User, actor: User, *, now: datetime | None = None
) -> PanelMember:
    """Put an expert on the case's panel; a recused expert cannot come back."""
    now = now or utcnow()
    if actor.role != Role.OFFICER:
        raise PanelError("only an officer appoints experts")
    if expert.role != Role.EXPERT or not expert.active:
        raise PanelError("only an active expert can sit on a panel")
    if any(member.expert_id == expert.id for member in case.panel):
        raise PanelError("this expert is already on the panel or has recused")
    member = PanelMember(expert=expert, expert_id=expert.id, appointed_at=now, round_number=case.panel_round)
    member.case = case
    session.add(member)
    audit.record(
        session, case, actor=actor, action="appoint_expert", body={"expert_id": expert.id},
        visibility=Visibility.PARTIES, now=now,
    )
    return member


def recuse_expert(
    session: Session, case: Case, expert: User, actor: User, reason: str, *, now: datetime | None = None
) -> None:
    """An expert with an interest in the dispute leaves the panel (DESIGN §3)."""
    now = now or utcnow()
    if not reason.strip():
        raise PanelError("a recusal needs a reason")
    member = next((m for m in case.active_panel if m.expert_id == expert.id), None)
    if member is None:
        raise PanelError("this expert is not on the panel")
    if actor.role != Role.OFFICER and actor.id != expert.id:
        raise PanelError("only the expert or an officer records a recusal")
    member.recused_at = now
    member.recusal_reason = reason
    audit.record(
        session, case, actor=actor, action="recuse_expert",
        body={"expert_id": expert.id, "reason": audit.personal_digest(reason)},
        visibility=Visibility.PARTIES, now=now,
    )


def find_case_by_number(session: Session, number: str) -> Case | None:
    """Look a case up by its public number."""
    return session.scalars(select(Case).where(Case.number == number)).first()


def find_case_for_page(session: Session, number: str) -> Case | None:
    """The case with what its page shows loaded in a few statements, instead of one lazy query per relation."""
    return session.scalars(
        select(Case)
        .where(Case.number == number)
        .options(
            joinedload(Case.rule_set),
            joinedload(Case.enterprise),
            joinedload(Case.applicant),
            joinedload(Case.assigned_officer),
            joinedload(Case.rating),
            selectinload(Case.deadlines),
            selectinload(Case.evidence),
            selectinload(Case.panel).options(
                joinedload(PanelMember.expert).joinedload(User.expert_profile),
                joinedload(PanelMember.opinion),
            ),
        )
    ).first()


#: 统一社会信用代码 (GB 32100-2015): 18 characters, no I, O, S, V or Z.
CREDIT_CODE_PATTERN = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{18}$")


class EnterpriseError(ValueError):
    """An enterprise cannot be confirmed as asked; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def confirm_enterprise(
    session: Session, case: Case, officer: User, *, credit_code: str | None = None, now: datetime | None = None
) -> Enterprise:
    """An officer checks an enterprise a consumer entered, so the case can be routed to it.

    With a credit code already on file for another enterprise, the case is moved to that enterprise
    instead of creating a twin.
    """
    now = now or utcnow()
    if officer.role != Role.OFFICER:
        raise EnterpriseError("not_officer")
    enterprise = case.enterprise
    if enterprise is None:
        raise EnterpriseError("no_enterprise")
    if enterprise.confirmed:
        return enterprise
    code = (credit_code or enterprise.credit_code or "").strip().upper()
    if not code:
        raise EnterpriseError("code_missing")
    if not is_valid_credit_code(code):
        raise EnterpriseError("code_invalid")
    known = session.scalars(
        select(Enterprise).where(Enterprise.credit_code == code, Enterprise.id != enterprise.id)
    ).first()
    if known is not None:
        case.enterprise = known
        enterprise = known
    else:
        enterprise.credit_code = code
    enterprise.confirmed = True
    audit.record(
        session, case, actor=officer, action="confirm_enterprise",
        body={"enterprise_id": enterprise.id, "credit_code": code, "merged": known is not None},
        visibility=Visibility.STAFF, from_state=case.state, to_state=case.state, now=now,
    )
    return enterprise
