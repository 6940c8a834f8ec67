"""The workflow's own errors; the web layer maps each to an HTTP status."""


class WorkflowError(Exception):
    """Base of every refusal by the workflow."""

    status_code = 400

    def __init__(self, message: str, *, trigger: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.trigger = trigger


class UnknownTrigger(WorkflowError):
    """The action does not exist for this kind of case."""

    status_code = 400


class InvalidTransition(WorkflowError):
    """The action exists but not from the case's current state."""

    status_code = 409


class TransitionNotAllowed(WorkflowError):
    """The actor's role may not take this action."""

    status_code = 403


class GuardFailed(WorkflowError):
    """A precondition of the action does not hold (missing reason, wrong party, closed window...)."""

    status_code = 422

    def __init__(self, message: str, *, trigger: str | None = None, guard: str) -> None:
        super().__init__(message, trigger=trigger)
        self.guard = guard


class StaleCase(WorkflowError):
    """Someone else changed the case since the actor loaded it."""

    status_code = 409
