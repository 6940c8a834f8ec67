"""Expert panels: who may sit (and why not), appointing by choice or by a replayable draw, the chair, declining,
conflicts, recusal requests, opinions and the chair's conclusion. Every step is an audit event of the case."""

import random
import secrets
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.evidence import PDF
from tracker.evidence import EvidenceLimits
from tracker.evidence import EvidenceRejected
from tracker.evidence import prepare_upload
from tracker.evidence import store_prepared
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import ConflictDeclaration
from tracker.models import Enterprise
from tracker.models import ExpertProfile
from tracker.models import Opinion
from tracker.models import PanelConclusion
from tracker.models import PanelMember
from tracker.models import RecusalRequest
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.panel_rules import current_conclusion
from tracker.panel_rules import opinions_complete
from tracker.panel_rules import panel_rule_for
from tracker.services.attachments import remember_new_file

#: States in which the officer may appoint, replace or re-chair members, per kind.
PANEL_STATES = {
    CaseKind.COMPLAINT: frozenset({"mediation", "expert_review", "reopened"}),
    CaseKind.QUALITY_APPEAL: frozenset({"accepted", "expert_review", "reopened"}),
    CaseKind.ARBITRATION: frozenset({"sampling", "inspection", "re_inspection", "reopened"}),
    CaseKind.APPRAISAL: frozenset({"panel_forming", "investigation", "deliberation", "re_appraisal", "reopened"}),
}
#: States in which members give their opinions.
OPINION_STATES = {
    CaseKind.COMPLAINT: frozenset({"expert_review"}),
    CaseKind.QUALITY_APPEAL: frozenset({"expert_review"}),
    CaseKind.ARBITRATION: frozenset({"inspection", "re_inspection"}),
    CaseKind.APPRAISAL: frozenset({"investigation", "re_appraisal"}),
}
#: States in which the chair compiles the panel's conclusion.
CONCLUSION_STATES = {
    CaseKind.COMPLAINT: frozenset({"expert_review"}),
    CaseKind.QUALITY_APPEAL: frozenset({"expert_review"}),
    CaseKind.ARBITRATION: frozenset({"inspection", "re_inspection"}),
    CaseKind.APPRAISAL: frozenset({"deliberation", "re_appraisal"}),
}

#: Why an expert cannot sit on this case, in the order the officer reads them.
EXCLUSION_REASONS = (
    "inactive",
    "specialty",
    "declared_conflict",
    "same_organisation",
    "appealed_decision",
    "earlier_round",
    "left_this_case",
    "on_panel",
    "excluded",
)
#: Longest free text a panel form takes.
MAX_TEXT_LENGTH = 20000
#: How far along related-case links an earlier round is looked for.
MAX_LINK_DEPTH = 10


class PanelError(ValueError):
    """A panel step refused; `.code` says why, `.expert_id` names the expert concerned when there is one."""

    def __init__(self, code: str, *, expert_id: int | None = None, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.expert_id = expert_id
        self.reasons = reasons


@dataclass(frozen=True)
class Candidate:
    """An expert as the officer sees them when forming this case's panel."""

    expert: User
    profile: ExpertProfile | None
    #: Codes from EXCLUSION_REASONS; empty when the expert may be appointed.
    reasons: tuple[str, ...]

    @property
    def eligible(self) -> bool:
        """Nothing stands in the way of appointing this expert."""
        return not self.reasons


@dataclass(frozen=True)
class Draw:
    """A random draw among the eligible: the seed and the pool are enough to replay it."""

    seed: int
    pool: tuple[int, ...]
    count: int
    drawn: tuple[int, ...]

    def as_body(self) -> dict[str, Any]:
        """What the audit event keeps of the draw."""
        return {"seed": self.seed, "pool": list(self.pool), "count": self.count, "drawn": list(self.drawn)}


def _normalised(name: str | None) -> str:
    return "".join((name or "").split()).casefold()


def same_organisation(profile: ExpertProfile, enterprise: Enterprise | None) -> bool:
    """The expert works for the enterprise the case names (by credit code, or by name)."""
    if enterprise is None:
        return False
    if profile.organisation_credit_code and enterprise.credit_code:
        if profile.organisation_credit_code.strip().upper() == enterprise.credit_code.strip().upper():
            return True
    return _normalised(profile.organisation) != "" and _normalised(profile.organisation) == _normalised(enterprise.name)


def linked_cases(session: Session, case: Case) -> list[Case]:
    """Earlier rounds of the same dispute: the cases this one grew from, and the cases that grew from it."""
    found: list[Case] = []
    current = case.related_case
    while current is not None and current is not case and current not in found and len(found) < MAX_LINK_DEPTH:
        found.append(current)
        current = current.related_case
    if case.id is not None:
        for child in session.scalars(select(Case).where(Case.related_case_id == case.id, Case.id != case.id)):
            if child not in found:
                found.append(child)
    return found


def assess_experts(
    session: Session, case: Case, *, specialty: str | None = None, exclude_ids: Iterable[int] = ()
) -> list[Candidate]:
    """Every expert of the pool with the reasons, if any, that keep them off this case's panel.

    `specialty` is a taxonomy category code (the case's category unless given; "" for any field);
    `exclude_ids` takes out experts for a reason the caller knows, such as a first round's panel.
    """
    specialty = case.category if specialty is None else specialty
    excluded = set(exclude_ids)
    rule = panel_rule_for(case)
    declared = set()
    if case.enterprise_id is not None:
        declared = set(session.scalars(
            select(ConflictDeclaration.expert_id).where(ConflictDeclaration.enterprise_id == case.enterprise_id)
        ))
    earlier = {member.expert_id for linked in linked_cases(session, case) for member in linked.panel}
    this_case = {member.expert_id: member for member in case.panel}
    current_round = case.panel_round
    candidates = []
    experts = session.scalars(
        select(User).where(User.role == Role.EXPERT.value).order_by(User.display_name, User.id)
    )
    for expert in experts:
        profile = expert.expert_profile
        reasons = []
        if not expert.active or profile is None or not profile.active:
            reasons.append("inactive")
        if specialty and (profile is None or specialty not in profile.specialty_codes):
            reasons.append("specialty")
        if expert.id in declared:
            reasons.append("declared_conflict")
        if profile is not None and same_organisation(profile, case.enterprise):
            reasons.append("same_organisation")
        if expert.id in earlier:
            appeal = rule.excludes_appealed_panel and case.kind == CaseKind.QUALITY_APPEAL
            reasons.append("appealed_decision" if appeal else "earlier_round")
        member = this_case.get(expert.id)
        if member is not None:
            if member.round_number != current_round:
                reasons.append("earlier_round")
            elif member.recused_at is not None:
                reasons.append("left_this_case")
            else:
                reasons.append("on_panel")
        if expert.id in excluded:
            reasons.append("excluded")
        candidates.append(Candidate(expert, profile, tuple(dict.fromkeys(reasons))))
    return candidates


def eligible_experts(
    session: Session, case: Case, specialty: str | None = None, exclude_ids: Iterable[int] = ()
) -> list[User]:
    """The experts who may be appointed to this case now (a second round passes the first round's members)."""
    return [
        candidate.expert
        for candidate in assess_experts(session, case, specialty=specialty, exclude_ids=exclude_ids)
        if candidate.eligible
    ]


def draw_from(pool: Iterable[int], count: int, seed: int) -> tuple[int, ...]:
    """The draw itself: the same pool, count and seed always give the same experts."""
    return tuple(random.Random(seed).sample(sorted(pool), count))  # noqa: S311 - replayable by design; the seed is secret-drawn


def replay_draw(body: Mapping[str, Any]) -> tuple[int, ...]:
    """Draw again from what an audit event recorded; equal to its `drawn` when nothing was tampered with."""
    return draw_from(body["pool"], body["count"], body["seed"])


def propose_draw(
    session: Session,
    case: Case,
    count: int,
    *,
    specialty: str | None = None,
    exclude_ids: Iterable[int] = (),
    seed: int | None = None,
) -> Draw:
    """Draw `count` experts at random among the eligible; nothing is written until the officer appoints them."""
    pool = tuple(sorted(expert.id for expert in eligible_experts(session, case, specialty, exclude_ids)))
    if count < 1 or count > len(pool):
        raise PanelError("pool_too_small")
    seed = secrets.randbits(63) if seed is None else seed
    return Draw(seed=seed, pool=pool, count=count, drawn=draw_from(pool, count, seed))


def _require_officer(actor: User) -> None:
    if actor.role != Role.OFFICER:
        raise PanelError("not_officer")


def _require_state(case: Case, states: Mapping[CaseKind, frozenset[str]]) -> None:
    if case.state not in states[CaseKind(case.kind)]:
        raise PanelError("state")


def _text(value: str | None, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise PanelError("empty")
        return None
    if len(text) > MAX_TEXT_LENGTH:
        raise PanelError("too_long")
    return text


def _record(session: Session, case: Case, actor: User | None, action: str, body: Mapping[str, Any],
            now: datetime, visibility: Visibility = Visibility.PARTIES) -> None:
    audit.record(
        session, case, actor=actor, action=action, body=body, visibility=visibility,
        from_state=case.state, to_state=case.state, now=now,
    )


def appoint_panel(
    session: Session,
    case: Case,
    officer: User,
    expert_ids: Iterable[int],
    *,
    chair_id: int | None,
    now: datetime,
    specialty: str | None = None,
    draw: Draw | None = None,
    exclude_ids: Iterable[int] = (),
    round_number: int | None = None,
) -> list[PanelMember]:
    """Appoint experts (a whole panel, or a replacement) so that the panel that results is one the rules admit.

    The chair is named here when the panel has none (or is changed to `chair_id`). With a draw, the draw is
    repeated from its seed and must give exactly these experts; its seed and pool go into the audit event.
    """
    _require_officer(officer)
    _require_state(case, PANEL_STATES)
    chosen = list(dict.fromkeys(expert_ids))
    if not chosen:
        raise PanelError("none_chosen")
    exclude_ids = tuple(exclude_ids)
    round_number = round_number or case.panel_round
    if round_number < case.panel_round:
        raise PanelError("state")
    if round_number > case.panel_round:
        exclude_ids = (*exclude_ids, *(member.expert_id for member in case.panel))
    if draw is not None:
        replayed = propose_draw(
            session, case, draw.count, specialty=specialty, exclude_ids=exclude_ids, seed=draw.seed
        )
        if sorted(replayed.drawn) != sorted(chosen):
            raise PanelError("draw_changed")
        draw = replayed
    candidates = {
        candidate.expert.id: candidate
        for candidate in assess_experts(session, case, specialty=specialty, exclude_ids=exclude_ids)
    }
    for expert_id in chosen:
        candidate = candidates.get(expert_id)
        if candidate is None:
            raise PanelError("not_expert", expert_id=expert_id)
        if not candidate.eligible:
            raise PanelError("not_eligible", expert_id=expert_id, reasons=candidate.reasons)
    staying = case.active_panel if round_number == case.panel_round else []
    members_after = [member.expert_id for member in staying] + chosen
    if not panel_rule_for(case).admits(len(members_after)):
        raise PanelError("size")
    has_chair = any(member.is_chair for member in staying)
    if chair_id is None and not has_chair:
        raise PanelError("chair_missing")
    if chair_id is not None and chair_id not in members_after:
        raise PanelError("chair_not_member")
    appointed = []
    for expert_id in chosen:
        member = PanelMember(
            expert=candidates[expert_id].expert, expert_id=expert_id, appointed_at=now, round_number=round_number,
        )
        member.case = case
        session.add(member)
        appointed.append(member)
    if chair_id is not None:
        for member in [*staying, *appointed]:
            member.is_chair = member.expert_id == chair_id
    body: dict[str, Any] = {
        "expert_ids": chosen, "chair_id": chair_id, "round": round_number, "specialty": specialty or case.category,
    }
    if draw is not None:
        body["draw"] = draw.as_body()
    _record(session, case, officer, "appoint_panel", body, now)
    session.flush()
    return appointed


def link_appealed_decision(session: Session, case: Case, officer: User, number: str, *, now: datetime) -> Case:
    """The officer names the case whose decision a quality appeal challenges; its panel may not sit again."""
    _require_officer(officer)
    if case.kind != CaseKind.QUALITY_APPEAL:
        raise PanelError("not_appeal")
    if case.related_case_id is not None:
        raise PanelError("already_linked")
    appealed = session.scalars(select(Case).where(Case.number == (number or "").strip().upper())).first()
    if appealed is None or appealed is case:
        raise PanelError("no_such_case")
    case.related_case = appealed
    _record(session, case, officer, "link_appealed_decision", {"appealed_case": appealed.number}, now)
    return appealed


def _active_member(case: Case, member_id: int) -> PanelMember:
    member = next((m for m in case.active_panel if m.id == member_id), None)
    if member is None:
        raise PanelError("not_member")
    return member


def name_chair(session: Session, case: Case, officer: User, member_id: int, *, now: datetime) -> PanelMember:
    """The officer names (or changes) the member who chairs the panel."""
    _require_officer(officer)
    _require_state(case, PANEL_STATES)
    chair = _active_member(case, member_id)
    if current_conclusion(case) is not None:
        raise PanelError("concluded")
    for member in case.active_panel:
        member.is_chair = member is chair
    _record(session, case, officer, "name_chair", {"expert_id": chair.expert_id}, now)
    return chair


def _leave(member: PanelMember, departure: str, reason: str, now: datetime) -> None:
    member.recused_at = now
    member.recusal_reason = reason
    member.departure = departure
    member.is_chair = False


def decline_appointment(session: Session, case: Case, expert: User, reason: str, *, now: datetime) -> PanelMember:
    """An appointed expert declines, with a reason, before giving an opinion; the officer appoints a replacement."""
    reason = _text(reason)
    member = next((m for m in case.active_panel if m.expert_id == expert.id), None)
    if member is None:
        raise PanelError("not_member")
    if member.opinion is not None:
        raise PanelError("opinion_given")
    _leave(member, "declined", reason, now)
    _record(session, case, expert, "decline_appointment",
            {"expert_id": expert.id, "reason_digest": audit.personal_digest(reason)}, now)
    return member


def declare_conflict(
    session: Session, expert: User, enterprise: Enterprise, reason: str, *, now: datetime
) -> tuple[ConflictDeclaration, list[Case]]:
    """An expert declares an interest in an enterprise: barred from its cases, and off the panels they sit on now.

    A panel whose member has already given an opinion keeps them: the officer decides on a recusal there.
    Returns the declaration and the cases the expert left.
    """
    if expert.role != Role.EXPERT:
        raise PanelError("not_expert")
    reason = _text(reason)
    exists = session.scalars(
        select(ConflictDeclaration).where(
            ConflictDeclaration.expert_id == expert.id, ConflictDeclaration.enterprise_id == enterprise.id
        )
    ).first()
    if exists is not None:
        raise PanelError("already_declared")
    declaration = ConflictDeclaration(expert=expert, enterprise=enterprise, reason=reason, declared_at=now)
    session.add(declaration)
    left = []
    memberships = session.scalars(
        select(PanelMember).join(Case, PanelMember.case_id == Case.id).where(
            PanelMember.expert_id == expert.id, PanelMember.recused_at.is_(None), Case.enterprise_id == enterprise.id
        ).order_by(PanelMember.id)
    )
    for member in memberships:
        case = member.case
        if member not in case.active_panel or member.opinion is not None:
            continue
        _leave(member, "conflict", reason, now)
        body = {"expert_id": expert.id, "enterprise_id": enterprise.id, "reason_digest": audit.personal_digest(reason)}
        _record(session, case, expert, "declare_conflict", body, now)
        left.append(case)
    return declaration, left


def is_party(case: Case, user: User) -> bool:
    """The applicant, or a user of the enterprise the case names."""
    if user.role == Role.CONSUMER:
        return case.applicant_id == user.id
    if user.role == Role.ENTERPRISE:
        return user.enterprise_id is not None and user.enterprise_id == case.enterprise_id
    return False


def request_recusal(
    session: Session, case: Case, party: User, member_id: int, reason: str, *, now: datetime
) -> RecusalRequest:
    """A party asks, with reasons, that a named member leave the panel; the officer decides."""
    if not is_party(case, party):
        raise PanelError("not_party")
    reason = _text(reason)
    member = _active_member(case, member_id)
    pending = any(
        request.panel_member_id == member.id and request.decided_at is None for request in case.recusal_requests
    )
    if pending:
        raise PanelError("pending")
    request = RecusalRequest(
        case=case, member=member, panel_member_id=member.id, requested_by=party, reason=reason, requested_at=now
    )
    session.add(request)
    _record(session, case, party, "request_recusal",
            {"expert_id": member.expert_id, "reason_digest": audit.personal_digest(reason)}, now)
    return request


def decide_recusal(
    session: Session, case: Case, officer: User, request_id: int, *, granted: bool, reason: str, now: datetime
) -> RecusalRequest:
    """The officer grants a recusal request (the expert leaves) or refuses it, with reasons either way."""
    _require_officer(officer)
    reason = _text(reason)
    request = next((r for r in case.recusal_requests if r.id == request_id), None)
    if request is None:
        raise PanelError("no_request")
    if request.decided_at is not None:
        raise PanelError("decided")
    leaves = granted and request.member.recused_at is None
    if leaves and current_conclusion(case) is not None:
        raise PanelError("concluded")
    request.decided_by = officer
    request.decided_at = now
    request.granted = granted
    request.decision_reason = reason
    if leaves:
        _leave(request.member, "recused", reason, now)
    _record(session, case, officer, "decide_recusal",
            {"expert_id": request.member.expert_id, "granted": granted, "reason": reason}, now)
    return request


def submit_opinion(
    session: Session,
    case: Case,
    expert: User,
    *,
    findings: str,
    conclusion: str,
    reasoning: str,
    now: datetime,
    report: tuple[BinaryIO, str] | None = None,
    root: Path | None = None,
    limits: EvidenceLimits | None = None,
) -> Opinion:
    """A member gives their opinion once, with an optional PDF report checked like evidence."""
    member = next((m for m in case.active_panel if m.expert_id == expert.id), None)
    if member is None:
        raise PanelError("not_member")
    _require_state(case, OPINION_STATES)
    if member.opinion is not None:
        raise PanelError("opinion_given")
    texts = {"findings": _text(findings), "conclusion": _text(conclusion), "reasoning": _text(reasoning)}
    stored = None
    if report is not None:
        stream, original_name = report
        prepared = prepare_upload(stream, original_name, limits or EvidenceLimits())
        if prepared.content_type != PDF.content_type:
            raise EvidenceRejected("type", "An expert's report is a PDF document.")
        stored = store_prepared(prepared, root)
        remember_new_file(session, root, stored)
    opinion = Opinion(member=member, case=case, submitted_at=now, **texts)
    if stored is not None:
        opinion.report_stored_name = stored.stored_name
        opinion.report_sha256 = stored.sha256
        opinion.report_size = stored.size
        opinion.report_original_name = stored.original_name
    session.add(opinion)
    _record(session, case, expert, "submit_expert_opinion",
            {"expert_id": expert.id, "report_sha256": opinion.report_sha256}, now, Visibility.STAFF)
    return opinion


def may_read_opinions(case: Case, viewer: User) -> bool:
    """Staff read every opinion; a member reads co-panelists' only after giving their own."""
    if viewer.role in (Role.OFFICER, Role.ADMIN):
        return True
    return any(member.expert_id == viewer.id and member.opinion is not None for member in case.active_panel)


def visible_opinions(case: Case, viewer: User) -> list[Opinion]:
    """The current panel's opinions this viewer may read: their own always, the others' once theirs is in."""
    opinions = [member.opinion for member in case.active_panel if member.opinion is not None]
    if may_read_opinions(case, viewer):
        return opinions
    return [opinion for opinion in opinions if opinion.member.expert_id == viewer.id]


def conclude_panel(
    session: Session,
    case: Case,
    chair: User,
    *,
    conclusion: str,
    reasoning: str,
    concurring_member_ids: Iterable[int],
    dissent: str | None,
    now: datetime,
) -> PanelConclusion:
    """The chair compiles the panel's conclusion once every opinion is in: the majority, and any dissent in words."""
    members = case.active_panel
    if not any(member.expert_id == chair.id and member.is_chair for member in members):
        raise PanelError("not_chair")
    _require_state(case, CONCLUSION_STATES)
    if current_conclusion(case) is not None:
        raise PanelError("concluded")
    if not opinions_complete(case):
        raise PanelError("opinions_missing")
    concurring = set(concurring_member_ids)
    if not concurring <= {member.id for member in members}:
        raise PanelError("not_member")
    majority = len(concurring)
    dissenting = len(members) - majority
    if majority * 2 <= len(members):
        raise PanelError("no_majority")
    dissent = _text(dissent, required=False)
    if dissenting and dissent is None:
        raise PanelError("dissent_missing")
    for member in members:
        member.opinion.concurs = member.id in concurring
    found = PanelConclusion(
        case=case, round_number=case.panel_round, chair=chair, conclusion=_text(conclusion),
        reasoning=_text(reasoning), majority_count=majority, dissent_count=dissenting,
        dissent=dissent if dissenting else None, concluded_at=now,
    )
    session.add(found)
    _record(session, case, chair, "conclude_panel",
            {"round": case.panel_round, "majority": majority, "dissent": dissenting}, now)
    return found


def expert_memberships(session: Session, expert: User) -> list[PanelMember]:
    """The expert's current seats, the case most recently appointed first: the workspace's inbox."""
    members = session.scalars(
        select(PanelMember).where(PanelMember.expert_id == expert.id, PanelMember.recused_at.is_(None))
        .order_by(PanelMember.appointed_at.desc(), PanelMember.id.desc())
    )
    return [member for member in members if member in member.case.active_panel]
