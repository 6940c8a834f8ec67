"""An enterprise's view of its own cases: the inbox, its record (timeliness, resolution, rating) and the export.

Every query starts from access.visible_cases, so an enterprise user never counts or exports a case of
another enterprise, nor one an officer has not accepted yet.
"""

import statistics
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from tracker.models import Case
from tracker.models import CaseAnswer
from tracker.models import Rating
from tracker.models import User
from tracker.services import access
from tracker.services.consumer_contact import contact_for_enterprise
from tracker.services.expectations import Expectation
from tracker.services.expectations import expectation_for
from tracker.workflow.guards import SETTLEMENT_OUTCOMES
from tracker.working_days import CalendarUnavailable
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: Cases listed under "the others" in the inbox; older ones are in the export.
OTHER_CASES_SHOWN = 100

#: States in which a complaint counts as resolved for the enterprise's record.
RESOLVED_STATES = frozenset({"settled"})


@dataclass(frozen=True)
class InboxEntry:
    """One case card: the case and what is expected of whom, by when."""

    case: Case
    expectation: Expectation


@dataclass(frozen=True)
class Inbox:
    """Cases waiting on the enterprise, soonest due first; then the others, newest first."""

    waiting: list[InboxEntry]
    others: list[InboxEntry]


def _own_cases(user: User):
    """The enterprise's accepted cases with what the cards and counters read, loaded up front."""
    return access.visible_cases(user).options(
        selectinload(Case.deadlines), selectinload(Case.answers), selectinload(Case.applicant)
    )


def inbox(session: Session, user: User, *, today: date) -> Inbox:
    """Split the enterprise's open cases by whether the enterprise must act, overdue ones first among those."""
    waiting: list[InboxEntry] = []
    others: list[InboxEntry] = []
    for case in session.scalars(_own_cases(user)):
        entry = InboxEntry(case, expectation_for(case, user, today=today))
        if entry.expectation.reader_acts:
            waiting.append(entry)
        elif len(others) < OTHER_CASES_SHOWN:
            others.append(entry)
    waiting.sort(key=lambda entry: (
        not entry.expectation.overdue, entry.expectation.due_on or date.max, entry.case.id,
    ))
    return Inbox(waiting=waiting, others=others)


@dataclass(frozen=True)
class EnterpriseRecord:
    """The figures on the enterprise's dashboard (DESIGN §8, enterprise profiles)."""

    cases_received: int
    #: Cases whose first answer was due or given, and how many of those were answered by the due date.
    answers_due: int
    answered_on_time: int
    resolved: int
    closed: int
    median_working_days_to_close: float | None
    average_rating: float | None
    ratings: int

    @property
    def share_answered_on_time(self) -> float | None:
        """None while no answer was due yet."""
        return self.answered_on_time / self.answers_due if self.answers_due else None

    @property
    def share_resolved(self) -> float | None:
        """Settled cases over cases received."""
        return self.resolved / self.cases_received if self.cases_received else None


def _first_answer(case: Case) -> CaseAnswer | None:
    return case.answers[0] if case.answers else None


def _response_was_due(case: Case, today: date) -> bool:
    """The enterprise's response clock ran out or was met: an answer was expected by now."""
    for deadline in case.deadlines:
        if deadline.clock != "enterprise_response":
            continue
        if deadline.met_at is not None or deadline.overdue_at is not None:
            return True
        if deadline.due_on is not None and deadline.due_on < today:
            return True
    return False


def record_of(session: Session, user: User, *, now: datetime) -> EnterpriseRecord:
    """Count over the enterprise's accepted cases; working days to close per the working-day calendar."""
    today = local_date(now)
    calendar = WorkingCalendar.from_session(session)
    received = answers_due = on_time = resolved = closed = 0
    days_to_close: list[int] = []
    for case in session.scalars(_own_cases(user)):
        received += 1
        answer = _first_answer(case)
        if answer is not None or _response_was_due(case, today):
            answers_due += 1
            on_time += answer is not None and not answer.late
        if case.state in RESOLVED_STATES or (case.state == "closed" and case.outcome in SETTLEMENT_OUTCOMES):
            resolved += 1
        if case.closed_at is not None and case.accepted_at is not None:
            closed += 1
            try:
                days_to_close.append(
                    calendar.working_days_between(local_date(case.accepted_at), local_date(case.closed_at))
                )
            except CalendarUnavailable:
                pass
    visible_ids = access.visible_cases(user).with_only_columns(Case.id).order_by(None)
    average, count = session.execute(
        select(func.avg(Rating.score), func.count(Rating.id)).where(Rating.case_id.in_(visible_ids))
    ).one()
    return EnterpriseRecord(
        cases_received=received,
        answers_due=answers_due,
        answered_on_time=on_time,
        resolved=resolved,
        closed=closed,
        median_working_days_to_close=statistics.median(days_to_close) if days_to_close else None,
        average_rating=float(average) if average is not None else None,
        ratings=count,
    )


#: The export's columns, in order; the web layer translates the headings.
EXPORT_COLUMNS = (
    "number", "kind", "state", "filed_on", "accepted_on", "product", "model", "batch",
    "response_due_on", "answered_on", "answer_late", "answer_outcome", "consumer_name",
    "consumer_phone", "consumer_email", "narrative",
)


def export_rows(session: Session, user: User) -> list[dict[str, str]]:
    """One row per case of the enterprise, with the consumer's contact masked unless they consented."""
    rows = []
    for case in session.scalars(_own_cases(user)):
        contact = contact_for_enterprise(case)
        answer = _first_answer(case)
        response_due = next(
            (deadline.due_on for deadline in case.deadlines if deadline.clock == "enterprise_response"), None
        )
        rows.append({
            "number": case.number,
            "kind": case.kind,
            "state": case.state,
            "filed_on": local_date(case.filed_at).isoformat(),
            "accepted_on": local_date(case.accepted_at).isoformat() if case.accepted_at else "",
            "product": case.product_name,
            "model": case.product_model or "",
            "batch": case.product_batch or "",
            "response_due_on": response_due.isoformat() if response_due else "",
            "answered_on": local_date(answer.answered_at).isoformat() if answer else "",
            "answer_late": ("yes" if answer.late else "no") if answer else "",
            "answer_outcome": answer.outcome if answer else "",
            "consumer_name": contact.name,
            "consumer_phone": contact.phone,
            "consumer_email": contact.email,
            "narrative": case.narrative,
        })
    return rows
