"""The commission (委托书) of an arbitration inspection or appraisal: the officer drafts it, both parties confirm it."""

from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from tracker import audit
from tracker import notifications
from tracker.models import BASIS_KINDS
from tracker.models import FEE_PAYERS
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Commission
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility

#: Kinds of case that work under a commission.
COMMISSIONED_KINDS = frozenset({CaseKind.ARBITRATION, CaseKind.APPRAISAL})
#: The commission may be drafted and changed only until the work starts.
EDITABLE_STATES = frozenset({"commission_pending"})
CONSUMER = "consumer"
ENTERPRISE = "enterprise"


class CommissionError(Exception):
    """A refusal the web layer translates; `.code` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CommissionTerms:
    """What the commission records (DESIGN §3): product, applicant, basis, items, sampling, date and fee."""

    product_name: str
    product_model: str | None
    product_grade: str | None
    maker: str
    production_date: date | None
    batch: str | None
    applicant_name: str
    basis_kind: str
    basis_text: str
    test_items: str
    sampling_method: str
    report_due_on: date
    fee_amount: Decimal
    fee_payer: str
    fee_due_on: date


def _audit_terms(terms: CommissionTerms) -> dict:
    """The terms as the trail keeps them: dates and amounts as text, the applicant's name as its digest."""
    body = {}
    for key, value in asdict(terms).items():
        if key == "applicant_name":
            value = audit.personal_digest(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        body[key] = value
    return body


def save_commission(
    session: Session, case: Case, officer: User, terms: CommissionTerms, *, now: datetime
) -> Commission:
    """Draft the commission or change it; a change voids every confirmation already given."""
    if officer.role != Role.OFFICER:
        raise CommissionError("not_officer")
    if case.kind not in COMMISSIONED_KINDS:
        raise CommissionError("no_commission")
    if case.state not in EDITABLE_STATES:
        raise CommissionError("work_started")
    if terms.basis_kind not in BASIS_KINDS or terms.fee_payer not in FEE_PAYERS:
        raise CommissionError("invalid")
    commission = case.commission
    voided = []
    if commission is None:
        commission = Commission(case=case, drafted_by_id=officer.id, revision=1)
        session.add(commission)
        action = "commission_drafted"
    else:
        commission.revision += 1
        action = "commission_amended"
        if commission.consumer_confirmed_at is not None:
            voided.append(CONSUMER)
        if commission.enterprise_confirmed_at is not None:
            voided.append(ENTERPRISE)
        commission.consumer_confirmed_at = commission.consumer_confirmed_by_id = None
        commission.enterprise_confirmed_at = commission.enterprise_confirmed_by_id = None
    for key, value in asdict(terms).items():
        setattr(commission, key, value)
    commission.updated_at = now
    audit.record(
        session, case, actor=officer, action=action,
        body={"revision": commission.revision, "voided_confirmations": voided, **_audit_terms(terms)},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )
    _ask_parties_to_confirm(session, case, commission)
    return commission


def _party_addresses(case: Case) -> list[str]:
    """Where the applicant and the enterprise's active users read their mail."""
    addresses = [case.applicant.email if case.applicant is not None else case.contact_email]
    if case.enterprise is not None:
        addresses += [user.email for user in case.enterprise.users if user.active]
    return sorted({address for address in addresses if address})


def _ask_parties_to_confirm(session: Session, case: Case, commission: Commission) -> None:
    """Both parties learn that a commission (or a new revision of it) awaits their confirmation."""
    for recipient in _party_addresses(case):
        notifications.queue_message(
            session, recipient,
            f"[Case Tracker] 请确认委托书 / Please confirm the commission: {case.number}",
            f"案件 {case.number} 的委托书（第 {commission.revision} 版）已由承办人起草，请登录后在案件页面阅读并确认。"
            f"双方均确认后方可开始检验或鉴定。\n\n"
            f"The commission of case {case.number} (revision {commission.revision}) awaits your confirmation on the "
            f"case page. The work starts once both parties have confirmed it.",
            case=case,
        )


def confirming_party(case: Case, user: User | None) -> str | None:
    """Which party the user confirms the commission for: the applicant, or a user of the case's enterprise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.role == Role.CONSUMER and case.applicant_id == user.id:
        return CONSUMER
    if user.role == Role.ENTERPRISE and user.enterprise_id is not None and user.enterprise_id == case.enterprise_id:
        return ENTERPRISE
    return None


def confirmation_due(case: Case, user: User | None) -> bool:
    """Whether the commission awaits this user's confirmation now (the case page shows the button)."""
    party = confirming_party(case, user)
    commission = getattr(case, "commission", None)
    if party is None or commission is None or case.state not in EDITABLE_STATES:
        return False
    confirmed_at = commission.consumer_confirmed_at if party == CONSUMER else commission.enterprise_confirmed_at
    return confirmed_at is None


def confirm_commission(session: Session, case: Case, user: User, *, revision: int, now: datetime) -> Commission:
    """A party agrees to the commission as it reads now; a page showing an older revision is refused."""
    party = confirming_party(case, user)
    if party is None:
        raise CommissionError("not_party")
    commission = case.commission
    if commission is None or case.state not in EDITABLE_STATES:
        raise CommissionError("nothing_to_confirm")
    if revision != commission.revision:
        raise CommissionError("changed")
    if party == CONSUMER:
        if commission.consumer_confirmed_at is not None:
            raise CommissionError("already_confirmed")
        commission.consumer_confirmed_at, commission.consumer_confirmed_by_id = now, user.id
    else:
        if commission.enterprise_confirmed_at is not None:
            raise CommissionError("already_confirmed")
        commission.enterprise_confirmed_at, commission.enterprise_confirmed_by_id = now, user.id
    audit.record(
        session, case, actor=user, action="commission_confirmed",
        body={"party": party, "revision": commission.revision},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )
    return commission
