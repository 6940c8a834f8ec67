"""Enterprises as the administrators keep them: created with a checked credit code, confirmed, or merged."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.models import Case
from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow

#: GB 32100-2015's 31 characters (no I, O, S, V or Z), each worth its position.
CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weight of each of the first 17 characters: 3 to the power of the position, modulo 31.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18


class EnterpriseAdminError(ValueError):
    """An enterprise cannot be created, confirmed or merged as asked; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise_credit_code(text: str) -> str:
    """What people type: spaces and lower case are forgiven, nothing else is changed."""
    return "".join(text.split()).upper()


def credit_code_check_character(first_seventeen: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, modulus 31)."""
    total = sum(
        CREDIT_CODE_CHARACTERS.index(character) * weight
        for character, weight in zip(first_seventeen, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """None for a valid code, otherwise why not: "length", "characters" or "check_character"."""
    if len(code) != CREDIT_CODE_LENGTH:
        return "length"
    if any(character not in CREDIT_CODE_CHARACTERS for character in code):
        return "characters"
    if credit_code_check_character(code[:17]) != code[17]:
        return "check_character"
    return None


def is_valid_credit_code(code: str) -> bool:
    """Whether the code has the right length, characters and check character."""
    return credit_code_problem(code) is None


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise EnterpriseAdminError("not_admin")


def _checked_code(session: Session, text: str, *, other_than: Enterprise | None = None) -> str:
    code = normalise_credit_code(text)
    problem = credit_code_problem(code)
    if problem is not None:
        raise EnterpriseAdminError(f"code_{problem}")
    holder = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).first()
    if holder is not None and holder is not other_than:
        raise EnterpriseAdminError("code_taken")
    return code


def enterprise_query(text: str = "", status: str = "") -> Select:
    """Enterprises whose name or credit code matches, by status: "unconfirmed", "confirmed", "merged" or all."""
    query = select(Enterprise).order_by(Enterprise.confirmed, Enterprise.name, Enterprise.id)
    text = text.strip().replace("\x00", "")
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            Enterprise.name.ilike(pattern, escape="\\") | Enterprise.credit_code.startswith(text.upper())
        )
    if status == "unconfirmed":
        query = query.where(Enterprise.confirmed.is_(False), Enterprise.merged_into_id.is_(None))
    elif status == "confirmed":
        query = query.where(Enterprise.confirmed.is_(True))
    elif status == "merged":
        query = query.where(Enterprise.merged_into_id.is_not(None))
    return query


def case_counts(session: Session, enterprise_ids: list[int]) -> dict[int, int]:
    """How many cases name each of these enterprises."""
    if not enterprise_ids:
        return {}
    rows = session.execute(
        select(Case.enterprise_id, func.count())
        .where(Case.enterprise_id.in_(enterprise_ids))
        .group_by(Case.enterprise_id)
    )
    return dict(rows.all())


@dataclass(frozen=True)
class EnterpriseDetails:
    """What an administrator types about an enterprise."""

    name: str
    credit_code: str
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


def create_enterprise(
    session: Session, actor: User, details: EnterpriseDetails, *, now: datetime | None = None
) -> Enterprise:
    """A confirmed enterprise, its credit code checked to the last character and unique."""
    _require_admin(actor)
    name = details.name.strip()
    if not name:
        raise EnterpriseAdminError("name_missing")
    enterprise = Enterprise(
        name=name,
        credit_code=_checked_code(session, details.credit_code),
        address=details.address or None,
        contact_name=details.contact_name or None,
        contact_phone=details.contact_phone or None,
        contact_email=details.contact_email or None,
        confirmed=True,
        created_at=now or utcnow(),
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def _cases_of(session: Session, enterprise: Enterprise) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.enterprise_id == enterprise.id).order_by(Case.id)))


def confirm_enterprise(
    session: Session, actor: User, enterprise: Enterprise, *, name: str, credit_code: str, now: datetime | None = None
) -> Enterprise:
    """Confirm an enterprise a consumer entered, with its checked credit code; each of its cases records it.

    A code already held by another enterprise is refused: that is a duplicate, to be merged instead.
    """
    _require_admin(actor)
    now = now or utcnow()
    if enterprise.merged_into_id is not None:
        raise EnterpriseAdminError("merged")
    if enterprise.confirmed:
        raise EnterpriseAdminError("already_confirmed")
    if not name.strip():
        raise EnterpriseAdminError("name_missing")
    enterprise.credit_code = _checked_code(session, credit_code, other_than=enterprise)
    enterprise.name = name.strip()
    enterprise.confirmed = True
    for case in _cases_of(session, enterprise):
        audit.record(
            session, case, actor=actor, action="confirm_enterprise",
            body={"enterprise_id": enterprise.id, "credit_code": enterprise.credit_code, "merged": False},
            visibility=Visibility.STAFF, from_state=case.state, to_state=case.state, now=now,
        )
    session.flush()
    return enterprise


def merge_enterprise(
    session: Session, actor: User, duplicate: Enterprise, into: Enterprise, *, now: datetime | None = None
) -> list[Case]:
    """Move every case of a consumer-entered duplicate to the confirmed enterprise it stands for.

    Each moved case gets an audit event; the duplicate stays, unconfirmed and marked merged, so the trail
    can still name it, and the enterprise search never offers it again.
    """
    _require_admin(actor)
    now = now or utcnow()
    if duplicate.id == into.id:
        raise EnterpriseAdminError("same_enterprise")
    if duplicate.confirmed or duplicate.merged_into_id is not None:
        raise EnterpriseAdminError("not_a_duplicate")
    if not into.confirmed or into.merged_into_id is not None:
        raise EnterpriseAdminError("target_unconfirmed")
    if duplicate.users:
        raise EnterpriseAdminError("has_accounts")
    moved = _cases_of(session, duplicate)
    for case in moved:
        case.enterprise = into
        audit.record(
            session, case, actor=actor, action="merge_enterprise",
            body={"from_enterprise_id": duplicate.id, "enterprise_id": into.id},
            visibility=Visibility.STAFF, from_state=case.state, to_state=case.state, now=now,
        )
    duplicate.merged_into = into
    session.flush()
    return moved


def merge_candidates(session: Session, duplicate: Enterprise, limit: int = 20) -> list[Enterprise]:
    """Confirmed enterprises a duplicate may be merged into, those sharing a word of its name first."""
    query = select(Enterprise).where(Enterprise.confirmed.is_(True), Enterprise.id != duplicate.id)
    stem = duplicate.name.strip()[:2]
    similar = []
    if stem:
        pattern = "%" + stem.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        similar = list(session.scalars(query.where(Enterprise.name.ilike(pattern, escape="\\")).limit(limit)))
    others = session.scalars(query.order_by(Enterprise.name).limit(limit)).all()
    seen = {enterprise.id for enterprise in similar}
    return similar + [enterprise for enterprise in others if enterprise.id not in seen][: max(limit - len(similar), 0)]


def confirmed_by_credit_code(session: Session, text: str) -> Enterprise | None:
    """The confirmed enterprise holding this credit code, if any."""
    code = normalise_credit_code(text)
    return session.scalars(
        select(Enterprise).where(Enterprise.credit_code == code, Enterprise.confirmed.is_(True))
    ).first()


def merge_into_credit_code(
    session: Session, actor: User, duplicate: Enterprise, target_code: str, *, now: datetime | None = None
) -> tuple[Enterprise, list[Case]]:
    """Merge a duplicate into the confirmed enterprise holding the credit code the administrator typed."""
    target = confirmed_by_credit_code(session, target_code)
    if target is None:
        raise EnterpriseAdminError("target_unconfirmed")
    return target, merge_enterprise(session, actor, duplicate, target, now=now)
