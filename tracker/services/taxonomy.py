"""The taxonomy of categories and issues, named in Chinese and English, as the administrators maintain it."""

import re

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Role
from tracker.models import TaxonomyTerm
from tracker.models import User

VOCABULARIES = ("category", "issue")
#: A code is stored on cases, so it stays short and plain.
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class TaxonomyError(ValueError):
    """A term cannot be saved as asked; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def terms(session: Session, vocabulary: str) -> list[TaxonomyTerm]:
    """Every term of a vocabulary, retired ones included, in display order."""
    return list(
        session.scalars(
            select(TaxonomyTerm)
            .where(TaxonomyTerm.vocabulary == vocabulary)
            .order_by(TaxonomyTerm.position, TaxonomyTerm.id)
        )
    )


def _check_labels(name_zh: str, name_en: str) -> tuple[str, str]:
    name_zh, name_en = name_zh.strip(), name_en.strip()
    if not name_zh or not name_en:
        raise TaxonomyError("label_missing")
    return name_zh, name_en


def add_term(session: Session, actor: User, vocabulary: str, *, code: str, name_zh: str, name_en: str) -> TaxonomyTerm:
    """A new term at the end of its list; its code is what cases store, so it must be new in the vocabulary."""
    if actor.role != Role.ADMIN:
        raise TaxonomyError("not_admin")
    if vocabulary not in VOCABULARIES:
        raise TaxonomyError("vocabulary")
    code = code.strip().lower()
    if not CODE_PATTERN.match(code):
        raise TaxonomyError("code_invalid")
    taken = session.scalars(
        select(TaxonomyTerm.id).where(TaxonomyTerm.vocabulary == vocabulary, TaxonomyTerm.code == code)
    ).first()
    if taken is not None:
        raise TaxonomyError("code_taken")
    name_zh, name_en = _check_labels(name_zh, name_en)
    last = session.scalar(select(func.max(TaxonomyTerm.position)).where(TaxonomyTerm.vocabulary == vocabulary))
    term = TaxonomyTerm(
        vocabulary=vocabulary, code=code, name_zh=name_zh, name_en=name_en, position=(last or 0) + 10, active=True
    )
    session.add(term)
    session.flush()
    return term


def update_term(actor: User, term: TaxonomyTerm, *, name_zh: str, name_en: str, active: bool) -> TaxonomyTerm:
    """Rename a term in both languages or retire it; the code stays, so cases filed under it keep their label."""
    if actor.role != Role.ADMIN:
        raise TaxonomyError("not_admin")
    term.name_zh, term.name_en = _check_labels(name_zh, name_en)
    term.active = active
    return term
