"""The expert pool as administrators keep it: expert accounts with their profile, specialties and active flag."""

from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import ConflictDeclaration
from tracker.models import ExpertProfile
from tracker.models import ExpertSpecialty
from tracker.models import Role
from tracker.models import TaxonomyTerm
from tracker.models import User
from tracker.services import accounts

#: The taxonomy vocabulary an expert's specialties come from.
SPECIALTY_VOCABULARY = "category"


class ExpertPoolError(ValueError):
    """A change to the pool refused; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def specialty_terms(session: Session) -> list[TaxonomyTerm]:
    """The product categories an expert may know, in the taxonomy's order."""
    return list(session.scalars(
        select(TaxonomyTerm).where(TaxonomyTerm.vocabulary == SPECIALTY_VOCABULARY, TaxonomyTerm.active.is_(True))
        .order_by(TaxonomyTerm.position, TaxonomyTerm.id)
    ))


def _terms_for(session: Session, codes: Iterable[str]) -> list[TaxonomyTerm]:
    wanted = list(dict.fromkeys(codes))
    terms = {term.code: term for term in specialty_terms(session) if term.code in wanted}
    if len(terms) != len(wanted):
        raise ExpertPoolError("unknown_specialty")
    return [terms[code] for code in wanted]


def _set_specialties(session: Session, profile: ExpertProfile, codes: Iterable[str]) -> None:
    terms = _terms_for(session, codes)
    if not terms:
        raise ExpertPoolError("no_specialty")
    kept = {specialty.term.code: specialty for specialty in profile.specialties}
    profile.specialties = [kept.get(term.code) or ExpertSpecialty(term=term) for term in terms]


def _organisation(organisation: str, credit_code: str | None) -> tuple[str, str | None]:
    organisation = (organisation or "").strip()
    if not organisation:
        raise ExpertPoolError("no_organisation")
    credit_code = (credit_code or "").strip().upper() or None
    if credit_code is not None and len(credit_code) != 18:
        raise ExpertPoolError("credit_code")
    return organisation, credit_code


def attach_profile(
    session: Session,
    user: User,
    *,
    organisation: str,
    specialty_codes: Iterable[str],
    now: datetime,
    organisation_credit_code: str | None = None,
    title: str | None = None,
) -> ExpertProfile:
    """Give an expert account its place in the pool."""
    if user.role != Role.EXPERT:
        raise ExpertPoolError("not_expert")
    if user.expert_profile is not None:
        raise ExpertPoolError("has_profile")
    organisation, credit_code = _organisation(organisation, organisation_credit_code)
    profile = ExpertProfile(
        user=user, organisation=organisation, organisation_credit_code=credit_code,
        title=(title or "").strip() or None, active=True, created_at=now, updated_at=now,
    )
    session.add(profile)
    _set_specialties(session, profile, specialty_codes)
    return profile


def create_expert(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    display_name: str,
    password: str,
    organisation: str,
    specialty_codes: Iterable[str],
    now: datetime,
    organisation_credit_code: str | None = None,
    title: str | None = None,
) -> User:
    """An administrator adds an expert to the pool: the account and its profile together."""
    codes = list(specialty_codes)
    _terms_for(session, codes)
    _organisation(organisation, organisation_credit_code)
    try:
        user = accounts.create_user(
            session, hasher, email=email, password=password, role=Role.EXPERT, display_name=display_name.strip(),
        )
    except accounts.AccountError as error:
        raise ExpertPoolError("email_taken") from error
    attach_profile(
        session, user, organisation=organisation, specialty_codes=codes, now=now,
        organisation_credit_code=organisation_credit_code, title=title,
    )
    return user


def update_profile(
    session: Session,
    profile: ExpertProfile,
    *,
    display_name: str,
    organisation: str,
    specialty_codes: Iterable[str],
    now: datetime,
    organisation_credit_code: str | None = None,
    title: str | None = None,
) -> ExpertProfile:
    """Change what the pool knows of an expert; past panels keep who sat on them."""
    profile.organisation, profile.organisation_credit_code = _organisation(organisation, organisation_credit_code)
    name = (display_name or "").strip()
    if not name:
        raise ExpertPoolError("no_name")
    profile.user.display_name = name
    profile.title = (title or "").strip() or None
    _set_specialties(session, profile, specialty_codes)
    profile.updated_at = now
    return profile


def set_active(profile: ExpertProfile, active: bool, *, now: datetime) -> ExpertProfile:
    """Take an expert out of the pool, or back in; panels they already sit on are the officer's to change."""
    profile.active = active
    profile.updated_at = now
    return profile


def pool(session: Session) -> list[ExpertProfile]:
    """Every expert profile, by name."""
    return list(session.scalars(
        select(ExpertProfile).join(User, ExpertProfile.user_id == User.id).order_by(User.display_name, User.id)
    ))


def declarations_of(session: Session, expert: User) -> list[ConflictDeclaration]:
    """The conflicts an expert has declared, newest first."""
    return list(session.scalars(
        select(ConflictDeclaration).where(ConflictDeclaration.expert_id == expert.id)
        .order_by(ConflictDeclaration.declared_at.desc(), ConflictDeclaration.id.desc())
    ))
