"""Named field changes a transition row applies to the case after its state changes."""

from collections.abc import Callable

from tracker.workflow.guards import GuardContext


def assign_officer(ctx: GuardContext) -> None:
    """The officer who starts the review takes the case, unless it already has one."""
    if ctx.case.assigned_officer_id is None:
        ctx.case.assigned_officer = ctx.actor


def mark_accepted(ctx: GuardContext) -> None:
    """Acceptance routes the case to the enterprise it names."""
    ctx.case.accepted_at = ctx.now


def record_refusal(ctx: GuardContext) -> None:
    """Keep the coded ground of the refusal."""
    ctx.case.refusal_code = ctx.data["refusal_code"]


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
        record_outcome,
        clear_outcome,
        record_decision,
        record_report_issued,
        mark_closed,
        mark_reopened,
    ]
}
