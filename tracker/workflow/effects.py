"""Named field changes a transition row applies to the case after its state changes."""

import json
from collections.abc import Callable

from sqlalchemy.orm import object_session

from tracker import audit
from tracker import deadlines
from tracker.models import CaseKind
from tracker.models import DeadlineStatus
from tracker.models import InformationRequest
from tracker.models import MediationAgreement
from tracker.models import MediationEnding
from tracker.models import ReportRound
from tracker.models import Visibility
from tracker.workflow.guards import GuardContext
from tracker.workflow.guards import current_round
from tracker.working_days import WorkingCalendar


def assign_officer(ctx: GuardContext) -> None:
    """The officer who starts the review takes the case, unless it already has one."""
    if ctx.case.assigned_officer_id is None:
        ctx.case.assigned_officer = ctx.actor


def mark_accepted(ctx: GuardContext) -> None:
    """Acceptance routes the case to the enterprise it names."""
    ctx.case.accepted_at = ctx.now


def record_refusal(ctx: GuardContext) -> None:
    """Keep the coded ground of the refusal and the explanation the applicant reads."""
    ctx.case.refusal_code = ctx.data["refusal_code"]
    ctx.case.refusal_explanation = ctx.data["explanation"].strip()


def _actor_id(ctx: GuardContext) -> int | None:
    return ctx.actor.id if ctx.actor is not None else None


def record_information_request(ctx: GuardContext) -> None:
    """Keep what the applicant must send and by when, for the case page and the e-mail."""
    information_request = InformationRequest(items=ctx.data["missing_items"].strip(), reply_by=ctx.data["reply_by"],
                                 requested_by_id=_actor_id(ctx), requested_at=ctx.now)
    information_request.case = ctx.case
    object_session(ctx.case).add(information_request)


def record_agreement(ctx: GuardContext) -> None:
    """Keep the mediated agreement's terms, amount and the date it must be carried out by."""
    agreement = MediationAgreement(terms=ctx.data["terms"].strip(), amount=ctx.data.get("amount"),
                                   perform_by=ctx.data["perform_by"], recorded_by_id=_actor_id(ctx),
                                   created_at=ctx.now)
    agreement.case = ctx.case
    object_session(ctx.case).add(agreement)


def record_mediation_ending(ctx: GuardContext) -> None:
    """Keep the ground on which mediation ended and who ended it (nobody: the sweep)."""
    ending = MediationEnding(ground=ctx.data["termination_ground"], ended_by_id=_actor_id(ctx), ended_at=ctx.now)
    ending.case = ctx.case
    object_session(ctx.case).add(ending)


def record_outcome(ctx: GuardContext) -> None:
    """Keep what the settlement gives the consumer."""
    ctx.case.outcome = ctx.data["outcome"]


def clear_outcome(ctx: GuardContext) -> None:
    """A refused settlement leaves no outcome behind."""
    ctx.case.outcome = None


def record_decision(ctx: GuardContext) -> None:
    """Keep the appeal's decision."""
    ctx.case.outcome = ctx.data["decision"]


def record_report_issued(ctx: GuardContext) -> None:
    """The report is issued and served on both parties through their case pages today; the window runs from service.

    An appraisal round also keeps who signed it, so that a later round's panel can be checked against it.
    """
    ctx.case.report_issued_on = ctx.today
    report_round = current_round(ctx.case)
    if report_round is None:
        return
    report_round.issued_on = ctx.today
    report_round.served_on = ctx.today
    if ctx.case.kind == CaseKind.APPRAISAL:
        report_round.panel_expert_ids = json.dumps(sorted(member.expert_id for member in ctx.case.active_panel))


def open_first_round(ctx: GuardContext) -> None:
    """Work starts: the first round of inspection or appraisal is opened."""
    if not ctx.case.report_rounds:
        object_session(ctx.case).add(ReportRound(case=ctx.case, number=1, opened_at=ctx.now))


def open_second_round(ctx: GuardContext) -> None:
    """An objection is kept on the round it answers and opens the next round, linked to it.

    In an appraisal the first panel's work ends here: the new round is also the panel's (`Case.panel_round`), so
    its panel starts empty and the officer appoints one with none of the first.
    """
    objected = current_round(ctx.case)
    if objected is None:
        return
    objected.objection_at = ctx.now
    objected.objection_by_id = ctx.actor.id
    objected.objection_reason = ctx.data.get("reason")
    object_session(ctx.case).add(
        ReportRound(case=ctx.case, number=objected.number + 1, previous_round=objected, opened_at=ctx.now)
    )


def mark_report_final(ctx: GuardContext) -> None:
    """The round whose report settles the facts."""
    report_round = current_round(ctx.case)
    if report_round is not None and report_round.final_at is None:
        report_round.final_at = ctx.now


def _linked_complaints(ctx: GuardContext) -> list:
    """The complaint this inspection or appraisal was asked for, if it is one."""
    related = ctx.case.related_case
    return [related] if related is not None and related.kind == CaseKind.COMPLAINT else []


def pause_linked_complaint(ctx: GuardContext) -> None:
    """Testing time is not counted: the complaint's mediation clock stops while the linked work runs."""
    session = object_session(ctx.case)
    for complaint in _linked_complaints(ctx):
        if any(d.status == DeadlineStatus.RUNNING for d in deadlines.open_deadlines(complaint, "mediation")):
            deadlines.pause_clock(session, complaint, "mediation", today=ctx.today)
            audit.record(
                session, complaint, actor=ctx.actor, action="mediation_paused_for_testing",
                body={"linked_case": ctx.case.number}, visibility=Visibility.PARTIES,
                from_state=complaint.state, to_state=complaint.state, now=ctx.now,
            )


def resume_linked_complaint(ctx: GuardContext) -> None:
    """The result is final: the complaint's mediation clock runs again, its due date moved by the days it stood.

    A complaint in its own expert review stays paused: that review's opinion resumes the clock.
    """
    session = object_session(ctx.case)
    for complaint in _linked_complaints(ctx):
        paused = [d for d in deadlines.open_deadlines(complaint, "mediation") if d.status == DeadlineStatus.PAUSED]
        if paused and complaint.state != "expert_review":
            deadlines.resume_clock(
                session, complaint, "mediation", today=ctx.today, calendar=WorkingCalendar.from_session(session)
            )
            audit.record(
                session, complaint, actor=ctx.actor, action="mediation_resumed_after_testing",
                body={"linked_case": ctx.case.number}, visibility=Visibility.PARTIES,
                from_state=complaint.state, to_state=complaint.state, now=ctx.now,
            )


def mark_closed(ctx: GuardContext) -> None:
    """The reopen window runs from closure."""
    ctx.case.closed_at = ctx.now


def mark_reopened(ctx: GuardContext) -> None:
    """A reopened case is open again."""
    ctx.case.closed_at = None


EFFECTS: dict[str, Callable[[GuardContext], None]] = {
    function.__name__: function
    for function in [
        assign_officer,
        mark_accepted,
        record_refusal,
        record_information_request,
        record_agreement,
        record_mediation_ending,
        record_outcome,
        clear_outcome,
        record_decision,
        record_report_issued,
        open_first_round,
        open_second_round,
        mark_report_final,
        pause_linked_complaint,
        resume_linked_complaint,
        mark_closed,
        mark_reopened,
    ]
}
