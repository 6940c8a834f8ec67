"""Named field changes a transition row applies to the case after its state changes."""

from collections.abc import Callable

from sqlalchemy.orm import object_session

from tracker.models import InformationRequest
from tracker.models import MediationAgreement
from tracker.models import MediationEnding
from tracker.workflow.guards import GuardContext


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
    """The objection window runs from the day the report is issued."""
    ctx.case.report_issued_on = ctx.today


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
        mark_closed,
        mark_reopened,
    ]
}
