"""Inspection bodies, samples and their custody, report rounds and fees; and the sweep that makes reports final."""

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker import deadlines
from tracker import workflow
from tracker.evidence import PDF
from tracker.models import CUSTODY_STEPS
from tracker.models import FEE_PAYERS
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import CustodyEntry
from tracker.models import InspectionBody
from tracker.models import ReportRound
from tracker.models import Role
from tracker.models import SamplingRecord
from tracker.models import User
from tracker.models import Visibility
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import attach_evidence
from tracker.workflow.guards import current_round
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: States in which samples may be taken, per kind (an appraisal has no sampling step of its own).
SAMPLING_STATES = {
    CaseKind.ARBITRATION: frozenset({"sampling", "re_inspection"}),
    CaseKind.APPRAISAL: frozenset({"panel_forming", "investigation", "deliberation", "re_appraisal"}),
}
#: States in which the round's report is written and may be uploaded.
REPORT_STATES = {
    CaseKind.ARBITRATION: frozenset({"inspection", "re_inspection"}),
    CaseKind.APPRAISAL: frozenset({"deliberation", "re_appraisal"}),
}
#: Which custody steps may follow which: the log must read as one unbroken chain of hands.
NEXT_CUSTODY_STEPS = {
    None: frozenset({"received"}),
    "received": frozenset({"stored", "tested"}),
    "stored": frozenset({"tested", "returned", "disposed"}),
    "tested": frozenset({"stored", "returned", "disposed"}),
    "returned": frozenset(),
    "disposed": frozenset(),
}


class InspectionError(Exception):
    """A refusal the web layer translates; `.code` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _require_officer(user: User) -> None:
    if user.role != Role.OFFICER:
        raise InspectionError("not_officer")


def works_on_current_round(case: Case, user: User | None) -> bool:
    """Staff of the body that carries out the case's current round: they log custody and upload its report."""
    report_round = current_round(case)
    body_id = getattr(user, "inspection_body_id", None)
    return (
        report_round is not None and body_id is not None and user.role == Role.EXPERT
        and report_round.inspection_body_id == body_id
    )


def _require_officer_or_body_staff(case: Case, user: User) -> None:
    if user.role != Role.OFFICER and not works_on_current_round(case, user):
        raise InspectionError("not_allowed")


# --- inspection bodies ---------------------------------------------------------------------------


def save_body(
    session: Session, admin: User, *, name: str, accreditation_number: str | None, accreditation_scope: str,
    active: bool = True, body: InspectionBody | None = None,
) -> InspectionBody:
    """Add an inspection body or change its accreditation."""
    if admin.role != Role.ADMIN:
        raise InspectionError("not_admin")
    same_name = session.scalars(select(InspectionBody).where(InspectionBody.name == name)).first()
    if same_name is not None and same_name is not body:
        raise InspectionError("duplicate_name")
    if body is None:
        body = InspectionBody()
        session.add(body)
    body.name, body.accreditation_number, body.accreditation_scope, body.active = (
        name, accreditation_number, accreditation_scope, active
    )
    return body


def attach_staff(session: Session, admin: User, body: InspectionBody, staff: User | None) -> None:
    """Make an expert account one of the body's staff, so that it sees the body's cases."""
    if admin.role != Role.ADMIN:
        raise InspectionError("not_admin")
    if staff is None or staff.role != Role.EXPERT:
        raise InspectionError("not_expert")
    staff.inspection_body_id = body.id


def body_cases(session: Session, staff: User) -> list[Case]:
    """The cases one of whose rounds the staff member's body carries out, newest first."""
    if staff.inspection_body_id is None:
        return []
    rounds = select(ReportRound.case_id).where(ReportRound.inspection_body_id == staff.inspection_body_id)
    return list(session.scalars(select(Case).where(Case.id.in_(rounds)).order_by(Case.filed_at.desc(), Case.id.desc())))


def staff_of(session: Session, body: InspectionBody) -> list[User]:
    """The body's staff accounts."""
    return list(session.scalars(select(User).where(User.inspection_body_id == body.id).order_by(User.display_name)))


def active_bodies(session: Session) -> list[InspectionBody]:
    """Bodies a round may be assigned to."""
    query = select(InspectionBody).where(InspectionBody.active.is_(True)).order_by(InspectionBody.name)
    return list(session.scalars(query))


def all_bodies(session: Session) -> list[InspectionBody]:
    """Every body, for the administrators."""
    return list(session.scalars(select(InspectionBody).order_by(InspectionBody.name)))


def assign_body(session: Session, case: Case, officer: User, body: InspectionBody | None, *, now: datetime) -> None:
    """Name the body that inspects this round; a later round may not go back to an earlier round's body."""
    _require_officer(officer)
    if case.kind != CaseKind.ARBITRATION:
        raise InspectionError("not_arbitration")
    report_round = current_round(case)
    if report_round is None or report_round.issued_on is not None:
        raise InspectionError("no_open_round")
    if body is None or not body.active:
        raise InspectionError("no_such_body")
    if any(r.inspection_body_id == body.id for r in case.report_rounds if r is not report_round):
        raise InspectionError("body_reused")
    report_round.inspection_body = body
    report_round.inspection_body_id = body.id
    audit.record(
        session, case, actor=officer, action="inspection_body_assigned",
        body={"round": report_round.number, "inspection_body": body.name},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )


# --- samples -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingDetails:
    """What the sampling record says."""

    sampled_on: date
    place: str
    quantity: int
    seal_numbers: str
    present: str


def record_sampling(
    session: Session, case: Case, officer: User, details: SamplingDetails, *, now: datetime
) -> SamplingRecord:
    """Record the sealed samples; an arbitration inspection then moves on to testing."""
    record = add_sampling_record(session, case, officer, details, now=now)
    if case.kind == CaseKind.ARBITRATION and case.state == "sampling":
        workflow.fire(case, "record_sampling", officer, now=now)
    return record


def add_sampling_record(
    session: Session, case: Case, officer: User, details: SamplingDetails, *, now: datetime
) -> SamplingRecord:
    """Keep the sampling record and its audit event, without moving the case (record_sampling does that)."""
    _require_officer(officer)
    if case.state not in SAMPLING_STATES.get(CaseKind(case.kind), frozenset()):
        raise InspectionError("not_sampling")
    if details.sampled_on > local_date(now):
        raise InspectionError("future_date")
    if details.quantity < 1:
        raise InspectionError("invalid")
    record = SamplingRecord(
        case=case, sampled_on=details.sampled_on, place=details.place, quantity=details.quantity,
        seal_numbers=details.seal_numbers, present=details.present, recorded_by_id=officer.id, recorded_at=now,
    )
    session.add(record)
    audit.record(
        session, case, actor=officer, action="sampling_recorded",
        body={"sampled_on": details.sampled_on.isoformat(), "place": details.place, "quantity": details.quantity,
              "seal_numbers": details.seal_numbers, "present": audit.personal_digest(details.present)},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )
    return record


def last_custody_step(sampling: SamplingRecord) -> str | None:
    """Where the samples are now, by the newest custody entry."""
    return sampling.custody[-1].step if sampling.custody else None


def log_custody(
    session: Session, case: Case, actor: User, sampling: SamplingRecord | None, *, step: str, handled_by: str,
    occurred_at: datetime, now: datetime,
) -> CustodyEntry:
    """Add one hand-over to the samples' custody log, as its own audit event, in an order that leaves no gap."""
    _require_officer_or_body_staff(case, actor)
    if sampling is None or sampling.case is not case:
        raise InspectionError("no_such_sampling")
    if step not in CUSTODY_STEPS:
        raise InspectionError("invalid")
    if step not in NEXT_CUSTODY_STEPS[last_custody_step(sampling)]:
        raise InspectionError("custody_order")
    if occurred_at > now or (sampling.custody and occurred_at < sampling.custody[-1].occurred_at):
        raise InspectionError("custody_time")
    event = audit.record(
        session, case, actor=actor, action="sample_custody",
        body={"sampling": sampling.id, "seal_numbers": sampling.seal_numbers, "step": step,
              "handled_by": audit.personal_digest(handled_by), "occurred_at": occurred_at.isoformat()},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )
    entry = CustodyEntry(
        sampling=sampling, step=step, handled_by=handled_by, occurred_at=occurred_at, recorded_by_id=actor.id,
        audit_event=event,
    )
    session.add(entry)
    return entry


# --- reports, objections and fees ----------------------------------------------------------------


def upload_report(
    session: Session, case: Case, actor: User, stream: BinaryIO, original_name: str, *, reference: str,
    root: Path, policy: EvidencePolicy, now: datetime,
) -> ReportRound:
    """Attach the round's report as a PDF, checked like evidence; it is issued by a separate action."""
    _require_officer_or_body_staff(case, actor)
    report_round = current_round(case)
    if case.state not in REPORT_STATES.get(CaseKind(case.kind), frozenset()) or report_round is None:
        raise InspectionError("not_report_step")
    if report_round.issued_on is not None:
        raise InspectionError("already_issued")
    report_file = attach_evidence(
        session, root=root, policy=policy, stream=stream, original_name=original_name, uploader=actor, case=case,
        purpose="report", now=now,
    )
    if report_file.content_type != PDF.content_type:
        raise InspectionError("not_pdf")
    session.flush()
    report_round.report_file = report_file
    report_round.report_evidence_id = report_file.id
    report_round.report_reference = reference
    audit.record(
        session, case, actor=actor, action="report_uploaded",
        body={"round": report_round.number, "reference": reference, "sha256": report_file.sha256},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )
    return report_round


def record_service(session: Session, case: Case, officer: User, served_on: date, *, now: datetime) -> None:
    """Record the day the report actually reached the parties (e.g. by post); the objection window moves with it."""
    _require_officer(officer)
    report_round = current_round(case)
    if case.state != "objection_window" or report_round is None or report_round.issued_on is None:
        raise InspectionError("not_served_step")
    if served_on < report_round.issued_on or served_on > local_date(now):
        raise InspectionError("service_date")
    calendar = WorkingCalendar.from_session(session)
    with session.no_autoflush:
        report_round.served_on = served_on
        case.report_issued_on = served_on
        for deadline in deadlines.open_deadlines(case, "objection"):
            deadline.started_on = served_on
            deadlines.recompute_due_date(session, deadline, calendar)
        audit.record(
            session, case, actor=officer, action="report_served",
            body={"round": report_round.number, "served_on": served_on.isoformat()},
            visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
        )


def record_fee(
    session: Session, case: Case, officer: User, report_round: ReportRound | None, *, amount: Decimal, paid_by: str,
    paid_on: date, now: datetime,
) -> None:
    """Record what a round cost, who paid and when."""
    _require_officer(officer)
    if report_round is None or report_round.case is not case:
        raise InspectionError("no_such_round")
    if paid_by not in FEE_PAYERS or amount < 0:
        raise InspectionError("invalid")
    if paid_on > local_date(now):
        raise InspectionError("future_date")
    report_round.fee_amount, report_round.fee_paid_by, report_round.fee_paid_on = amount, paid_by, paid_on
    audit.record(
        session, case, actor=officer, action="fee_recorded",
        body={"round": report_round.number, "amount": str(amount), "paid_by": paid_by, "paid_on": paid_on.isoformat()},
        visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
    )


def objection_window_ends_on(case: Case) -> date | None:
    """The last day a party may object to the current round's report."""
    report_round = current_round(case)
    if report_round is None or report_round.served_on is None:
        return None
    return date.fromordinal(report_round.served_on.toordinal() + case.rule_set.objection_days)


def finalize_lapsed_reports(session: Session, *, now: datetime, batch_size: int = 500) -> list[str]:
    """The sweep's part: make final, with the system actor, each report whose objection window ended unobjected.

    Found through the objection clock that ran out; a case it makes final leaves the query, so a second run
    finds nothing (idempotent), and SKIP LOCKED lets concurrent sweeps share the work on PostgreSQL.
    """
    cases = deadlines.lock_cases_with_lapsed_clock(
        session, "objection", today=local_date(now), limit=batch_size,
        where=(Case.state == "objection_window",
               Case.kind.in_([CaseKind.ARBITRATION.value, CaseKind.APPRAISAL.value])),
    )
    finalized = []
    for case in cases:
        try:
            workflow.fire_as_system(case, "finalize", now=now)
        except workflow.GuardFailed:
            continue
        finalized.append(case.number)
    return finalized
