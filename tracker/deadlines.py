"""Statutory clocks: start, pause, resume and stop them, and sweep what has become overdue (DESIGN §3)."""

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.models import Alert
from tracker.models import Case
from tracker.models import Deadline
from tracker.models import DeadlinePause
from tracker.models import DeadlineStatus
from tracker.models import NonWorkingDayReceipt
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import RuleSet
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.working_days import CalendarUnavailable
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: In a row's stop list: every clock of the case.
ALL_CLOCKS = "*"


class NoRuleSetInForce(LookupError):
    """No rule set is effective on the filing date."""


@dataclass(frozen=True)
class ClockSpec:
    """A deadline a transition can start: how it is counted and who must act."""

    name: str
    label: object
    #: RuleSet attribute holding the length, or None when the due date is agreed (the commission's report date).
    rule_attribute: str | None
    counting: str
    responsible: str


CLOCKS: dict[str, ClockSpec] = {
    spec.name: spec
    for spec in [
        ClockSpec("acceptance", _l("Decide to accept or refuse"), "acceptance_working_days", "working", "officer"),
        ClockSpec("enterprise_response", _l("Enterprise answers the complaint"),
                  "enterprise_response_working_days", "working", "enterprise"),
        ClockSpec("mediation", _l("Mediation concludes"), "mediation_working_days", "working", "officer"),
        ClockSpec("mediation_notice", _l("Tell both parties that mediation ended"),
                  "mediation_notice_working_days", "working", "officer"),
        ClockSpec("report", _l("Report due as agreed in the commission"), None, "calendar", "officer"),
        ClockSpec("objection", _l("Objection period for the report"), "objection_days", "calendar", "parties"),
    ]
}

OPEN_STATUSES = (DeadlineStatus.RUNNING, DeadlineStatus.PAUSED)


def rule_set_in_force(session: Session, on: date) -> RuleSet:
    """The newest rule set effective on the given day."""
    rule_set = session.scalars(
        select(RuleSet).where(RuleSet.effective_from <= on).order_by(RuleSet.effective_from.desc()).limit(1)
    ).first()
    if rule_set is None:
        raise NoRuleSetInForce(f"no rule set is in force on {on}")
    return rule_set


def raise_alert(session: Session, key: str, message: str) -> None:
    """Open an alert for the administrators, and e-mail them, unless one with this key is open already."""
    with session.no_autoflush:
        already_open = session.scalars(
            select(Alert.id).where(Alert.key == key, Alert.resolved_at.is_(None)).limit(1)
        ).first()
        admins = session.scalars(select(User.email).where(User.role == Role.ADMIN, User.active.is_(True))).all()
    pending = any(isinstance(item, Alert) and item.key == key for item in session.new)
    if already_open is None and not pending:
        session.add(Alert(key=key, message=message))
        for recipient in admins:
            session.add(OutboxMessage(recipient=recipient, subject=f"[Case Tracker] Alert: {key}", body=message))


def _add_days(calendar: WorkingCalendar, counting: str, start: date, days: int) -> date:
    if counting == "working":
        return calendar.add_working_days(start, days)
    return start + timedelta(days=days)


def _days_between(calendar: WorkingCalendar, counting: str, start: date, end: date) -> int:
    if counting == "working":
        return calendar.working_days_between(start, end)
    return max((end - start).days, 0)


def counting_start(deadline: Deadline, calendar: WorkingCalendar) -> date:
    """The day a clock counts from: under a "day 0" rule set, a working-day clock started on a day off moves on."""
    rule_set = deadline.case.rule_set
    if (
        deadline.counting == "working"
        and rule_set.non_working_day_receipt == NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ZERO
    ):
        return calendar.first_working_day_from(deadline.started_on)
    return deadline.started_on


def recompute_due_date(session: Session, deadline: Deadline, calendar: WorkingCalendar) -> None:
    """Derive the due date from the start, the length and every finished pause; pending if a year is unknown."""
    try:
        paused_days = 0
        for pause in deadline.pauses:
            if pause.resumed_on is not None:
                pause.days_added = _days_between(calendar, deadline.counting, pause.paused_on, pause.resumed_on)
                paused_days += pause.days_added
        deadline.paused_days = paused_days
        # An agreed due date (length_days None) is kept as agreed.
        if deadline.length_days is not None:
            deadline.due_on = _add_days(
                calendar, deadline.counting, counting_start(deadline, calendar), deadline.length_days + paused_days
            )
        deadline.calendar_pending = False
    except CalendarUnavailable as missing:
        deadline.due_on = None
        deadline.calendar_pending = True
        raise_alert(
            session,
            f"calendar:{missing.year}",
            f"Working-day calendar for {missing.year} is missing: deadlines reaching it are pending "
            f"until an administrator enters that year's holidays and adjusted working days.",
        )


def start_clock(
    session: Session,
    case: Case,
    clock: str,
    *,
    today: date,
    calendar: WorkingCalendar,
    agreed_due_on: date | None = None,
) -> Deadline:
    """Start one of the case's clocks under the case's own rule set."""
    spec = CLOCKS[clock]
    length = getattr(case.rule_set, spec.rule_attribute) if spec.rule_attribute else None
    deadline = Deadline(
        clock=spec.name,
        counting=spec.counting,
        length_days=length,
        started_on=today,
        due_on=agreed_due_on,
        responsible=spec.responsible,
        status=DeadlineStatus.RUNNING,
        paused_days=0,
        calendar_pending=False,
    )
    deadline.case = case
    session.add(deadline)
    recompute_due_date(session, deadline, calendar)
    return deadline


def open_deadlines(case: Case, clock: str | None = None) -> list[Deadline]:
    """The case's running or paused clocks, optionally only those of one name."""
    return [
        deadline
        for deadline in case.deadlines
        if deadline.status in OPEN_STATUSES and (clock is None or clock == ALL_CLOCKS or deadline.clock == clock)
    ]


def is_overdue(deadline: Deadline, *, today: date | None = None) -> bool:
    """Marked by the sweep, or visibly past its due date before the next sweep runs."""
    if deadline.is_overdue:
        return True
    return (
        deadline.status == DeadlineStatus.RUNNING
        and deadline.due_on is not None
        and deadline.due_on < (today or local_date(utcnow()))
    )


def next_open_deadline(case: Case) -> Deadline | None:
    """The open clock due first; clocks without a date yet (pending, paused) come after dated ones."""
    candidates = open_deadlines(case)
    if not candidates:
        return None
    return min(candidates, key=lambda deadline: (deadline.due_on is None, deadline.due_on or date.max, deadline.id))


def case_is_overdue(case: Case) -> bool:
    """Whether any open clock of the case has run out."""
    return any(is_overdue(deadline) for deadline in open_deadlines(case))


def pause_clock(session: Session, case: Case, clock: str, *, today: date) -> None:
    """Stop a running clock from counting until it resumes."""
    for deadline in open_deadlines(case, clock):
        if deadline.status == DeadlineStatus.RUNNING:
            deadline.status = DeadlineStatus.PAUSED
            pause = DeadlinePause(paused_on=today)
            pause.deadline = deadline
            session.add(pause)


def resume_clock(session: Session, case: Case, clock: str, *, today: date, calendar: WorkingCalendar) -> None:
    """Resume a paused clock; its due date moves by the working days the pause lasted."""
    for deadline in open_deadlines(case, clock):
        if deadline.status == DeadlineStatus.PAUSED:
            deadline.pauses[-1].resumed_on = today
            deadline.status = DeadlineStatus.RUNNING
            recompute_due_date(session, deadline, calendar)


def stop_clock(case: Case, clock: str, *, now: datetime) -> None:
    """Mark a clock met (the step it measured happened)."""
    for deadline in open_deadlines(case, clock):
        deadline.status = DeadlineStatus.MET
        deadline.met_at = now
        if deadline.pauses and deadline.pauses[-1].resumed_on is None:
            deadline.pauses[-1].resumed_on = local_date(now)


def recompute_pending(session: Session) -> int:
    """After an administrator completes a calendar year, give pending deadlines their due dates."""
    calendar = WorkingCalendar.from_session(session)
    if _every_missing_year_still_missing(session, calendar):
        return 0
    pending = session.scalars(
        select(Deadline).where(Deadline.calendar_pending.is_(True), Deadline.status.in_(OPEN_STATUSES))
    ).all()
    fixed = 0
    for deadline in pending:
        recompute_due_date(session, deadline, calendar)
        fixed += not deadline.calendar_pending
    return fixed


def _every_missing_year_still_missing(session: Session, calendar: WorkingCalendar) -> bool:
    """True when each year an open calendar alert names is still unknown, so no pending date can be fixed.

    Every pending deadline raised such an alert, and `calendar-year --complete` recomputes before closing it; so
    the sweep, which runs often, skips retrying thousands of pending deadlines while nothing has changed.
    """
    keys = session.scalars(select(Alert.key).where(Alert.key.like("calendar:%"), Alert.resolved_at.is_(None))).all()
    if not keys:
        return False
    for key in keys:
        year_text = key.removeprefix("calendar:")
        if not year_text.isdigit():
            return False
        try:
            calendar.is_working_day(date(int(year_text), 1, 1))
        except CalendarUnavailable:
            continue
        return False
    return True


@dataclass(frozen=True)
class SweepResult:
    """What one sweep marked."""

    cases: list[str]
    deadlines: int


def lock_cases_with_lapsed_clock(
    session: Session, clock: str, *, today: date, where: tuple = (), limit: int = 200
) -> list[Case]:
    """Cases whose running `clock` came due before `today` and that match `where`, locked, soonest lapse first.

    The lapsed clocks are read through ix_deadlines_lapse in its own order and joined to their cases. Asked
    for cases in id order with the clocks as an `IN` subquery, PostgreSQL walked every clock in case order at
    a million cases (a merge semi-join) to find the one that had lapsed. SKIP LOCKED lets concurrent sweeps
    share the work; SQLite serialises writers instead.
    """
    return list(dict.fromkeys(session.scalars(lapsed_clock_cases(clock, today=today, where=where, limit=limit))))


def lapsed_clock_cases(clock: str, *, today: date, where: tuple = (), limit: int = 200) -> Select:
    """The statement of `lock_cases_with_lapsed_clock`, which the benchmark also explains."""
    return (
        select(Case)
        .join(Deadline, Deadline.case_id == Case.id)
        .where(Deadline.clock == clock, Deadline.status == DeadlineStatus.RUNNING, Deadline.due_on < today, *where)
        .order_by(Deadline.due_on)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Case)
    )


def due_clocks(*, today: date, limit: int) -> Select:
    """The cases of running clocks due before `today` and not yet marked, in ix_deadlines_sweep's own order.

    Asked for cases in id order, SQLite scanned every clock in case order, and asked for no order, PostgreSQL
    scanned the table, both reads growing with the open cases. The benchmark explains this statement too.
    """
    return (
        select(Deadline.case_id)
        .where(
            Deadline.status == DeadlineStatus.RUNNING,
            Deadline.due_on < today,
            Deadline.overdue_at.is_(None),
        )
        .order_by(Deadline.due_on)
        .limit(limit)
    )


def sweep_overdue(session: Session, *, now: datetime, batch_size: int = 500) -> SweepResult:
    """Mark running clocks whose due date has passed, one audit event and one escalation per case.

    Reads only unmarked deadlines through the partial (status, due_on) index; locks the cases it handles with
    SKIP LOCKED on PostgreSQL so that concurrent sweeps share the work instead of repeating it.
    SQLite serialises writers (BEGIN IMMEDIATE), and the overdue_at check keeps repeats idempotent.
    """
    today = local_date(now)
    due_case_ids = set(session.scalars(due_clocks(today=today, limit=batch_size)))
    if not due_case_ids:
        return SweepResult(deadlines=0, cases=[])
    cases = session.scalars(
        select(Case)
        .where(Case.id.in_(due_case_ids))
        .order_by(Case.id)
        .with_for_update(skip_locked=True)
        .options(selectinload(Case.deadlines), selectinload(Case.assigned_officer))
    ).all()
    escalation_recipients = session.scalars(
        select(User.email).where(User.role == Role.ADMIN, User.active.is_(True))
    ).all()
    tails = audit.chain_tails(session, list(cases))
    marked = 0
    marked_cases: list[str] = []
    for case in cases:
        overdue = [
            deadline
            for deadline in case.deadlines
            if deadline.status == DeadlineStatus.RUNNING
            and deadline.due_on is not None
            and deadline.due_on < today
            and deadline.overdue_at is None
        ]
        if not overdue:
            continue
        for deadline in overdue:
            deadline.overdue_at = now
        marked += len(overdue)
        marked_cases.append(case.number)
        audit.record(
            session,
            case,
            actor=None,
            action="deadline_overdue",
            body={"clocks": [{"clock": d.clock, "due_on": d.due_on.isoformat()} for d in overdue]},
            visibility=Visibility.PARTIES,
            from_state=case.state,
            to_state=case.state,
            now=now,
            chain_tail=tails.get(case.id),
        )
        recipients = set(escalation_recipients)
        if case.assigned_officer is not None:
            recipients.add(case.assigned_officer.email)
        clocks = ", ".join(f"{d.clock} (due {d.due_on.isoformat()})" for d in overdue)
        for recipient in sorted(recipients):
            session.add(
                OutboxMessage(
                    recipient=recipient,
                    subject=f"[Case Tracker] Overdue: {case.number}",
                    body=f"Case {case.number} has missed: {clocks}.",
                    case_id=case.id,
                )
            )
    return SweepResult(cases=marked_cases, deadlines=marked)


def resolve_alert(session: Session, key: str, *, now: datetime | None = None) -> None:
    """Close the open alert with this key (e.g. once a calendar year is entered)."""
    for alert in session.scalars(select(Alert).where(Alert.key == key, Alert.resolved_at.is_(None))):
        alert.resolved_at = now or utcnow()
