"""Mediating a complaint: sessions and their minutes, the sweep's ending of expired mediations, and the follow-up
request (arbitration inspection or appraisal) a consumer may file after mediation failed."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker import deadlines
from tracker import workflow
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import FilingDraft
from tracker.models import MediationSession
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services import filing
from tracker.working_days import local_date

#: How a session was held.
SESSION_MODES = ("on_site", "remote")
#: What a session came to (the agreement itself is recorded by the record_agreement action).
SESSION_OUTCOMES = ("agreement_reached", "progress", "no_agreement", "postponed", "party_absent")
#: Kinds a failed mediation can turn into.
FOLLOW_UP_KINDS = (CaseKind.ARBITRATION, CaseKind.APPRAISAL)
#: The termination ground the sweep records when the mediation clock runs out.
TIME_LIMIT_GROUND = "time_limit"
#: Draft fields copied from the complaint into a follow-up request.
_FOLLOW_UP_FIELDS = (
    "product_name", "product_model", "product_batch", "production_date", "purchase_date", "purchase_place",
    "amount_paid", "mark_code", "category", "issue", "narrative", "contact_name", "contact_email", "contact_phone",
)


class MediationError(ValueError):
    """A session, minutes or follow-up that is not possible; `.code` says why (the web layer words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SessionPlan:
    """What the officer fills in to schedule a session."""

    starts_at: datetime
    mode: str
    mediator: User | None
    participants: str
    place: str | None = None
    link: str | None = None


def mediators(session: Session) -> list[User]:
    """Officers who can be named as mediator, by name."""
    return list(session.scalars(
        select(User).where(User.role == Role.OFFICER, User.active.is_(True)).order_by(User.display_name, User.id)
    ))


def may_schedule(case: Case) -> bool:
    """Sessions are held while a complaint is in mediation (or waiting on an expert opinion during it)."""
    return case.kind == CaseKind.COMPLAINT and case.state in ("mediation", "expert_review")


def sessions_awaiting_minutes(case: Case, *, now: datetime) -> list[MediationSession]:
    """Sessions that have taken place and have no minutes yet."""
    return [meeting for meeting in case.mediation_sessions if meeting.minutes is None and meeting.starts_at <= now]


def schedule_session(
    session: Session, case: Case, actor: User, plan: SessionPlan, *, now: datetime | None = None
) -> MediationSession:
    """Put a mediation session in the diary: on site with a place, or remote with a link; the parties see it."""
    now = now or utcnow()
    if actor.role != Role.OFFICER:
        raise MediationError("not_officer")
    if not may_schedule(case):
        raise MediationError("not_in_mediation")
    if plan.mode not in SESSION_MODES:
        raise MediationError("mode")
    place = (plan.place or "").strip() or None
    link = (plan.link or "").strip() or None
    if plan.mode == "on_site" and not place:
        raise MediationError("place")
    if plan.mode == "remote" and not (link and link.startswith(("https://", "http://"))):
        raise MediationError("link")
    if plan.mediator is None or plan.mediator.role != Role.OFFICER or not plan.mediator.active:
        raise MediationError("mediator")
    if not plan.participants.strip():
        raise MediationError("participants")
    if plan.starts_at <= now:
        raise MediationError("past")
    meeting = MediationSession(
        starts_at=plan.starts_at, mode=plan.mode, place=place if plan.mode == "on_site" else None,
        link=link if plan.mode == "remote" else None, mediator_id=plan.mediator.id,
        participants=plan.participants.strip(), scheduled_by_id=actor.id, created_at=now,
    )
    meeting.case = case
    session.add(meeting)
    audit.record(session, case, actor=actor, action="schedule_mediation_session",
                 body={"starts_at": plan.starts_at.isoformat(), "mode": plan.mode, "mediator_id": plan.mediator.id},
                 visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now)
    return meeting


def record_minutes(
    session: Session, meeting: MediationSession, actor: User, minutes: str, outcome: str, *,
    now: datetime | None = None,
) -> None:
    """Keep what was said at a session and what it came to; the minutes stay with staff, the outcome is shown."""
    now = now or utcnow()
    if actor.role != Role.OFFICER:
        raise MediationError("not_officer")
    if outcome not in SESSION_OUTCOMES:
        raise MediationError("outcome")
    if not minutes.strip():
        raise MediationError("minutes")
    if meeting.starts_at > now:
        raise MediationError("not_held")
    meeting.minutes = minutes.strip()
    meeting.outcome = outcome
    case = meeting.case
    audit.record(session, case, actor=actor, action="record_mediation_minutes",
                 body={"session_id": meeting.id, "outcome": outcome, "minutes": audit.personal_digest(minutes)},
                 visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now)


def end_expired_mediations(session: Session, *, now: datetime, batch_size: int = 200) -> list[str]:
    """End every mediation whose clock ran out without agreement, as the system; returns the case numbers.

    Each case gets one `end_mediation` event with the system actor, and the transition's listener queues the
    notice to both parties. A case already ended is no longer in mediation, so running this again changes
    nothing; cases another sweep holds are skipped (SKIP LOCKED on PostgreSQL).
    """
    cases = deadlines.lock_cases_with_lapsed_clock(
        session, "mediation", today=local_date(now), limit=batch_size,
        where=(Case.state == "mediation", Case.kind == CaseKind.COMPLAINT.value),
    )
    ended = []
    for case in cases:
        workflow.fire_as_system(case, "end_mediation", now=now, termination_ground=TIME_LIMIT_GROUND)
        ended.append(case.number)
    return ended


def follow_up_refusal(case: Case, user: User | None) -> str | None:
    """Why this user may not turn this complaint into a follow-up request now (None when they may)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CONSUMER:
        return "not_applicant"
    if case.applicant_id != user.id:
        return "not_applicant"
    ended_without_agreement = case.state == "mediation_ended" or (
        case.state == "closed" and bool(case.mediation_endings) and not case.mediation_agreements
    )
    if case.kind != CaseKind.COMPLAINT or not ended_without_agreement:
        return "not_ended"
    return None


def start_follow_up(
    session: Session, case: Case, applicant: User, kind: CaseKind | str, *, now: datetime | None = None
) -> FilingDraft:
    """A filing draft of an arbitration or appraisal request, pre-filled from the complaint and linked to it.

    The consumer reads it over, completes it and submits it like any filing; the new case then points at
    the complaint (`related_case_id`). Asking again returns the draft not yet submitted.
    """
    now = now or utcnow()
    refusal = follow_up_refusal(case, applicant)
    if refusal is not None:
        raise MediationError(refusal)
    kind = CaseKind(kind)
    if kind not in FOLLOW_UP_KINDS:
        raise MediationError("kind")
    unfinished = session.scalars(
        select(FilingDraft).where(FilingDraft.related_case_id == case.id, FilingDraft.owner_id == applicant.id,
                                  FilingDraft.kind == kind.value, FilingDraft.case_id.is_(None))
    ).first()
    if unfinished is not None:
        return unfinished
    draft = filing.start_draft(session, kind, applicant, None)
    data = {key: getattr(case, key) for key in _FOLLOW_UP_FIELDS if getattr(case, key) not in (None, "")}
    if case.enterprise is not None and case.enterprise.confirmed:
        data.update(enterprise_mode="existing", enterprise_id=case.enterprise.id)
    elif case.enterprise is not None:
        data.update(enterprise_mode="new", enterprise_name=case.enterprise.name,
                    enterprise_credit_code=case.enterprise.credit_code or "")
    data["applicant_standing"] = "party"
    data["questions"] = ""
    filing.save_draft(draft, data, now=now)
    draft.related_case_id = case.id
    return draft
