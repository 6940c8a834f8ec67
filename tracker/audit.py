"""Writing and verifying the hash-chained audit trail (DESIGN §5)."""

import hashlib
import json
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow

#: prev_hash of the first event of every chain.
GENESIS_HASH = "0" * 64
SYSTEM_ROLE = "system"


class UnauditedChange(RuntimeError):
    """A case row was about to be written without an audit event in the same flush."""


def canonical_json(value: Any) -> str:
    """The one encoding that is hashed: sorted keys, no spaces, UTF-8 text, dates as ISO strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def personal_digest(value: Any) -> str:
    """Stand-in for personal data in an event body: proves what was written without revealing it."""
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()


def compute_hash(event_row: AuditEvent, case_number: str) -> str:
    """SHA-256 over the canonical encoding of every field of the event and the previous hash."""
    fields = {
        "case": case_number,
        "seq": event_row.seq,
        "occurred_at": event_row.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event_row.actor_id,
        "actor_role": event_row.actor_role,
        "action": event_row.action,
        "from_state": event_row.from_state,
        "to_state": event_row.to_state,
        "body": event_row.body,
        "visibility": event_row.visibility,
        "prev_hash": event_row.prev_hash,
    }
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def _chain_tail(session: Session, case: Case) -> tuple[int, str]:
    """Sequence number and hash of the newest event of the case, including unflushed ones."""
    pending = [
        item for item in session.new if isinstance(item, AuditEvent) and item.case is case
    ]
    if pending:
        newest = max(pending, key=lambda item: item.seq)
        return newest.seq, newest.hash
    if case.id is None:
        return 0, GENESIS_HASH
    with session.no_autoflush:
        newest = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
    if newest is None:
        return 0, GENESIS_HASH
    return newest.seq, newest.hash


def record(
    session: Session,
    case: Case,
    *,
    actor: User | None,
    action: str,
    body: Mapping[str, Any] | None = None,
    visibility: Visibility = Visibility.PARTIES,
    from_state: str | None = None,
    to_state: str | None = None,
    now: datetime | None = None,
    chain_tail: tuple[int, str] | None = None,
) -> AuditEvent:
    """Append an event to the case's chain and touch the case, so the optimistic lock orders writers.

    `chain_tail` (seq and hash of the newest event) spares the query when a batch job read the tails together.
    """
    # Hashed as stored: the column keeps UTC, so a time given in another zone must be turned into UTC first.
    occurred_at = (now or utcnow()).astimezone(UTC)
    seq, prev_hash = chain_tail or _chain_tail(session, case)
    event_row = AuditEvent(
        seq=seq + 1,
        occurred_at=occurred_at,
        actor_id=actor.id if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else SYSTEM_ROLE,
        action=action,
        from_state=from_state,
        to_state=to_state,
        body=canonical_json(dict(body or {})),
        visibility=str(visibility),
        prev_hash=prev_hash,
    )
    event_row.hash = compute_hash(event_row, case.number)
    event_row.case = case
    session.add(event_row)
    case.audit_head_hash = event_row.hash
    case.updated_at = occurred_at
    return event_row


def chain_tails(session: Session, cases: list[Case]) -> dict[int, tuple[int, str]]:
    """Seq and hash of the newest event of each case, in one query through the cases' head hashes."""
    heads = [case.audit_head_hash for case in cases if case.audit_head_hash is not None]
    if not heads:
        return {}
    rows = session.execute(
        select(AuditEvent.case_id, AuditEvent.seq, AuditEvent.hash).where(AuditEvent.hash.in_(heads))
    ).all()
    return {row.case_id: (row.seq, row.hash) for row in rows}


@event.listens_for(Session, "before_flush")
def _refuse_unaudited_case_changes(session: Session, flush_context, instances) -> None:
    """Every insert or update of a case must travel with an audit event of that case."""
    # session.new and session.dirty walk the identity map each time they are read: read each once, or a
    # batch job's flush grows with the square of its rows.
    new = list(session.new)
    audited = {id(item.case) for item in new if isinstance(item, AuditEvent)}
    changed = [item for item in new if isinstance(item, Case)]
    changed += [item for item in session.dirty
                if isinstance(item, Case) and session.is_modified(item, include_collections=False)]
    for item in changed:
        if id(item) not in audited:
            raise UnauditedChange(f"case {item.number} changed without an audit event")


@dataclass(frozen=True)
class ChainBreak:
    """The first event at which a case's chain does not verify."""

    case_number: str
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"case {self.case_number}, event #{self.seq} (id {self.event_id}): {self.reason}"


def _case_chain_breaks(case_number: str, head_hash: str | None, events: list[AuditEvent]) -> ChainBreak | None:
    """Check one case's events in order; return the first broken link."""
    prev_hash = GENESIS_HASH
    for expected_seq, event_row in enumerate(events, start=1):
        if event_row.seq != expected_seq:
            return ChainBreak(case_number, expected_seq, None, f"event #{expected_seq} is missing")
        if event_row.prev_hash != prev_hash:
            return ChainBreak(case_number, event_row.seq, event_row.id, "previous hash does not match")
        if compute_hash(event_row, case_number) != event_row.hash:
            return ChainBreak(case_number, event_row.seq, event_row.id, "content does not match its hash")
        prev_hash = event_row.hash
    if head_hash is not None and prev_hash != head_hash:
        return ChainBreak(case_number, len(events) + 1, None, "events are missing from the end of the chain")
    return None


def verify_chains(session: Session, batch_size: int = 2000) -> Iterator[tuple[str, ChainBreak | None]]:
    """Walk every case's chain in id order, yielding (case number, first break or None)."""
    cases = session.execute(
        select(Case.id, Case.number, Case.audit_head_hash).order_by(Case.id)
    ).all()
    for start in range(0, len(cases), batch_size):
        chunk = cases[start : start + batch_size]
        ids = [row.id for row in chunk]
        events_by_case: dict[int, list[AuditEvent]] = {case_id: [] for case_id in ids}
        for event_row in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id.in_(ids))
            .order_by(AuditEvent.case_id, AuditEvent.seq)
        ):
            events_by_case[event_row.case_id].append(event_row)
        for row in chunk:
            yield row.number, _case_chain_breaks(row.number, row.audit_head_hash, events_by_case[row.id])
