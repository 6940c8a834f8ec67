"""Finding cases by number, enterprise name or credit code, product and narrative words (decision record 0008)."""

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased
from sqlalchemy.orm import joinedload

from tracker.models import Case
from tracker.models import CaseQueueEntry
from tracker.models import CaseSearchTerm
from tracker.models.workspace import bigrams_of
from tracker.models.workspace import normalise_text
from tracker.models.workspace import searchable_texts
from tracker.models.workspace import words_of
from tracker.services.queues import PER_PAGE
from tracker.services.queues import InvalidCursor
from tracker.services.queues import decode_cursor
from tracker.services.queues import encode_cursor

#: Terms joined per query: enough to be selective; the final check on the text keeps the answer exact.
MAX_TERMS = 6
#: Terms whose postings are sized to pick the rarest MAX_TERMS.
MAX_CONSIDERED_TERMS = 12
MAX_QUERY_LENGTH = 100
#: Postings counted per term when choosing the rarest one to drive the walk.
RARITY_CAP = 5000
#: A whole case number goes straight to the unique index on cases.number.
CASE_NUMBER = re.compile(r"[A-Z]{2}-\d{4}-\d{6}")


class QueryTooShort(ValueError):
    """A query needs a word of at least two characters (the index holds pairs)."""


@dataclass(frozen=True)
class SearchRow:
    """A found case, with its queue row when it is open."""

    case: Case
    entry: CaseQueueEntry | None


@dataclass(frozen=True)
class SearchPage:
    """One page of results, newest case first, and the cursor of the next."""

    rows: list[SearchRow]
    next_cursor: str | None


def query_terms(query: str) -> tuple[list[str], list[str]]:
    """The query's words (for the exact check) and the distinct index terms to look up."""
    words = [word for word in words_of(query[:MAX_QUERY_LENGTH]) if len(word) >= 2]
    if not words:
        raise QueryTooShort(query)
    terms: list[str] = []
    for word in words:
        for term in bigrams_of(word):
            if term not in terms:
                terms.append(term)
    return words, terms[:MAX_CONSIDERED_TERMS]


def _matches(case: Case, words: list[str]) -> bool:
    """Every query word appears, whole, in one of the case's searched texts."""
    texts = [normalise_text(text) for text in searchable_texts(case, case.enterprise) if text]
    return all(any(word in text for text in texts) for word in words)


def rarest_first(session: Session, terms: list[str]) -> list[str]:
    """The terms ordered by how many cases hold them (counted up to RARITY_CAP), so the walk is driven by the rarest."""
    sizes = {
        term: session.scalar(
            select(func.count()).select_from(
                select(CaseSearchTerm.case_id).where(CaseSearchTerm.term == term).limit(RARITY_CAP).subquery()
            )
        )
        for term in terms
    }
    return sorted(terms, key=lambda term: sizes[term])


def search_cases(session: Session, query: str, *, after: str | None, per_page: int = PER_PAGE) -> SearchPage:
    """Walk the postings of the query's terms in case order from the cursor; each page costs about the same."""
    position = decode_cursor(after, "search") if after else None
    number = normalise_text(query).strip().upper()
    if CASE_NUMBER.fullmatch(number):
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        if case_id is not None and (position is None or case_id < position[0]):
            return _page_of(session, [case_id], [], more=False)
        return SearchPage(rows=[], next_cursor=None)
    words, terms = query_terms(query)
    terms = rarest_first(session, terms)[:MAX_TERMS]
    first = aliased(CaseSearchTerm)
    candidates = select(first.case_id).where(first.term == terms[0])
    for term in terms[1:]:
        other = aliased(CaseSearchTerm)
        candidates = candidates.join(other, (other.case_id == first.case_id) & (other.term == term))
    if position is not None:
        candidates = candidates.where(first.case_id < position[0])
    ids = session.scalars(candidates.order_by(first.case_id.desc()).limit(per_page + 1)).all()
    return _page_of(session, ids[:per_page], words, more=len(ids) > per_page)


def _page_of(session: Session, ids: list[int], words: list[str], *, more: bool) -> SearchPage:
    """Load the cases of the ids with what their cards show, keeping those whose text really holds every word."""
    if not ids:
        return SearchPage(rows=[], next_cursor=None)
    cases = {
        case.id: case
        for case in session.scalars(
            select(Case).where(Case.id.in_(ids)).options(joinedload(Case.enterprise), joinedload(Case.assigned_officer))
        )
    }
    entries = {
        entry.case_id: entry
        for entry in session.scalars(select(CaseQueueEntry).where(CaseQueueEntry.case_id.in_(ids)))
    }
    rows = [
        SearchRow(case=cases[case_id], entry=entries.get(case_id))
        for case_id in ids
        if _matches(cases[case_id], words)
    ]
    return SearchPage(rows=rows, next_cursor=encode_cursor([ids[-1]]) if more else None)


__all__ = ["InvalidCursor", "QueryTooShort", "SearchPage", "search_cases"]
