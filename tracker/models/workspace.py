"""The officer workspace's read tables: one queue row per open case, and the search index's bigram postings.

Both are derived from cases and their deadlines and rewritten by a flush hook in the same transaction as the
change they reflect, so a reader never sees a case in a queue it has left (decision records 0007 and 0008).
"""

import itertools
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.models.cases import Case
from tracker.models.deadlines import Deadline
from tracker.models.deadlines import DeadlineStatus
from tracker.models.types import UTCDateTime
from tracker.models.users import Enterprise

#: Sorts after every real date: the queue row of a case with no dated running clock (keyset needs no NULLs).
NO_DUE_DATE = date(9999, 12, 31)

#: States in which nothing more is expected of anyone; such cases have no queue row.
FINISHED_STATES = frozenset({"closed", "refused", "withdrawn", "merged"})

#: The queue a state belongs to besides "open" (at most one each, so one indexed column holds it).
STAGE_OF_STATE = {
    "awaiting_information": "awaiting_applicant",
    "settlement_proposed": "awaiting_applicant",
    "enterprise_response": "waiting_enterprise",
    "mediation": "mediation",
    "expert_review": "expert_review",
    "investigation": "expert_review",
    "deliberation": "expert_review",
}

#: Case fields whose words are searchable.
SEARCHED_CASE_FIELDS = ("number", "product_name", "product_model", "product_batch", "narrative", "enterprise_id")

_WORD_SPLIT = re.compile(r"[\W_]+", re.UNICODE)


class CaseQueueEntry(db.Model):
    """What the queues filter and sort on, for one open case; the keyset indexes live here."""

    __tablename__ = "case_queue_entries"
    __table_args__ = (
        Index("ix_case_queue_entries_due", "next_due_on", "case_id"),
        Index("ix_case_queue_entries_filed", "filed_at", "case_id"),
        Index("ix_case_queue_entries_officer_due", "assigned_officer_id", "next_due_on", "case_id"),
        Index("ix_case_queue_entries_officer_filed", "assigned_officer_id", "filed_at", "case_id"),
        Index("ix_case_queue_entries_officer_number", "assigned_officer_id", "number"),
        Index("ix_case_queue_entries_stage_due", "stage", "next_due_on", "case_id"),
        Index("ix_case_queue_entries_stage_filed", "stage", "filed_at", "case_id"),
        Index("ix_case_queue_entries_stage_number", "stage", "number"),
        Index("ix_case_queue_entries_enterprise_due", "enterprise_id", "next_due_on", "case_id"),
        Index("ix_case_queue_entries_state_kind", "state", "kind"),
        Index("ix_case_queue_entries_escalated", "escalated", "next_due_on", "case_id"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(40))
    #: awaiting_applicant, waiting_enterprise, mediation, expert_review, or None (see STAGE_OF_STATE).
    stage: Mapped[str | None] = mapped_column(String(20))
    assigned_officer_id: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Earliest due date of a running clock; NO_DUE_DATE when none runs or none has a date yet.
    next_due_on: Mapped[date] = mapped_column(Date)
    #: The sweep marked one of the open clocks overdue (an escalation).
    escalated: Mapped[bool] = mapped_column(Boolean)

    def __repr__(self) -> str:
        return f"<CaseQueueEntry {self.number} {self.state} due={self.next_due_on}>"


class CaseSearchTerm(db.Model):
    """One posting of the search index: this case contains this pair of adjacent characters (or a one-letter word)."""

    __tablename__ = "case_search_terms"

    term: Mapped[str] = mapped_column(String(2), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False, index=True)

    def __repr__(self) -> str:
        return f"<CaseSearchTerm {self.term!r} case={self.case_id}>"


def normalise_text(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case: what both the index and the query see."""
    return unicodedata.normalize("NFKC", text).casefold()


def words_of(text: str) -> list[str]:
    """Runs of letters and digits (a run of Chinese characters is one word)."""
    return [word for word in _WORD_SPLIT.split(normalise_text(text)) if word]


def bigrams_of(word: str) -> list[str]:
    """Overlapping pairs of characters; a one-character word is its own term."""
    if len(word) == 1:
        return [word]
    return [word[index:index + 2] for index in range(len(word) - 1)]


def terms_of(texts: Iterable[str | None]) -> set[str]:
    """Every distinct term of the texts."""
    return {term for text in texts if text for word in words_of(text) for term in bigrams_of(word)}


def searchable_texts(case: Case, enterprise: Enterprise | None) -> list[str | None]:
    """The texts a search can match: number, enterprise name and credit code, product, narrative."""
    return [
        case.number,
        enterprise.name if enterprise else None,
        enterprise.credit_code if enterprise else None,
        case.product_name,
        case.product_model,
        case.product_batch,
        case.narrative,
    ]


def next_due_on(deadlines: Iterable[Deadline]) -> date:
    """The earliest due date among running clocks, for sorting and the due-soon and overdue queues."""
    dates = [d.due_on for d in deadlines if d.status == DeadlineStatus.RUNNING and d.due_on is not None]
    return min(dates, default=NO_DUE_DATE)


def queue_row(case: Case) -> dict | None:
    """The queue row of a case, or None when the case is finished."""
    if case.state in FINISHED_STATES:
        return None
    open_clocks = [d for d in case.deadlines if d.status in (DeadlineStatus.RUNNING, DeadlineStatus.PAUSED)]
    return {
        "case_id": case.id,
        "number": case.number,
        "kind": case.kind,
        "state": case.state,
        "stage": STAGE_OF_STATE.get(case.state),
        "assigned_officer_id": case.assigned_officer_id,
        "enterprise_id": case.enterprise_id,
        "category": case.category,
        "filed_at": case.filed_at,
        "next_due_on": next_due_on(open_clocks),
        "escalated": any(d.overdue_at is not None for d in open_clocks),
    }


def _search_fields_changed(case: Case) -> bool:
    state = inspect(case)
    return any(state.attrs[name].history.has_changes() for name in SEARCHED_CASE_FIELDS)


def reindex_cases(session: Session, cases: list[Case], *, search: list[Case]) -> None:
    """Rewrite the queue rows of `cases` and the search postings of `search`, on the session's connection."""
    connection = session.connection()
    if cases:
        ids = [case.id for case in cases]
        connection.execute(delete(CaseQueueEntry.__table__).where(CaseQueueEntry.case_id.in_(ids)))
        rows = [row for row in (queue_row(case) for case in cases) if row is not None]
        if rows:
            connection.execute(insert(CaseQueueEntry.__table__), rows)
    if search:
        ids = [case.id for case in search]
        connection.execute(delete(CaseSearchTerm.__table__).where(CaseSearchTerm.case_id.in_(ids)))
        enterprise_ids = {case.enterprise_id for case in search if case.enterprise_id is not None}
        enterprises = {
            enterprise.id: enterprise
            for enterprise in session.scalars(select(Enterprise).where(Enterprise.id.in_(enterprise_ids)))
        } if enterprise_ids else {}
        postings = [
            {"term": term, "case_id": case.id}
            for case in search
            for term in sorted(terms_of(searchable_texts(case, enterprises.get(case.enterprise_id))))
        ]
        if postings:
            connection.execute(insert(CaseSearchTerm.__table__), postings)


def rebuild_all(session: Session, *, batch_size: int = 1000) -> int:
    """Rewrite every case's queue row and search postings (after a bulk load that bypassed the ORM); returns cases."""
    done = 0
    last_id = 0
    while True:
        batch = list(
            session.scalars(
                select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch_size)
                .options(selectinload(Case.deadlines))
            )
        )
        if not batch:
            return done
        reindex_cases(session, batch, search=batch)
        done += len(batch)
        last_id = batch[-1].id
        session.expunge_all()


#: Key in Session.info under which a flush leaves the cases whose workspace rows must be rewritten.
_PENDING_KEY = "workspace_reindex"


@event.listens_for(Session, "after_flush")
def _note_changed_cases(session: Session, flush_context) -> None:
    """Note which cases a flush changed (directly, through a clock, or through their enterprise's name).

    Only ids are read here: loading rows inside the flush would race the identity map, so the rewrite waits
    for after_flush_postexec, still in the same transaction.
    """
    queued, searched, renamed = session.info.setdefault(_PENDING_KEY, (set(), set(), set()))
    new = session.new  # built from the identity map on each read: once per flush, not once per row
    for item in itertools.chain(new, session.dirty):
        if isinstance(item, Case):
            queued.add(item.id)
            if item in new or _search_fields_changed(item):
                searched.add(item.id)
        elif isinstance(item, Deadline) and item.case_id is not None:
            queued.add(item.case_id)
        elif isinstance(item, Enterprise) and item not in new:
            attributes = inspect(item).attrs
            if attributes.name.history.has_changes() or attributes.credit_code.history.has_changes():
                renamed.add(item.id)


@event.listens_for(Session, "after_flush_postexec")
def _rewrite_workspace_rows(session: Session, flush_context) -> None:
    """Rewrite the queue rows and search postings of the cases the flush changed."""
    queued, searched, renamed = session.info.pop(_PENDING_KEY, (set(), set(), set()))
    if not (queued or searched or renamed):
        return
    with session.no_autoflush:
        if renamed:
            searched |= set(session.scalars(select(Case.id).where(Case.enterprise_id.in_(renamed))))
        wanted = queued | searched
        cases = {
            case.id: case
            for case in session.scalars(
                select(Case).where(Case.id.in_(wanted)).options(selectinload(Case.deadlines))
            )
        }
        reindex_cases(
            session,
            [cases[case_id] for case_id in sorted(queued) if case_id in cases],
            search=[cases[case_id] for case_id in sorted(searched) if case_id in cases],
        )
